// merge: true commits only its task's work: files an idle worker's worktree held uncommitted before
// the task was delivered are noted then, and the merge refuses, changing nothing, rather than sweep
// them into the task's commit. Real git in a throwaway repository, a real store in a temp dir.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, GIT_ENV, makeRepo, writeFiles } from '../helpers/git.js';
import { tempDir } from '../helpers/tmux.js';
import { Store } from '../../src/store/store.js';
import { mergeRunTask, noteLeftovers } from '../../src/workflow/merges.js';
import { bootstrapFiles } from '../../src/worktrees/files.js';
import type { AgentRecord, StoreData, TaskRecord } from '../../src/store/types.js';

Object.assign(process.env, GIT_ENV);

/** A store with agent w1 (a worktree on s/w1) and a run whose task "first" (merge: true) has one try, t1, on w1. */
async function setup(t: Parameters<typeof makeRepo>[0]) {
  const repo = makeRepo(t, { 'README.md': 'hi\n', 'api.ts': 'a\n' });
  writeFileSync(join(repo, '.git', 'info', 'exclude'), '/.worktrees/\n');
  const path = join(repo, '.worktrees', 'w1');
  git(repo, 'worktree', 'add', '-q', '-b', 's/w1', path, 'main');
  const agent = {
    name: 'w1',
    role: 'worker',
    status: 'idle',
    worktree: {
      repo,
      path,
      branch: 's/w1',
      base: 'main',
      base_commit: git(repo, 'rev-parse', 'main'),
      created_at: '',
      setup: 'none',
      setup_log: null,
    },
  } as unknown as AgentRecord;
  const task = {
    id: 't1',
    seq: 1,
    target: { agent: 'w1' },
    agent: 'w1',
    prompt: 'p',
    state: 'delivering',
    created_at: '',
    delivered_at: null,
    started_at: null,
    ended_at: null,
    result: null,
    error: null,
    attempts: 1,
    cost_usd: 0,
    run: 'r1',
    run_task: 'first',
  } as unknown as TaskRecord;
  const spec = {
    name: 'flow',
    file: '/x.yaml',
    description: null,
    tasks: [{ name: 'first', prompt: 'p', needs: [], target: { agent: 'w1' }, timeout_s: 0, retries: 0, merge: true }],
  };
  const run = {
    id: 'r1',
    name: 'flow',
    file: '/x.yaml',
    state: 'running',
    created_at: '',
    ended_at: null,
    spec,
    tasks: {
      first: {
        name: 'first',
        state: 'merging',
        needs: [],
        target: { agent: 'w1' },
        tries: ['t1'],
        agent: 'w1',
        started_at: null,
        ended_at: null,
        result: null,
        error: null,
        cost_usd: 0,
      },
    },
  };
  const state = tempDir(t!);
  writeFileSync(
    join(state, 'store.json'),
    JSON.stringify({
      version: 1,
      session: null,
      agents: { w1: agent },
      tasks: { t1: task },
      runs: { r1: run },
    } as unknown as StoreData),
  );
  return { repo, path, agent, task, store: await Store.open(state) };
}

test("merge: true with an earlier task's uncommitted edits in the worktree: not swept into the task's commit; the merge refuses and changes nothing", async (t) => {
  const { repo, path, agent, task, store } = await setup(t);
  // Left over from earlier work (a task without merge: true, a person): an edit and a new file.
  writeFiles(path, { 'README.md': 'earlier edit\n', 'notes.txt': 'earlier\n' });
  const log: string[] = [];
  await noteLeftovers(store, agent, task, (l) => log.push(l));
  assert.deepEqual(store.data.tasks!.t1!.leftovers, ['README.md', 'notes.txt'], log.join('\n'));
  // The task's own work.
  writeFiles(path, { 'api.ts': 'a\nb\n' });
  const before = JSON.stringify({
    refs: git(repo, 'for-each-ref'),
    status: git(path, 'status', '--porcelain'),
    index: git(path, 'ls-files', '-s'),
    main: git(repo, 'status', '--porcelain'),
  });
  const outcome = await mergeRunTask(store.data, { run: 'r1', task: 'first', agent: 'w1' });
  assert.equal(outcome.ok, false);
  assert.match(
    outcome.text,
    /^not merged: .*w1 held uncommitted files before this task began \(README.md, notes.txt\), and merge: true commits only the task's own work\. Nothing was committed or merged/,
  );
  assert.equal(
    JSON.stringify({
      refs: git(repo, 'for-each-ref'),
      status: git(path, 'status', '--porcelain'),
      index: git(path, 'ls-files', '-s'),
      main: git(repo, 'status', '--porcelain'),
    }),
    before,
  );
  assert.equal(readFileSync(join(path, 'README.md'), 'utf8'), 'earlier edit\n');
});

test("merge: true on a clean worktree commits and merges the task's work", async (t) => {
  const { repo, path, agent, task, store } = await setup(t);
  await noteLeftovers(store, agent, task, () => {});
  assert.deepEqual(store.data.tasks!.t1!.leftovers, []);
  writeFiles(path, { 'api.ts': 'a\nb\n' });
  const outcome = await mergeRunTask(store.data, { run: 'r1', task: 'first', agent: 'w1' });
  assert.equal(outcome.ok, true, outcome.text);
  assert.equal(git(repo, 'show', 'main:api.ts'), 'a\nb');
  assert.equal(git(repo, 'log', '-1', '--format=%s', 'main'), 'flow: first (run r1)');
  assert.equal(git(path, 'status', '--porcelain'), '');
});

test("merge: true in a worktree with copied files: the unchanged copies are no one's leftovers, and the merge leaves them out of the commit", async (t) => {
  const { repo, path, agent, task, store } = await setup(t);
  writeFileSync(join(repo, '.env'), 'KEY=secret\n');
  bootstrapFiles(repo, path, { copy: ['.env'], link: [] });
  await noteLeftovers(store, agent, task, () => {});
  assert.deepEqual(store.data.tasks!.t1!.leftovers, []);
  writeFiles(path, { 'api.ts': 'a\nb\n' });
  const outcome = await mergeRunTask(store.data, { run: 'r1', task: 'first', agent: 'w1' });
  assert.equal(outcome.ok, true, outcome.text);
  assert.equal(git(repo, 'show', 'main:api.ts'), 'a\nb');
  assert.equal(git(repo, 'ls-tree', '--name-only', 'main'), 'README.md\napi.ts');
  assert.equal(readFileSync(join(path, '.env'), 'utf8'), 'KEY=secret\n');
});
