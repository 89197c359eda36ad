// Every bad layout exits with code 2, names line, column and field, and leaves no tmux session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, tempDir } from '../helpers/tmux.js';
import { run, startScript } from '../helpers/cli.js';

const ok = (body: string): string => `windows:\n  - name: agents\n    panes:\n${body}`;

/** name, layout text, and what stderr must contain ("L:C path: ..."). */
const cases: { name: string; yaml: string; expect: (string | RegExp)[] }[] = [
  { name: 'YAML syntax error', yaml: 'windows:\n  - name: [agents\n', expect: [/:3:1 YAML syntax/] },
  { name: 'tab indentation', yaml: 'windows:\n\t- name: agents\n', expect: [/:2:1 YAML (indentation|syntax)/] },
  {
    name: 'duplicate key',
    yaml: 'session: a\nsession: b\nwindows: []\n',
    expect: [/:2:1 YAML syntax: Map keys must be unique/],
  },
  { name: 'no windows', yaml: 'session: a\n', expect: [':1:1 windows: is missing (expected The windows, in order.)'] },
  {
    name: 'windows is a mapping',
    yaml: 'windows:\n  agents: {}\n',
    expect: [':2:3 windows: is a mapping (expected a list)'],
  },
  { name: 'empty window list', yaml: 'windows: []\n', expect: [':1:10 windows: is an empty list'] },
  {
    name: 'empty window',
    yaml: 'windows:\n  - name: agents\n    panes: []\n',
    expect: [':3:12 windows[0].panes: is an empty list'],
  },
  { name: 'window without panes', yaml: 'windows:\n  - name: agents\n', expect: [':2:5 windows[0].panes: is missing'] },
  {
    name: 'unknown top-level key',
    yaml: `sesion: x\n${ok('      - agent: lead\n')}`,
    expect: [':1:1 sesion: unknown key "sesion" (did you mean "session"?)'],
  },
  {
    name: 'unknown pane key',
    yaml: ok('      - agent: lead\n        permision_mode: plan\n'),
    expect: [':5:9 windows[0].panes[0].permision_mode: unknown key "permision_mode" (did you mean "permission_mode"?)'],
  },
  {
    name: 'wrong type: name is a list',
    yaml: 'windows:\n  - name: [a, b]\n    panes:\n      - agent: lead\n',
    expect: [':2:11 windows[0].name: is a list (expected a text)'],
  },
  {
    name: 'wrong type: focus is text',
    yaml: ok('      - agent: lead\n        focus: yes please\n'),
    expect: [':5:16 windows[0].panes[0].focus: is the text "yes please" (expected true or false)'],
  },
  {
    name: 'wrong type: allowed_tools is text',
    yaml: ok('      - agent: lead\n        allowed_tools: Bash\n'),
    expect: [':5:24 windows[0].panes[0].allowed_tools: is the text "Bash" (expected a list)'],
  },
  {
    name: 'wrong type: env is a list',
    yaml: `env: [A]\n${ok('      - agent: lead\n')}`,
    expect: [':1:6 env: is a list (expected a mapping'],
  },
  {
    name: 'bad permission mode',
    yaml: ok('      - agent: lead\n        permission_mode: acceptedits\n'),
    expect: [':5:26 windows[0].panes[0].permission_mode: is "acceptedits" (expected "acceptEdits"; one of'],
  },
  {
    name: 'duplicate agent names',
    yaml: ok('      - agent: lead\n      - agent: w\n      - agent: w\n'),
    expect: [':6:16 windows[0].panes[2].agent: duplicate agent name "w", already used at windows[0].panes[1].agent'],
  },
  {
    name: 'bad agent name',
    yaml: ok('      - agent: "my agent!"\n'),
    expect: [':4:16 windows[0].panes[0].agent: is "my agent!" (expected letters, digits'],
  },
  {
    name: 'root does not exist',
    yaml: `root: ./nowhere\n${ok('      - agent: lead\n')}`,
    expect: [/:1:7 root: directory .*nowhere does not exist/],
  },
  {
    name: 'agent cwd does not exist',
    yaml: ok('      - agent: lead\n        cwd: missing-dir\n'),
    expect: [/:5:14 windows\[0\]\.panes\[0\]\.cwd: directory .*missing-dir does not exist/],
  },
  {
    name: 'bad layout name',
    yaml: 'windows:\n  - layout: tiledd\n    panes:\n      - agent: lead\n',
    expect: [':2:13 windows[0].layout: "tiledd" is not a tmux layout'],
  },
  {
    name: 'custom layout with a wrong checksum',
    yaml: 'windows:\n  - layout: "ffff,200x50,0,0{100x50,0,0,1,99x50,101,0,2}"\n    panes:\n      - agent: a\n      - agent: b\n',
    expect: [':2:13 windows[0].layout:', 'checksum ffff does not match'],
  },
  {
    name: 'custom layout for the wrong number of panes',
    yaml: 'windows:\n  - layout: "4f3d,200x50,0,0{100x50,0,0,1,99x50,101,0,2}"\n    panes:\n      - agent: a\n',
    expect: [':2:13 windows[0].layout: the custom layout has 2 panes but the window has 1'],
  },
  {
    name: 'pane that is neither agent nor command',
    yaml: ok('      - focus: true\n'),
    expect: [':4:9 windows[0].panes[0]: needs one of "agent" or "command"'],
  },
  {
    name: 'pane that is both agent and command',
    yaml: ok('      - agent: a\n        command: ls\n'),
    expect: [':4:9 windows[0].panes[0]: has both "agent" and "command"'],
  },
  {
    name: 'command pane with agent settings',
    yaml: ok('      - command: npm run dev\n        model: opus\n'),
    expect: [':5:16 windows[0].panes[0].model: is an agent setting, but this pane runs a command'],
  },
  { name: 'empty pane', yaml: ok('      -\n'), expect: [/:4:\d+ windows\[0\]\.panes\[0\]: is empty/] },
  {
    name: 'missing system prompt file',
    yaml: ok('      - agent: lead\n        append_system_prompt_file: prompts/nope.md\n'),
    expect: [/:5:36 windows\[0\]\.panes\[0\]\.append_system_prompt_file: cannot read .*prompts\/nope\.md/],
  },
  {
    name: 'bad session name',
    yaml: `session: my.project\n${ok('      - agent: lead\n')}`,
    expect: [':1:10 session: is "my.project" (expected letters, digits, "_", "-" and "+"'],
  },
  // Values that would reach a shell or tmux's format expander.
  {
    name: 'session name tmux would expand',
    yaml: `session: "#(touch pwned)"\n${ok('      - agent: lead\n')}`,
    expect: [':1:10 session: is "#(touch pwned)" (expected letters, digits'],
  },
  {
    name: 'session name with "$"',
    yaml: `session: a$b\n${ok('      - agent: lead\n')}`,
    expect: [':1:10 session: is "a$b"'],
  },
  {
    name: 'session name with ":"',
    yaml: `session: "a:b"\n${ok('      - agent: lead\n')}`,
    expect: [':1:10 session: is "a:b"'],
  },
  {
    name: 'env key that is shell code',
    yaml: `env:\n  'X=1; touch pwned; Y': v\n${ok('      - agent: lead\n')}`,
    expect: [':2:3 env.X=1; touch pwned; Y: "X=1; touch pwned; Y" is not a valid key (expected a variable name'],
  },
  {
    name: 'agent env key with a space',
    yaml: ok('      - agent: lead\n        env: { "A B": x }\n'),
    expect: [':5:16 windows[0].panes[0].env.A B: "A B" is not a valid key'],
  },
  {
    name: 'env key in defaults starting with a digit',
    yaml: `defaults:\n  env: { 1X: x }\n${ok('      - agent: lead\n')}`,
    expect: [':2:10 defaults.env.1X: "1X" is not a valid key'],
  },
  {
    name: 'tmux option that is a flag',
    yaml: `options: { "-F": "#(touch pwned)" }\n${ok('      - agent: lead\n')}`,
    expect: [':1:12 options.-F: "-F" is not a valid key (expected a tmux option name'],
  },
  // Odd input: each in our words, at its place.
  {
    name: 'two YAML documents',
    yaml: `${ok('      - agent: lead\n')}---\nsession: x\n`,
    expect: [/:5:1 the file holds more than one YAML document/],
  },
  {
    name: 'nesting too deep for the parser',
    yaml: `windows: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
    expect: [/:1:\d+ YAML nesting is too deep to read/],
  },
  {
    name: 'not UTF-8',
    yaml: 'windows:\n  - name: caf\u00e9\n    panes:\n      - agent: lead\n',
    expect: [':2:14 is not UTF-8 text (byte 0xe9 here); save the file as UTF-8'],
  },
  {
    name: '"constructor" as a pane key',
    yaml: ok('      - agent: lead\n        constructor: 1\n'),
    expect: [':5:9 windows[0].panes[0].constructor: unknown key "constructor"'],
  },
  {
    name: '"__proto__" as a window key',
    yaml: 'windows:\n  - __proto__: {}\n    panes:\n      - agent: lead\n',
    expect: [':2:5 windows[0].__proto__: unknown key "__proto__"'],
  },
  {
    name: 'root that is a file, reported once',
    yaml: `root: layout.yaml\n${ok('      - agent: lead\n')}`,
    expect: [/:1:7 root: .*layout\.yaml is a file, not a directory/, /^.*1 problem in the layout/m],
  },
  {
    name: 'two focused windows',
    yaml: 'windows:\n  - focus: true\n    panes: [{agent: a}]\n  - focus: true\n    panes: [{agent: b}]\n',
    expect: [':4:12 windows[1].focus: more than one window has focus'],
  },
  {
    name: 'bad restart policy',
    yaml: `defaults:\n  restart: always\n${ok('      - agent: lead\n')}`,
    expect: [':2:12 defaults.restart: is "always" (expected one of never, on-failure)'],
  },
  {
    name: 'number where text is expected',
    yaml: `session: 42\n${ok('      - agent: lead\n')}`,
    expect: [':1:10 session: is 42 (expected a text; quote it: "42")'],
  },
  // Worktree branches git would refuse, or could not give two agents: refused before anything is made.
  {
    name: 'worktree branch HEAD',
    yaml: ok('      - agent: w1\n        worktree: true\n        branch: HEAD\n'),
    expect: [':6:17 windows[0].panes[0].branch: is "HEAD" (expected a git branch name such as shop/w1: not HEAD'],
  },
  {
    name: 'worktree branch with ".." and a space',
    yaml: ok('      - agent: w1\n        worktree: true\n        branch: "a..b c"\n'),
    expect: [':6:17 windows[0].panes[0].branch: is "a..b c" (expected a git branch name'],
  },
  {
    name: 'worktree branch with a part ending in .lock',
    yaml: ok('      - agent: w1\n        worktree: true\n        branch: x.lock/y\n'),
    expect: [':6:17 windows[0].panes[0].branch: is "x.lock/y"'],
  },
  {
    name: 'two agents on one branch',
    yaml: ok(
      '      - agent: w1\n        worktree: true\n        branch: feat\n      - agent: w2\n        worktree: true\n        branch: feat\n',
    ),
    expect: [
      ':9:17 windows[0].panes[1].branch: branch "feat" is also the branch of agent w1 (windows[0].panes[0].branch); a branch can be checked out in one worktree only (expected another branch for w2',
    ],
  },
  {
    name: "a branch that is another agent's default",
    yaml: `session: s\ndefaults:\n  worktree: true\n${ok('      - agent: w2\n        branch: s/w1\n      - agent: w1\n')}`,
    expect: [
      ':9:16 windows[0].panes[1].agent: its branch "s/w1" (the default) is also the branch of agent w2 (windows[0].panes[0].branch)',
    ],
  },
  {
    name: "a branch that is a folder of another agent's",
    yaml: `session: s\ndefaults:\n  worktree: true\n${ok('      - agent: w1\n      - agent: w2\n        branch: s\n')}`,
    expect: [
      ':9:17 windows[0].panes[1].branch: branch "s" and the branch "s/w1" of agent w1 (windows[0].panes[0].agent) cannot both exist',
    ],
  },
  {
    name: 'env: as text: its value is not shown',
    yaml: `env: ANTHROPIC_API_KEY=sk-test-SECRET123\n${ok('      - agent: lead\n')}`,
    expect: [':1:6 env: is a text (expected a mapping'],
  },
  {
    name: "a host's env: as text: its value is not shown",
    yaml: `hosts:\n  h: { ssh: box, env: "TOKEN=SECRET123-abc" }\n${ok('      - agent: lead\n')}`,
    expect: [/:2:\d+ hosts\.h\.env: is a text \(expected a mapping/],
  },
  {
    name: 'several problems at once',
    yaml: 'sesion: x\nwindows:\n  - layot: tiled\n    panes:\n      - agent: a\n        modle: opus\n',
    expect: [':1:1 sesion:', ':3:5 windows[0].layot:', ':6:9 windows[0].panes[0].modle:', '3 problems in the layout'],
  },
];

for (const c of cases) {
  test(`bad layout: ${c.name}`, async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'prompts'));
    const file = join(dir, 'layout.yaml');
    // Latin-1 for the not-UTF-8 case: every other case is written as UTF-8.
    writeFileSync(file, c.name === 'not UTF-8' ? Buffer.from(c.yaml, 'latin1') : c.yaml);
    const server = privateServer(t);
    const result = await run(
      startScript,
      ['--layout', file, '--socket', server.socket!, '--state', join(dir, 'state'), '--no-attach'],
      { cwd: dir },
    );
    assert.equal(result.exitCode, 2, `exit code; stderr: ${result.stderr}`);
    for (const e of c.expect) {
      if (typeof e === 'string')
        assert.ok(
          result.stderr.includes(`layout.yaml${e.startsWith(':') ? '' : ' '}${e}`) || result.stderr.includes(e),
          `stderr should contain ${JSON.stringify(e)}:\n${result.stderr}`,
        );
      else assert.match(result.stderr, e);
    }
    assert.match(result.stderr, /layout\.yaml:\d+:\d+ /, 'names file:line:col');
    assert.deepEqual(await server.panes(), [], 'no tmux session may be left behind');
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at /, 'no stack trace');
    assert.ok(!result.stderr.includes('SECRET123'), 'no env: value is shown');
    assert.ok(!existsSync(join(dir, 'pwned')) && !existsSync(join(dir, 'state', 'pwned')), 'nothing ran');
  });
}
