// Valid layouts: defaults, roots, shipped files and the schema that editors use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLayout } from '../../src/layout/load.js';
import { layoutJsonSchema } from '../../src/cli/commands/layout.js';
import { tempDir } from '../helpers/tmux.js';
import { repoRoot } from '../helpers/paths.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { BRANCH_PATTERN } from '../../src/layout/schema.js';

test('defaults apply to every agent, and an agent overrides them', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'proj', 'api'), { recursive: true });
  writeFileSync(join(dir, 'lead.md'), 'You lead.');
  const file = join(dir, 'l.yaml');
  writeFileSync(
    file,
    `root: proj
env: { SHARED: 1 }
defaults:
  model: sonnet
  permission_mode: acceptEdits
  env: { FROM_DEFAULTS: yes }
  restart: on-failure
windows:
  - name: w
    layout: main-vertical
    panes:
      - agent: lead
        model: opus
        append_system_prompt_file: lead.md
      - agent: api
        cwd: api
        env: { OWN: x }
      - command: tail -f log.txt
`,
  );
  const { layout, problems } = loadLayout(file, { cwd: '/' });
  assert.deepEqual(problems, []);
  assert.ok(layout);
  assert.equal(layout.session, 'proj');
  assert.equal(layout.root, join(dir, 'proj'));
  const [lead, api] = layout.agents;
  assert.equal(lead?.model, 'opus');
  assert.equal(lead?.role, 'lead');
  assert.equal(lead?.appendSystemPrompt, 'You lead.');
  assert.equal(api?.model, 'sonnet');
  assert.equal(api?.role, 'worker');
  assert.equal(api?.permissionMode, 'acceptEdits');
  assert.equal(api?.restart, 'on-failure');
  assert.equal(api?.cwd, join(dir, 'proj', 'api'));
  assert.deepEqual(api?.env, { FROM_DEFAULTS: 'yes', OWN: 'x' });
  assert.deepEqual(layout.env, { SHARED: '1' });
  const command = layout.windows[0]?.panes[2];
  assert.equal(command?.kind, 'command');
  assert.equal(command?.name, 'tail');
});

test('without root, the project is the directory start runs from, and names the session', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'l.yaml');
  writeFileSync(file, 'windows:\n  - panes:\n      - agent: solo\n');
  const project = join(dir, 'shop.v2');
  mkdirSync(project);
  const { layout } = loadLayout(file, { cwd: project });
  assert.equal(layout?.root, project);
  assert.equal(layout?.session, 'shop_v2', 'tmux forbids "." in session names');
  assert.equal(layout?.windows[0]?.name, 'window-1');
});

test('every shipped layout is valid and points editors at the schema', async () => {
  const files = readdirSync(join(repoRoot, 'layouts')).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.includes('default.yaml'));
  for (const f of files) {
    const text = readFileSync(join(repoRoot, 'layouts', f), 'utf8');
    assert.equal(text.split('\n')[0], '# yaml-language-server: $schema=./schema.json', f);
    const result = await run(orchestrateScript, ['layout', 'validate', join(repoRoot, 'layouts', f)]);
    assert.equal(result.exitCode, 0, result.stderr);
  }
  const { layout } = loadLayout(join(repoRoot, 'layouts', 'default.yaml'), { cwd: repoRoot });
  assert.deepEqual(
    layout?.agents.map((a) => [a.name, a.permissionMode ?? 'default']),
    [
      ['lead', 'default'],
      ['worker-1', 'acceptEdits'],
      ['worker-2', 'acceptEdits'],
      ['worker-3', 'acceptEdits'],
    ],
  );
  assert.equal(layout?.windows[0]?.name, 'agents');
  assert.equal(layout?.windows[0]?.layout, 'tiled');
});

test('layouts/schema.json is the generated schema (regenerate with: orchestrate layout schema)', () => {
  const shipped = readFileSync(join(repoRoot, 'layouts', 'schema.json'), 'utf8');
  assert.equal(shipped, layoutJsonSchema());
  const schema = JSON.parse(shipped);
  assert.equal(
    schema.properties.windows.items.properties.panes.items.properties.permission_mode.enum.includes('acceptEdits'),
    true,
  );
  assert.equal(schema.additionalProperties, false);
});

test('layout validate reports problems with exit code 2', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'bad.yaml'), 'windows:\n  - panes:\n      - agent: x\n        colour: red\n');
  const result = await run(orchestrateScript, ['layout', 'validate', join(dir, 'bad.yaml')], { cwd: dir });
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /bad\.yaml:4:9 windows\[0\]\.panes\[0\]\.colour: unknown key "colour"/);
});

test('layout validate refuses a worktree branch git would refuse, and two agents on one branch, naming both', async (t) => {
  const dir = tempDir(t);
  const head =
    'session: s\ndefaults:\n  worktree: true\nwindows:\n  - panes:\n      - agent: w1\n        branch: HEAD\n';
  writeFileSync(join(dir, 'head.yaml'), head);
  writeFileSync(
    join(dir, 'same.yaml'),
    `${head.replace('HEAD', 'feat')}      - agent: w2\n      - agent: w3\n        branch: s/w2\n`,
  );
  for (const file of ['head.yaml', 'same.yaml']) {
    const result = await run(orchestrateScript, ['layout', 'validate', join(dir, file)], { cwd: dir });
    assert.equal(result.exitCode, 2, file);
    assert.match(
      result.stderr,
      file === 'head.yaml'
        ? /head\.yaml:7:17 windows\[0\]\.panes\[0\]\.branch: is "HEAD" \(expected a git branch name such as shop\/w1: not HEAD or @/
        : /same\.yaml:10:17 windows\[0\]\.panes\[2\]\.branch: branch "s\/w2" is also the branch of agent w2 \(windows\[0\]\.panes\[1\]\.agent\)/,
    );
  }
});

test('the branch pattern takes what git check-ref-format --branch takes (and refuses "@", git\'s word for HEAD)', async () => {
  const names = [
    'main',
    'shop/w1',
    'feature/x-1_2',
    'head',
    'a@b',
    'x/HEAD',
    'a./b',
    'caf\u00e9',
    'HEAD',
    '@',
    '-x',
    'a..b',
    'a b',
    'a\tb',
    'a~1',
    'a^',
    'a:b',
    'a?',
    'a*',
    'a[b',
    'a\\b',
    'a.lock',
    'a.lock/b',
    'a/.b',
    '.a',
    'a/',
    '/a',
    'a//b',
    'a.',
    'a@{1}',
    '',
  ];
  for (const name of names) {
    const git = await run('git', ['check-ref-format', '--branch', name], {});
    const gitTakes = git.exitCode === 0 && name !== '@';
    assert.equal(
      BRANCH_PATTERN.test(name),
      gitTakes,
      `${JSON.stringify(name)}: git says ${git.exitCode === 0 ? 'valid' : 'invalid'}`,
    );
  }
});
