// Merges that try to lose work, with real git in throwaway repositories: a target git is busy with
// (mid-rebase, mid-merge, mid-cherry-pick, bisecting) is never moved, nor counted as holding an
// agent's work at session end; merges into one checked-out branch at once leave its index and
// files exactly as HEAD has them; --commit-all that meets a conflict commits nothing; `conflicts`
// exits 1 when it finds some; the merge lock waits for a live holder and takes over a dead one's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { commitAll, git, GIT_ENV, makeRepo, writeFiles } from '../helpers/git.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmux.js';
import { mergeAgent } from '../../src/worktrees/merge.js';
import { removeWorktree } from '../../src/worktrees/cleanup.js';
import { withRefLock } from '../../src/git/lock.js';
import type { AgentRecord, StoreData } from '../../src/store/types.js';

Object.assign(process.env, GIT_ENV);

const API = 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n';

/** A repo with a worktree per agent name (branch s/<name> from main), and a store naming them. */
function team(t: Parameters<typeof makeRepo>[0], names: string[]) {
  const repo = makeRepo(t, { 'src/api.ts': API, 'README.md': 'hi\n', 'c.txt': 'base\n' });
  writeFileSync(join(repo, '.git', 'info', 'exclude'), '/.worktrees/\n');
  const agents: Record<string, AgentRecord> = Object.fromEntries(
    names.map((name) => {
      const path = join(repo, '.worktrees', 's', name);
      git(repo, 'worktree', 'add', '-q', '-b', `s/${name}`, path, 'main');
      return [
        name,
        {
          name,
          role: 'worker',
          status: 'exited',
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
        } as unknown as AgentRecord,
      ];
    }),
  );
  const state = tempDir(t!);
  const data: StoreData = {
    version: 1,
    session: {
      name: 's',
      socket: null,
      tmux_id: '$1',
      layout_file: '/x',
      root: repo,
      state_dir: state,
      created_at: '',
      ended_at: null,
      windows: [],
    },
    agents,
  } as StoreData;
  writeFileSync(join(state, 'store.json'), JSON.stringify(data));
  return { repo, agents, state, path: (name: string) => agents[name]!.worktree!.path };
}

/** Every ref, and each checkout's HEAD, index (ls-files -s, diff --cached), status and the files' bytes. */
function picture(repo: string, paths: string[], files: string[] = ['src/api.ts', 'README.md', 'c.txt']): string {
  const read = (p: string, f: string): string => {
    try {
      return readFileSync(join(p, f), 'utf8');
    } catch {
      return '(none)';
    }
  };
  return JSON.stringify({
    refs: git(repo, 'for-each-ref', '--format=%(refname) %(objectname)'),
    trees: paths.map((p) => ({
      head: git(p, 'rev-parse', 'HEAD'),
      index: git(p, 'ls-files', '-s'),
      cached: git(p, 'diff', '--cached'),
      status: git(p, 'status', '--porcelain', '--untracked-files=all'),
      files: files.map((f) => read(p, f)),
    })),
  });
}

/** A git command that is expected to stop (a conflict): its exit code is not a failure of the test. */
const gitStops = (dir: string, ...args: string[]): void => {
  try {
    execFileSync('git', ['-C', dir, ...args], { env: { ...process.env, ...GIT_ENV }, stdio: 'ignore' });
  } catch {
    /* stopped, as meant */
  }
};

/** main and side change c.txt differently: a rebase, merge or cherry-pick of one onto the other stops. */
function diverge(repo: string): void {
  git(repo, 'checkout', '-q', '-b', 'side');
  writeFiles(repo, { 'c.txt': 'side\n' });
  commitAll(repo, 'side changes c');
  git(repo, 'checkout', '-q', 'main');
  writeFiles(repo, { 'c.txt': 'main\n' });
  commitAll(repo, 'main changes c');
}

test("a merge into main while main is mid-rebase is refused: main and the agent's branch stay, and session end keeps the agent's branch", async (t) => {
  const { repo, agents, state, path } = team(t, ['w1']);
  writeFiles(path('w1'), { 'src/api.ts': API.replace('b = 2', 'b = 10') });
  commitAll(path('w1'), 'w1 work');
  diverge(repo);
  gitStops(repo, 'rebase', 'side');
  assert.match(readFileSync(join(repo, '.git', 'rebase-merge', 'head-name'), 'utf8'), /refs\/heads\/main/);
  const before = picture(repo, [repo, path('w1')]);
  await assert.rejects(
    mergeAgent({ agent: agents.w1!, mode: 'merge' }),
    /main is in the middle of a rebase in .*project; finish it .*rebase --continue.* or abort it .*rebase --abort.*Nothing was changed/s,
  );
  await assert.rejects(mergeAgent({ agent: agents.w1!, mode: 'squash', commitAll: 'x' }), /middle of a rebase/);
  assert.equal(picture(repo, [repo, path('w1')]), before);

  // Say main got the work during the rebase (as the old merge did by update-ref): session end must not take that as merged.
  const w1Tip = git(repo, 'rev-parse', 's/w1');
  const mainTip = git(repo, 'rev-parse', 'main');
  git(
    repo,
    'update-ref',
    'refs/heads/main',
    git(repo, 'commit-tree', `${w1Tip}^{tree}`, '-p', mainTip, '-p', w1Tip, '-m', 'merged under the rebase'),
  );
  const done = await removeWorktree(agents.w1!, state);
  assert.equal(done.removed, false, done.text);
  assert.match(done.text, /main is in the middle of a rebase/);
  gitStops(repo, 'rebase', '--abort');
  assert.equal(
    git(repo, 'rev-parse', 's/w1'),
    w1Tip,
    "the agent's branch and its commit are still there after the rebase is aborted",
  );
  assert.equal(git(repo, 'rev-parse', 'main'), mainTip);
});

test('a target mid-merge, mid-cherry-pick, mid-revert or bisecting (in the main checkout or another worktree) is refused, and nothing changes', async (t) => {
  const cases: { name: string; start: (dir: string) => void; expected: RegExp; into?: string }[] = [
    { name: 'merge', start: (d) => gitStops(d, 'merge', 'side'), expected: /middle of a merge in .*merge --abort/ },
    {
      name: 'cherry-pick',
      start: (d) => gitStops(d, 'cherry-pick', 'side'),
      expected: /middle of a cherry-pick in .*cherry-pick --abort/,
    },
    {
      name: 'revert',
      start: (d) => {
        writeFiles(d, { 'c.txt': 'main again\n' });
        commitAll(d, 'main again');
        gitStops(d, 'revert', '--no-edit', 'HEAD~1');
      },
      expected: /middle of a revert in .*revert --abort/,
    },
    {
      name: 'bisect',
      start: (d) => {
        git(d, 'bisect', 'start');
        git(d, 'bisect', 'bad');
        git(d, 'bisect', 'good', 'HEAD~1');
      },
      expected: /middle of a bisect in .*bisect reset/,
    },
    {
      name: 'merge in a linked worktree of the target',
      into: 'release',
      start: (d) => gitStops(d, 'merge', 'side'),
      expected: /release is in the middle of a merge in .*release-wt/,
    },
  ];
  for (const c of cases) {
    const { repo, agents, path } = team(t, ['w1']);
    writeFiles(path('w1'), { 'src/api.ts': API.replace('b = 2', 'b = 10') });
    commitAll(path('w1'), 'w1 work');
    diverge(repo);
    let where = repo;
    if (c.into) {
      where = join(repo, '..', 'release-wt');
      git(repo, 'worktree', 'add', '-q', '-b', c.into, where, 'main');
    }
    c.start(where);
    const before = picture(repo, [repo, where, path('w1')]);
    await assert.rejects(
      mergeAgent({ agent: agents.w1!, mode: 'merge', ...(c.into ? { into: c.into } : {}) }),
      c.expected,
      c.name,
    );
    assert.equal(picture(repo, [repo, where, path('w1')]), before, c.name);
  }
});

test("merges into the checked-out main at once: each lands on top of the other, and main's index and files are exactly its HEAD", async (t) => {
  const names = ['w1', 'w2', 'w3', 'w4'];
  const { repo, agents, path } = team(t, names);
  // Each adds a file, and w2 deletes one: a checkout left half-moved shows as a staged add or delete.
  for (const n of names) {
    writeFiles(path(n), { [`${n}.txt`]: `${n}\n` });
    if (n === 'w2') git(path(n), 'rm', '-q', 'README.md');
    commitAll(path(n), `${n} work`);
  }
  const outcomes = await Promise.all(
    names.map((n) =>
      mergeAgent({ agent: agents[n]!, mode: 'merge' }).catch((error: Error) => ({
        result: 'refused',
        message: error.message,
      })),
    ),
  );
  for (const o of outcomes) assert.equal(o.result, 'merged', o.message);
  assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=all'), '');
  assert.equal(git(repo, 'diff', '--cached'), '');
  for (const n of names) assert.equal(readFileSync(join(repo, `${n}.txt`), 'utf8'), `${n}\n`);
  assert.equal(git(repo, 'ls-files', 'README.md'), '');
});

test('two merge commands at once into the checked-out main: the second waits for the first and merges on top; the checkout is exactly its HEAD', async (t) => {
  const { repo, path, state } = team(t, ['w1', 'w2']);
  writeFiles(path('w1'), { 'one.txt': '1\n' });
  commitAll(path('w1'), 'w1 adds one');
  git(path('w2'), 'rm', '-q', 'README.md');
  writeFiles(path('w2'), { 'two.txt': '2\n' });
  commitAll(path('w2'), 'w2 deletes README, adds two');
  const [a, b] = await Promise.all(
    ['w1', 'w2'].map((n) => run(orchestrateScript, ['merge', n, '--state', state], { env: GIT_ENV })),
  );
  const results = [a!, b!];
  for (const r of results)
    assert.ok(r.exitCode === 0 || /Nothing was changed/.test(r.stderr), `${r.stdout}${r.stderr}`);
  // Whatever happened, the checkout is exactly its HEAD: no staged add or delete left behind.
  assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=all'), '');
  assert.equal(git(repo, 'diff', '--cached'), '');
  assert.equal(
    git(repo, 'ls-files', '-s'),
    git(repo, 'ls-tree', '-r', '--format=%(objectmode) %(objectname) 0\t%(path)', 'HEAD'),
  );
  assert.deepEqual(
    results.map((r) => r.exitCode),
    [0, 0],
    results.map((r) => r.stdout + r.stderr).join('\n'),
  );
  assert.equal(git(repo, 'show', 'main:one.txt'), '1');
  assert.equal(git(repo, 'show', 'main:two.txt'), '2');
});

test("merge --commit-all that meets a conflict commits nothing: the agent's branch, index and files are as they were, exit 1", async (t) => {
  const { repo, agents, path, state } = team(t, ['w1', 'w2']);
  writeFiles(path('w1'), { 'src/api.ts': API.replace('b = 2', 'b = 10') });
  commitAll(path('w1'), 'w1: b is 10');
  assert.equal((await mergeAgent({ agent: agents.w1!, mode: 'merge' })).result, 'merged');
  writeFiles(path('w2'), {
    'src/api.ts': API.replace('b = 2', 'b = 20'),
    'notes.txt': 'untracked\n',
    'README.md': 'staged\n',
  });
  git(path('w2'), 'add', 'README.md');
  const before = picture(repo, [repo, path('w2')], ['src/api.ts', 'README.md', 'notes.txt']);
  const r = await run(orchestrateScript, ['merge', 'w2', '--commit-all', 'w2 work', '--state', state], {
    env: GIT_ENV,
  });
  assert.equal(r.exitCode, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /does not merge cleanly into main: conflicts in src\/api.ts\. Nothing was changed.*Nothing was committed/,
  );
  assert.equal(picture(repo, [repo, path('w2')], ['src/api.ts', 'README.md', 'notes.txt']), before);

  // A refusal by the target's checkout (a local change there the merge would overwrite) commits nothing either.
  const { repo: repo2, agents: agents2, path: path2 } = team(t, ['w3']);
  writeFiles(path2('w3'), { 'src/api.ts': API.replace('b = 2', 'b = 30') });
  writeFiles(repo2, { 'src/api.ts': API.replace('c = 3', 'c = 33') });
  const before2 = picture(repo2, [repo2, path2('w3')]);
  await assert.rejects(
    mergeAgent({ agent: agents2.w3!, mode: 'merge', commitAll: 'w3 work' }),
    /checked out at .*Nothing was changed/s,
  );
  assert.equal(picture(repo2, [repo2, path2('w3')]), before2);

  // And one that goes through commits exactly what was there, leaving the worktree clean.
  writeFiles(path('w2'), { 'src/api.ts': API.replace('b = 2', 'b = 10') });
  const ok = await mergeAgent({ agent: agents.w2!, mode: 'merge', commitAll: 'w2 work' });
  assert.equal(ok.result, 'merged', ok.message);
  assert.equal(git(path('w2'), 'status', '--porcelain', '--untracked-files=all'), '');
  assert.equal(git(path('w2'), 'log', '-1', '--format=%s'), 'w2 work');
  assert.equal(git(repo, 'show', 'main:notes.txt'), 'untracked');
  assert.equal(git(repo, 'status', '--porcelain'), '');
});

test('conflicts exits 1 when it finds conflicts (text and --json), 0 when there are none', async (t) => {
  const { path, state } = team(t, ['w1', 'w2']);
  const none = await run(orchestrateScript, ['conflicts', '--state', state], { env: GIT_ENV });
  assert.equal(none.exitCode, 0, none.stderr);
  assert.match(none.stdout, /No conflicts/);
  writeFiles(path('w1'), { 'src/api.ts': API.replace('b = 2', 'b = 10') });
  writeFiles(path('w2'), { 'src/api.ts': API.replace('b = 2', 'b = 20') });
  const found = await run(orchestrateScript, ['conflicts', '--state', state], { env: GIT_ENV });
  assert.equal(found.exitCode, 1, found.stdout + found.stderr);
  assert.match(found.stdout, /w1 and w2 both change src\/api.ts/);
  const json = await run(orchestrateScript, ['conflicts', '--json', '--state', state], { env: GIT_ENV });
  assert.equal(json.exitCode, 1);
  assert.equal((JSON.parse(json.stdout) as unknown[]).length, 1);
});

test("the merge lock: a holder that still runs keeps a merge waiting, then refused with nothing changed; a dead holder's lock is taken over", async (t) => {
  const { repo } = team(t, []);
  const file = join(
    repo,
    '.git',
    `orchestrator-merge-${createHash('sha1').update('refs/heads/main').digest('hex').slice(0, 16)}.lock`,
  );
  const holder = spawn('sleep', ['30'], { stdio: 'ignore' });
  t.after(() => {
    holder.kill();
  });
  writeFileSync(file, `${holder.pid} ${hostname()}\n`);
  let ran = false;
  await assert.rejects(
    withRefLock(
      repo,
      'refs/heads/main',
      async () => {
        ran = true;
      },
      300,
    ),
    /another merge into main is under way \(process \d+ .*\) and did not finish within 0 s\. Nothing was changed/,
  );
  assert.equal(ran, false);
  assert.equal(readFileSync(file, 'utf8'), `${holder.pid} ${hostname()}\n`, "a live holder's lock is left alone");
  holder.kill();
  await new Promise((resolve) => holder.once('exit', resolve));
  assert.equal(
    await withRefLock(repo, 'refs/heads/main', async () => readFileSync(file, 'utf8'), 300),
    `${process.pid} ${hostname()}\n`,
  );
  assert.equal(existsSync(file), false, 'released after');
});

// Clean and detached, a rebase in the agent's own worktree passes every other check.
test("the agent's own branch mid-rebase: removal keeps the worktree, the rebase and the branch", async (t) => {
  const { repo, agents, state, path } = team(t, ['w1']);
  writeFiles(path('w1'), { 'c.txt': 'w1\n' });
  commitAll(path('w1'), 'w1 work');
  const w1Tip = git(repo, 'rev-parse', 's/w1');
  // main has the work already, so only the rebase stands between the worktree and its removal.
  git(repo, 'merge', '-q', '--ff-only', 's/w1');
  // A rebase that stops after its first step with nothing to commit: the tree is clean, HEAD detached.
  gitStops(path('w1'), 'rebase', '--exec', 'false', 'HEAD~1');
  assert.ok(existsSync(join(git(path('w1'), 'rev-parse', '--absolute-git-dir'), 'rebase-merge')));
  const done = await removeWorktree(agents.w1!, state);
  assert.equal(done.removed, false, done.text);
  assert.match(done.text, /s\/w1 is in the middle of a rebase/);
  assert.ok(existsSync(path('w1')));
  gitStops(path('w1'), 'rebase', '--abort');
  assert.equal(git(repo, 'rev-parse', 's/w1'), w1Tip);
});
