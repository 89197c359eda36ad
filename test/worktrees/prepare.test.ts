// Making worktrees at start, with real git: a worktree per agent on SESSION/AGENT from the current
// branch, files copied and linked in (recorded by content, not hidden from git), found again on a second start;
// each thing in the way is one clear error that made nothing. Removal keeps anything with work in
// it; ports are blocks that never overlap and stay with their agent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, GIT_ENV, makeRepo, writeFiles } from '../helpers/git.js';
import { tempDir } from '../helpers/tmux.js';
import { loadLayout } from '../../src/layout/load.js';
import type { Layout } from '../../src/layout/types.js';
import type { AgentRecord } from '../../src/store/types.js';
import { inWorktrees, prepareWorktrees } from '../../src/worktrees/prepare.js';
import { expandGlob } from '../../src/worktrees/files.js';
import { judge, removeWorktree } from '../../src/worktrees/cleanup.js';
import { leasePorts, portEnv } from '../../src/worktrees/ports.js';
import { mergeAgent } from '../../src/worktrees/merge.js';
import { inspectWork } from '../../src/worktrees/work.js';

Object.assign(process.env, GIT_ENV);

function layoutIn(t: Parameters<typeof tempDir>[0], root: string, extra = ''): Layout {
  const file = join(tempDir(t), 'layout.yaml');
  writeFileSync(
    file,
    `session: team\nroot: ${JSON.stringify(root)}\n${extra}defaults:\n  worktree: true\nwindows:\n  - panes:\n      - agent: lead\n        worktree: false\n      - agent: w1\n      - agent: w2\n        branch: feature/w2\n`,
  );
  const { layout, problems } = loadLayout(file);
  assert.deepEqual(problems, []);
  return layout!;
}

const asAgent = (name: string, worktree: AgentRecord['worktree']): AgentRecord => ({ name, worktree }) as AgentRecord;

test('start makes a worktree per agent with worktree: true, copies and links files, and finds them again', async (t) => {
  const repo = makeRepo(t, { 'README.md': 'hi\n', 'src/app.ts': 'app\n', '.gitignore': 'node_modules/\n' });
  writeFiles(repo, { '.env': 'SECRET=1\n', '.env.local': 'L=1\n', 'node_modules/pkg/index.js': 'x\n' });
  const state = tempDir(t);
  const layout = layoutIn(t, join(repo, 'src'), 'worktrees:\n  copy: [".env*"]\n  link: [node_modules]\n');
  const first = await prepareWorktrees(layout, state);
  assert.deepEqual([...first.worktrees.keys()], ['w1', 'w2']);
  const w1 = first.worktrees.get('w1')!;
  assert.equal(w1.path, join(repo, '.worktrees', 'team', 'w1'));
  assert.equal(w1.branch, 'team/w1');
  assert.equal(first.worktrees.get('w2')!.branch, 'feature/w2');
  assert.equal(w1.base, 'main');
  assert.equal(git(w1.path, 'symbolic-ref', '--short', 'HEAD'), 'team/w1');
  assert.equal(readFileSync(join(w1.path, '.env'), 'utf8'), 'SECRET=1\n');
  assert.deepEqual(w1.copied, ['.env', '.env.local']);
  assert.ok(lstatSync(join(w1.path, 'node_modules')).isSymbolicLink());
  // The worktrees do not show in the main checkout, and nothing else is hidden there (the person's
  // .env files show as they did before); the copies and links in a worktree are not hidden from
  // git either (only the worktrees' folder is in info/exclude), but they are ours, not work.
  assert.equal(git(repo, 'status', '--porcelain'), '?? .env\n?? .env.local');
  assert.equal(git(w1.path, 'status', '--porcelain'), '?? .env\n?? .env.local\n?? node_modules');
  assert.match(
    readFileSync(join(repo, '.git', 'info', 'exclude'), 'utf8'),
    /^# claude-orchestrator: agents' worktrees\n\/\.worktrees\/\n$/m,
  );
  assert.deepEqual(await inspectWork(asAgent('w1', w1)), { work: [], ours: ['.env', '.env.local', 'node_modules'] });
  // The agent's cwd moves into its worktree, at the same place below the top.
  const moved = inWorktrees(layout, first.worktrees);
  assert.equal(moved.agents.find((a) => a.name === 'w1')!.cwd, join(w1.path, 'src'));
  assert.equal(moved.agents.find((a) => a.name === 'lead')!.cwd, join(repo, 'src'));
  const pane = moved.windows[0]!.panes[1]!;
  assert.equal(pane.kind === 'agent' && pane.cwd, join(w1.path, 'src'));

  writeFiles(w1.path, { 'work.txt': 'in progress\n' });
  const again = await prepareWorktrees(layout, state);
  assert.match(again.notes.join('\n'), /w1: reuses its worktree/);
  assert.equal(readFileSync(join(w1.path, 'work.txt'), 'utf8'), 'in progress\n');
  assert.equal(again.worktrees.get('w1')!.created_at, w1.created_at);

  // A worktree folder deleted by hand is made again from its branch, with its commits.
  git(w1.path, 'add', 'work.txt');
  git(w1.path, 'commit', '-q', '-m', 'w1 work');
  rmSync(w1.path, { recursive: true, force: true });
  const remade = await prepareWorktrees(layout, state);
  assert.match(remade.notes.join('\n'), /w1: checked out its branch again/);
  assert.equal(readFileSync(join(w1.path, 'work.txt'), 'utf8'), 'in progress\n');
  assert.equal(readFileSync(join(w1.path, '.env'), 'utf8'), 'SECRET=1\n');
});

test('what is in the way of a worktree stops the start with the fix, and makes nothing', async (t) => {
  const notRepo = tempDir(t);
  await assert.rejects(
    prepareWorktrees(layoutIn(t, notRepo), tempDir(t)),
    /worktree: true needs a git repository, and .* is not in one/,
  );

  const empty = join(tempDir(t), 'empty');
  mkdirSync(empty);
  git(empty, 'init', '-q', '-b', 'main');
  await assert.rejects(prepareWorktrees(layoutIn(t, empty), tempDir(t)), /has no commit yet/);

  const repo = makeRepo(t);
  await assert.rejects(
    prepareWorktrees(layoutIn(t, repo, 'worktrees:\n  base: nope\n'), tempDir(t)),
    /worktrees.base "nope" .* is not a branch or commit .*expected one of: main/,
  );

  // A branch in the way of the second agent: no worktree is made, not even the first agent's.
  git(repo, 'branch', 'feature/w2');
  const before = git(repo, 'worktree', 'list');
  await assert.rejects(
    prepareWorktrees(layoutIn(t, repo), tempDir(t)),
    /branch "feature\/w2" already exists .* was not made for agent w2 \(set branch: for agent w2/,
  );
  assert.equal(git(repo, 'worktree', 'list'), before);
  assert.equal(git(repo, 'branch', '--list', 'team/w1'), '');
  git(repo, 'branch', '-d', 'feature/w2');
  // A branch "feature" keeps "feature/w2" from being made (git keeps it in a folder "feature"): nothing is made either.
  git(repo, 'branch', 'feature');
  await assert.rejects(
    prepareWorktrees(layoutIn(t, repo), tempDir(t)),
    /branch "feature\/w2" for agent w2 cannot be made in .*: its branch "feature" is in the way .*\(set branch: for agent w2/,
  );
  assert.equal(git(repo, 'worktree', 'list'), before);
  assert.equal(git(repo, 'branch', '--list', 'team/w1'), '');
  git(repo, 'branch', '-d', 'feature');

  mkdirSync(join(repo, '.worktrees', 'team', 'w1'), { recursive: true });
  writeFileSync(join(repo, '.worktrees', 'team', 'w1', 'mine.txt'), "a person's file\n");
  await assert.rejects(prepareWorktrees(layoutIn(t, repo), tempDir(t)), /exists and is not a worktree/);
  assert.equal(readFileSync(join(repo, '.worktrees', 'team', 'w1', 'mine.txt'), 'utf8'), "a person's file\n");
});

test('a dirty base is said, and the worktrees start from its last commit', async (t) => {
  const repo = makeRepo(t);
  writeFiles(repo, { 'README.md': 'changed, not committed\n' });
  const done = await prepareWorktrees(layoutIn(t, repo), tempDir(t));
  assert.match(done.notes[0]!, /1 uncommitted change; new worktrees start from the last commit of main, without them/);
  assert.equal(readFileSync(join(done.worktrees.get('w1')!.path, 'README.md'), 'utf8'), 'hello\n');
});

test('removal: a worktree with uncommitted or unmerged work, or a changed copy, is kept; a merged one goes with its branch', async (t) => {
  const repo = makeRepo(t, { 'README.md': 'hi\n' });
  writeFiles(repo, { '.env': 'A=1\n' });
  const state = tempDir(t);
  const done = await prepareWorktrees(layoutIn(t, repo, 'worktrees:\n  copy: [.env]\n'), state);
  const w1 = asAgent('w1', done.worktrees.get('w1')!);
  const w2 = asAgent('w2', done.worktrees.get('w2')!);
  const p1 = w1.worktree!.path;

  writeFiles(p1, { 'draft.txt': 'draft\n' });
  assert.match((await judge(w1, state)).why, /1 uncommitted file \(draft.txt\)/);
  assert.match((await removeWorktree(w1, state)).text, /kept .*uncommitted/);
  assert.ok(existsSync(join(p1, 'draft.txt')));

  git(p1, 'add', 'draft.txt');
  git(p1, 'commit', '-q', '-m', 'draft');
  const unmerged = await judge(w1, state);
  assert.equal(unmerged.removable, false);
  assert.match(unmerged.why, /1 commit on team\/w1 not in main/);
  assert.match(unmerged.merge[0]!, /merge w1 --state/);
  assert.match(unmerged.drop.join('\n'), /worktree remove --force .*branch -D/s);
  assert.equal((await removeWorktree(w1, state)).removed, false);
  assert.equal(git(repo, 'rev-parse', '--verify', 'team/w1').length, 40);

  writeFiles(join(p1), { '.env': 'A=changed by the agent\n' });
  assert.match((await judge(w1, state)).why, /1 uncommitted file \(\.env: copied, then changed\), in no commit/);
  writeFiles(join(p1), { '.env': 'A=1\n' });

  assert.equal((await mergeAgent({ agent: w1, mode: 'squash' })).result, 'merged');
  assert.equal((await judge(w1, state)).removable, true);
  const removed = await removeWorktree(w1, state);
  assert.match(removed.text, /removed .*; deleted branch team\/w1 \(its work is in main\)/);
  assert.equal(existsSync(p1), false);
  assert.equal(existsSync(join(repo, '.env')), true);

  // An untouched worktree goes, and its branch with it.
  assert.match((await removeWorktree(w2, state)).text, /removed .*; deleted branch feature\/w2/);
  assert.equal(git(repo, 'branch', '--list', 'feature/w2'), '');
  assert.equal(git(repo, 'log', '-1', '--format=%s', 'main'), 'team/w1: draft');
});

test('globs: * and ? within a name, ** at any depth, never inside .git', (t) => {
  const dir = tempDir(t);
  writeFiles(dir, {
    '.env': '',
    '.env.test': '',
    'a/.env': '',
    'a/b/c.local.json': '',
    'x.json': '',
    '.git/config': '',
  });
  assert.deepEqual(expandGlob(dir, '.env*'), ['.env', '.env.test']);
  assert.deepEqual(expandGlob(dir, '**/.env'), ['.env', 'a/.env']);
  assert.deepEqual(expandGlob(dir, '**/*.local.json'), ['a/b/c.local.json']);
  assert.deepEqual(expandGlob(dir, '.git/*'), []);
  assert.deepEqual(expandGlob(dir, 'nothing'), []);
});

test('port blocks: every agent its own, the same again for the same agent, taken over only from an ended session', async (t) => {
  process.env.ORCH_PORTS_DIR = tempDir(t);
  t.after(() => {
    delete process.env.ORCH_PORTS_DIR;
  });
  const [s1, s2] = [tempDir(t), tempDir(t)];
  const a = await leasePorts(s1, 'w1', 10);
  const b = await leasePorts(s1, 'w2', 10);
  const c = await leasePorts(s2, 'w1', 5);
  const all = [...a, ...b, ...c];
  assert.equal(new Set(all).size, 25);
  assert.deepEqual(await leasePorts(s1, 'w1', 10), a);
  // Leased at the same time, sixteen agents still get sixteen blocks.
  const many = await Promise.all(Array.from({ length: 16 }, (_, i) => leasePorts(s2, `p${i}`, 10)));
  assert.equal(new Set([...all, ...many.flat()]).size, 25 + 160);
  assert.deepEqual(portEnv(a.slice(0, 2)), {
    ORCH_PORT: String(a[0]),
    ORCH_PORT_0: String(a[0]),
    ORCH_PORT_1: String(a[1]),
  });
  // s1 ended: its blocks may go to another session.
  writeFileSync(join(s1, 'store.json'), JSON.stringify({ session: { ended_at: new Date().toISOString() } }));
  const d = await leasePorts(s2, 'w9', 10);
  assert.deepEqual(d, a);
});

test('doctor: with worktree agents, git and a repository with a commit are checked', async (t) => {
  const { checkGit } = await import('../../src/doctor/tools.js');
  const none = await checkGit(tempDir(t));
  assert.equal(none.status, 'problem');
  assert.match(none.summary, /is not in a git repository, and agents with worktree: true need one/);
  const good = await checkGit(makeRepo(t));
  assert.equal(good.status, 'ok');
  assert.match(good.summary, /^git version [\d.]+; worktrees from /);
});
