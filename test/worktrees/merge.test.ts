// Merging agents' branches with real git in throwaway repositories: merge, squash and rebase land
// cleanly; a conflict, or a checkout whose local changes would be overwritten, changes nothing at
// all (every ref, index and file is compared before and after); git commands that destroy work
// are refused outright.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { commitAll, git, GIT_ENV, makeRepo, writeFiles } from '../helpers/git.js';
import { destructive, git as runGit } from '../../src/git/git.js';
import { conflictRanges, contentMerged, mergeTree, snapshotCommit } from '../../src/git/merge-tree.js';
import { mergeAgent } from '../../src/worktrees/merge.js';
import type { AgentRecord } from '../../src/store/types.js';

Object.assign(process.env, GIT_ENV);

const API = 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n';

/** A repo with a worktree per agent name, each on branch s/<name> from main. */
function team(t: Parameters<typeof makeRepo>[0], names: string[]) {
  const repo = makeRepo(t, { 'src/api.ts': API, 'README.md': 'hi\n' });
  const agents = Object.fromEntries(
    names.map((name) => {
      const path = join(repo, '.worktrees', 's', name);
      git(repo, 'worktree', 'add', '-q', '-b', `s/${name}`, path, 'main');
      const agent = {
        name,
        worktree: {
          repo,
          path,
          branch: `s/${name}`,
          base: 'main',
          base_commit: git(repo, 'rev-parse', 'main'),
          created_at: '',
          setup: 'none',
          setup_log: null,
        },
      } as unknown as AgentRecord;
      return [name, agent];
    }),
  );
  writeFileSync(join(repo, '.git', 'info', 'exclude'), '/.worktrees/\n');
  return { repo, agents };
}

/** Everything a merge could touch: every ref, every worktree's HEAD, index and status, and the files. */
function picture(repo: string, paths: string[]): string {
  return JSON.stringify({
    refs: git(repo, 'for-each-ref', '--format=%(refname) %(objectname)'),
    trees: paths.map((p) => ({
      head: git(p, 'rev-parse', 'HEAD'),
      index: git(p, 'ls-files', '-s'),
      status: git(p, 'status', '--porcelain'),
      api: readFileSync(join(p, 'src/api.ts'), 'utf8'),
    })),
  });
}

test('destructive git commands are refused before git runs', async () => {
  const refused = [
    ['reset', '--hard'],
    ['clean', '-fd'],
    ['checkout', '--', '.'],
    ['checkout', '-f', 'main'],
    ['restore', '.'],
    ['switch', '--discard-changes', 'x'],
    ['worktree', 'remove', '--force', '/x'],
    ['worktree', 'remove', '-f', '/x'],
    ['branch', '-D', 'x'],
    ['branch', '-d', '-f', 'x'],
    ['push', '--force'],
  ];
  for (const args of refused) {
    assert.ok(destructive(args), args.join(' '));
    await assert.rejects(runGit('/', args), /refused to run git/, args.join(' '));
  }
  for (const args of [
    ['worktree', 'remove', '/x'],
    ['branch', '-d', 'x'],
    ['merge', '--ff-only', 'x'],
    ['checkout', 'main'],
    ['reset', '--soft', 'HEAD'],
  ])
    assert.equal(destructive(args), undefined, args.join(' '));
});

test('conflict ranges are the lines of the first side, with diff3 bases skipped', () => {
  assert.deepEqual(
    conflictRanges(
      'a\n<<<<<<< x\nb1\nb2\n=======\nB\n>>>>>>> y\nc\n<<<<<<< x\n||||||| base\nold\n=======\nnew\n>>>>>>> y\n',
    ),
    [
      [2, 3],
      [5, 5],
    ],
  );
});

test('a snapshot holds uncommitted and untracked work and leaves the index and HEAD as they were', async (t) => {
  const { agents } = team(t, ['w1']);
  const wt = agents.w1!.worktree!.path;
  writeFiles(wt, { 'src/api.ts': API.replace('b = 2', 'b = 20'), 'new.txt': 'new\n' });
  git(wt, 'add', 'src/api.ts');
  const before = {
    head: git(wt, 'rev-parse', 'HEAD'),
    index: git(wt, 'ls-files', '-s'),
    status: git(wt, 'status', '--porcelain'),
  };
  const snap = await snapshotCommit(wt);
  assert.equal(snap.dirty, true);
  assert.deepEqual(
    { head: git(wt, 'rev-parse', 'HEAD'), index: git(wt, 'ls-files', '-s'), status: git(wt, 'status', '--porcelain') },
    before,
  );
  assert.equal(git(wt, 'show', `${snap.commit}:new.txt`), 'new');
  assert.match(git(wt, 'show', `${snap.commit}:src/api.ts`), /b = 20/);
  git(wt, 'commit', '-q', '-m', 'w');
  git(wt, 'add', '-A');
  git(wt, 'commit', '-q', '-m', 'w2');
  assert.deepEqual(await snapshotCommit(wt), { commit: git(wt, 'rev-parse', 'HEAD'), dirty: false });
});

test('two agents changing the same line conflict, found without touching any checkout; other files merge', async (t) => {
  const { repo, agents } = team(t, ['w1', 'w2']);
  const [p1, p2] = [agents.w1!.worktree!.path, agents.w2!.worktree!.path];
  writeFiles(p1, { 'src/api.ts': API.replace('b = 2', 'b = 10') });
  writeFiles(p2, { 'src/api.ts': API.replace('b = 2', 'b = 20'), 'other.txt': 'x\n' });
  const before = picture(repo, [repo, p1, p2]);
  const [s1, s2] = [await snapshotCommit(p1), await snapshotCommit(p2)];
  const merged = await mergeTree(repo, s1.commit, s2.commit);
  assert.equal(merged.clean, false);
  assert.deepEqual(merged.conflicts, [{ path: 'src/api.ts', kind: 'contents', lines: [[2, 2]] }]);
  assert.equal(picture(repo, [repo, p1, p2]), before);
  assert.equal((await mergeTree(repo, 'main', s2.commit)).clean, true);
});

test('merge: the first agent fast-forwards the checked-out main; the second conflicts and nothing changes anywhere', async (t) => {
  const { repo, agents } = team(t, ['w1', 'w2']);
  const [p1, p2] = [agents.w1!.worktree!.path, agents.w2!.worktree!.path];
  writeFiles(p1, { 'src/api.ts': API.replace('b = 2', 'b = 10') });
  commitAll(p1, 'w1: b is 10');
  writeFiles(p2, { 'src/api.ts': API.replace('b = 2', 'b = 20') });
  commitAll(p2, 'w2: b is 20');
  // A local change in main's checkout that the merge does not touch stays.
  writeFiles(repo, { 'README.md': 'local edit\n' });

  const first = await mergeAgent({ agent: agents.w1!, mode: 'merge' });
  assert.equal(first.result, 'merged', first.message);
  assert.match(first.message, /fast-forwarded 1 commit of s\/w1 into main/);
  assert.match(readFileSync(join(repo, 'src/api.ts'), 'utf8'), /b = 10/);
  assert.equal(readFileSync(join(repo, 'README.md'), 'utf8'), 'local edit\n');

  const before = picture(repo, [repo, p1, p2]);
  const second = await mergeAgent({ agent: agents.w2!, mode: 'merge' });
  assert.equal(second.result, 'conflict');
  assert.deepEqual(
    second.conflicts.map((c) => c.path),
    ['src/api.ts'],
  );
  assert.match(second.message, /Nothing was changed/);
  assert.equal(picture(repo, [repo, p1, p2]), before);
  assert.equal(readFileSync(join(repo, 'README.md'), 'utf8'), 'local edit\n');
  for (const mode of ['squash', 'rebase'] as const) {
    assert.equal((await mergeAgent({ agent: agents.w2!, mode })).result, 'conflict', mode);
    assert.equal(picture(repo, [repo, p1, p2]), before, mode);
  }
  assert.equal((await mergeAgent({ agent: agents.w2!, mode: 'merge', check: true })).result, 'conflict');
});

test('a merge git would have to write over local changes in the target checkout is refused, and nothing changes', async (t) => {
  const { repo, agents } = team(t, ['w1']);
  const p1 = agents.w1!.worktree!.path;
  writeFiles(p1, { 'src/api.ts': API.replace('b = 2', 'b = 10') });
  commitAll(p1, 'w1');
  writeFiles(repo, { 'src/api.ts': API.replace('c = 3', 'c = 30') });
  const before = picture(repo, [repo, p1]);
  await assert.rejects(mergeAgent({ agent: agents.w1!, mode: 'merge' }), /checked out at .*Nothing was changed/s);
  assert.equal(picture(repo, [repo, p1]), before);
});

test('squash and rebase land one or each commit on a branch that moved on; merge makes a merge commit; --check changes nothing', async (t) => {
  const { repo, agents } = team(t, ['w1', 'w2', 'w3']);
  git(repo, 'checkout', '-q', '-b', 'elsewhere');
  writeFiles(repo, { 'README.md': 'main moved\n' });
  git(repo, 'checkout', '-q', 'main');
  writeFiles(repo, { 'README.md': 'main moved\n' });
  commitAll(repo, 'main moves on');
  git(repo, 'checkout', '-q', 'elsewhere');
  for (const [name, file] of [
    ['w1', 'one.txt'],
    ['w2', 'two.txt'],
    ['w3', 'three.txt'],
  ] as const) {
    const p = agents[name]!.worktree!.path;
    writeFiles(p, { [file]: '1\n' });
    commitAll(p, `${name} first`);
    writeFiles(p, { [file]: '2\n' });
    commitAll(p, `${name} second`);
  }
  const mainBefore = git(repo, 'rev-parse', 'main');
  assert.equal((await mergeAgent({ agent: agents.w1!, mode: 'merge', check: true })).result, 'clean');
  assert.equal(git(repo, 'rev-parse', 'main'), mainBefore);

  assert.equal((await mergeAgent({ agent: agents.w1!, mode: 'squash' })).result, 'merged');
  assert.equal(git(repo, 'rev-list', '--count', `${mainBefore}..main`), '1');
  assert.equal(git(repo, 'show', 'main:one.txt'), '2');
  assert.equal(await contentMerged(repo, 'main', agents.w1!.worktree!.branch), true);

  const beforeRebase = git(repo, 'rev-parse', 'main');
  assert.equal((await mergeAgent({ agent: agents.w2!, mode: 'rebase' })).result, 'merged');
  assert.equal(git(repo, 'log', '--format=%s', `${beforeRebase}..main`), 'w2 second\nw2 first');
  assert.equal(git(repo, 'rev-list', '--merges', '--count', `${beforeRebase}..main`), '0');

  const beforeMerge = git(repo, 'rev-parse', 'main');
  const merged = await mergeAgent({ agent: agents.w3!, mode: 'merge' });
  assert.equal(merged.result, 'merged');
  assert.equal(git(repo, 'rev-list', '--merges', '--count', `${beforeMerge}..main`), '1');
  assert.equal((await mergeAgent({ agent: agents.w3!, mode: 'merge' })).result, 'nothing');
  // Nothing of another checkout moved: "elsewhere" is checked out in the main worktree.
  assert.equal(git(repo, 'symbolic-ref', '--short', 'HEAD'), 'elsewhere');
  assert.equal(git(repo, 'status', '--porcelain'), '');
});

test('uncommitted work is not merged unless --commit-all says so', async (t) => {
  const { repo, agents } = team(t, ['w1']);
  const p1 = agents.w1!.worktree!.path;
  writeFiles(p1, { 'a.txt': 'committed\n' });
  commitAll(p1, 'a');
  writeFiles(p1, { 'b.txt': 'not committed\n' });
  const plain = await mergeAgent({ agent: agents.w1!, mode: 'merge' });
  assert.equal(plain.result, 'merged');
  assert.deepEqual(plain.uncommitted, ['?? b.txt']);
  assert.match(plain.message, /1 uncommitted file is left/);
  assert.equal(runGitSync(repo, 'cat-file', '-e', 'main:b.txt'), false);
  const all = await mergeAgent({ agent: agents.w1!, mode: 'merge', commitAll: 'the rest' });
  assert.equal(all.result, 'merged');
  assert.equal(git(repo, 'show', 'main:b.txt'), 'not committed');
  assert.equal(git(repo, 'log', '-1', '--format=%s', 'main'), 'the rest');
});

function runGitSync(dir: string, ...args: string[]): boolean {
  try {
    git(dir, ...args);
    return true;
  } catch {
    return false;
  }
}
