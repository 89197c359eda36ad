// The worktrees: section's paths, refused by `layout validate` and by ./start.mts before anything
// exists, as file:line:col field: what is wrong (what would be right): a dir that is the project's
// top, leaves it, or holds files git tracks (its exclude line would hide the person's new files
// there); copy/link globs that leave the project.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, GIT_ENV, makeRepo } from '../helpers/git.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { privateServer, tempDir } from '../helpers/tmux.js';
import { loadLayout } from '../../src/layout/load.js';
import { prepareWorktrees } from '../../src/worktrees/prepare.js';

/** name, the worktrees: section's lines, and what stderr must hold after "layout.yaml:". */
const cases: { name: string; section: string; expect: string }[] = [
  {
    name: 'dir that git tracks files in',
    section: '  dir: src\n',
    expect:
      '4:8 worktrees.dir: holds files git tracks (src/app.ts): the line that keeps the worktrees out of git status would hide new files there too (expected a folder git does not track, e.g. .worktrees or src/.worktrees)',
  },
  { name: 'dir that is the top', section: '  dir: .\n', expect: "4:8 worktrees.dir: is the repository's top itself" },
  {
    name: 'dir that is the top, "./"',
    section: '  dir: ./\n',
    expect: "4:8 worktrees.dir: is the repository's top itself",
  },
  {
    name: 'dir that leaves the repository',
    section: '  dir: ../wt\n',
    expect:
      '4:8 worktrees.dir: leaves the repository (expected a folder of their own inside the repository, relative to its top, e.g. .worktrees)',
  },
  { name: 'absolute dir', section: '  dir: /tmp/wt\n', expect: '4:8 worktrees.dir: is an absolute path' },
  { name: 'dir inside .git', section: '  dir: .git/wt\n', expect: '4:8 worktrees.dir: is inside .git' },
  {
    name: 'copy glob with ".."',
    section: '  copy: [".env", "../secret"]\n',
    expect:
      '4:18 worktrees.copy[1]: has a ".." segment: it would reach outside the project (expected a glob relative to the repository\'s top, inside it',
  },
  {
    name: 'copy glob with ".." inside',
    section: '  copy: ["config/../../x"]\n',
    expect: '4:10 worktrees.copy[0]: has a ".." segment',
  },
  {
    name: 'absolute link',
    section: '  link: ["/etc"]\n',
    expect: '4:10 worktrees.link[0]: is an absolute path: it would bring in files from outside the project',
  },
  {
    name: 'copy of the top itself',
    section: '  copy: ["./"]\n',
    expect: "4:10 worktrees.copy[0]: names the repository's top itself",
  },
];

const layoutText = (repo: string, section: string): string =>
  `session: s\nroot: ${JSON.stringify(repo)}\nworktrees:\n${section}windows:\n  - panes:\n      - agent: w1\n        worktree: true\n`;

for (const c of cases) {
  test(`layout validate refuses worktrees paths: ${c.name}`, async (t) => {
    const repo = makeRepo(t, { 'README.md': 'hi\n', 'src/app.ts': 'app\n' });
    const file = join(tempDir(t), 'layout.yaml');
    writeFileSync(file, layoutText(repo, c.section));
    const r = await run(orchestrateScript, ['layout', 'validate', file], { env: GIT_ENV });
    assert.equal(r.exitCode, 2, r.stdout + r.stderr);
    assert.ok(r.stderr.includes(`layout.yaml:${c.expect}`), `stderr should hold layout.yaml:${c.expect}\n${r.stderr}`);
    assert.match(r.stderr, /1 problem in the layout/);
  });
}

test("a dir inside a tracked folder is fine; start refuses a tracked one before anything exists, and a person's new file there stays in git status", async (t) => {
  const repo = makeRepo(t, { 'README.md': 'hi\n', 'src/app.ts': 'app\n' });
  const file = join(tempDir(t), 'layout.yaml');
  writeFileSync(file, layoutText(repo, '  dir: src/.worktrees\n'));
  const ok = await run(orchestrateScript, ['layout', 'validate', file], { env: GIT_ENV });
  assert.equal(ok.exitCode, 0, ok.stderr);

  writeFileSync(file, layoutText(repo, '  dir: src\n'));
  const server = privateServer(t);
  const state = join(tempDir(t), 'state');
  const started = await run(
    startScript,
    ['--layout', file, '--socket', server.socket!, '--state', state, '--no-attach'],
    { cwd: repo, env: GIT_ENV },
  );
  assert.equal(started.exitCode, 2, started.stdout + started.stderr);
  assert.match(started.stderr, /layout\.yaml:4:8 worktrees\.dir: holds files git tracks/);
  assert.deepEqual(await server.panes(), [], 'no tmux session');
  assert.equal(git(repo, 'worktree', 'list').split('\n').length, 1, 'no worktree');
  assert.equal(
    existsSync(join(repo, '.git', 'info', 'exclude'))
      ? readFileSync(join(repo, '.git', 'info', 'exclude'), 'utf8').includes('/src/')
      : false,
    false,
  );
  writeFileSync(join(repo, 'src', 'new.ts'), "a person's new file\n");
  assert.equal(git(repo, 'status', '--porcelain'), '?? src/new.ts');
});

test("start's own check (the one a host's repository gets there): a dir git tracks files in makes nothing and writes no exclude line", async (t) => {
  const repo = makeRepo(t, { 'README.md': 'hi\n', 'src/app.ts': 'app\n' });
  const file = join(tempDir(t), 'layout.yaml');
  writeFileSync(file, layoutText(repo, '  dir: .worktrees\n'));
  const { layout } = loadLayout(file);
  const exclude = join(repo, '.git', 'info', 'exclude');
  const before = readFileSync(exclude, 'utf8');
  Object.assign(process.env, GIT_ENV);
  await assert.rejects(
    prepareWorktrees({ ...layout!, worktrees: { ...layout!.worktrees, dir: 'src' } }, tempDir(t)),
    /worktrees\.dir "src" in .*layout\.yaml holds files git tracks \(src\/app\.ts\)/,
  );
  await assert.rejects(
    prepareWorktrees({ ...layout!, worktrees: { ...layout!.worktrees, dir: '.' } }, tempDir(t)),
    /worktrees\.dir "\." in .*layout\.yaml is the repository's top itself/,
  );
  assert.equal(readFileSync(exclude, 'utf8'), before);
  assert.equal(git(repo, 'worktree', 'list').split('\n').length, 1);
});
