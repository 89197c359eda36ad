// The archive on a real file system: finished history leaves the live store in batches, is found by
// id and page by page, survives a kill at any byte of an append, and is never written twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, truncateSync, statSync, writeFileSync } from 'node:fs';
import { archiveFile, indexFile } from '../../src/store/paths.js';
import { archivedNewestFirst, findArchived, readEntry, readIndex } from '../../src/store/archive.js';
import { archiveHistory, retentionFromEnv } from '../../src/store/retention.js';
import { findRun, findTask, taskPage, waitForTask } from '../../src/tasks/client.js';
import { resumeRun } from '../../src/workflow/runs.js';
import { recordPass } from '../../src/recorder/pass.js';
import { emptyStore, type RunRecord, type StoreData, type TaskRecord } from '../../src/store/types.js';
import { tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run } from '../helpers/cli.js';

const keep = { tasks: 4, runs: 2, events: 10 };

function task(seq: number, state: TaskRecord['state'] = 'done', extra: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: `t-${String(seq).padStart(4, '0')}`,
    seq,
    target: { agent: 'w1' },
    agent: 'w1',
    prompt: `prompt ${seq} "quoted" \n line`,
    state,
    created_at: new Date(1e12 + seq).toISOString(),
    delivered_at: null,
    started_at: null,
    ended_at: state === 'done' ? new Date(1e12 + seq).toISOString() : null,
    result: `answer ${seq} ${'x'.repeat(seq % 7)}`,
    error: null,
    attempts: 1,
    cost_usd: 0.01,
    ...extra,
  };
}

function storeWith(tasks: TaskRecord[]): StoreData {
  const data = emptyStore();
  data.tasks = Object.fromEntries(tasks.map((t) => [t.id, t]));
  return data;
}

const lines = (file: string): string[] => readFileSync(file, 'utf8').split('\n').filter(Boolean);

test('finished tasks beyond the window move to the archive in a batch; open ones and the newest stay', (t) => {
  const dir = tempDir(t);
  const data = storeWith([...Array.from({ length: 5 }, (_, i) => task(i + 1)), task(6, 'queued'), task(7, 'running')]);
  assert.deepEqual(archiveHistory(data, dir, keep), [], 'one over the window is within the slack');
  for (let i = 8; i <= 12; i++) data.tasks![`t-${String(i).padStart(4, '0')}`] = task(i);
  assert.deepEqual(archiveHistory(data, dir, keep), ['6 finished task(s)']);
  assert.deepEqual(Object.keys(data.tasks!).sort(), ['t-0006', 't-0007', 't-0009', 't-0010', 't-0011', 't-0012']);
  assert.equal(
    lines(archiveFile(dir, 'tasks')).length,
    10,
    'every finished task is written whole, the 4 kept live too',
  );
  assert.ok(Object.values(data.tasks!).every((x) => Boolean(x.archived) === (x.state === 'done')));
  assert.deepEqual(data.archive?.tasks?.by_state, { done: 6 });
  assert.equal(data.archive?.tasks?.count, 6);
  assert.equal(data.archive?.tasks?.cost_usd, 0.06);
  const found = findTask(data, 't-0003', dir);
  assert.equal(found.result, 'answer 3 xxx');
  assert.equal(found.prompt, 'prompt 3 "quoted" \n line');
  assert.equal(findTask(data, '0002', dir).id, 't-0002', 'by the end of its id');
  assert.throws(() => findTask(data, 't-00', dir), /matches \d+ tasks/);
  assert.throws(() => findTask(data, 't-9999', dir), /no task "t-9999"/);
  assert.throws(() => findTask(data, 't-0003'), /no task/, 'without the state directory only the live store is read');
});

test("an agent's current task and the tasks of a run still going stay live", (t) => {
  const dir = tempDir(t);
  const data = storeWith(
    Array.from({ length: 12 }, (_, i) => task(i + 1, 'done', i < 3 ? { run: 'r-1', run_task: `s${i}` } : {})),
  );
  data.runs = {
    'r-1': {
      id: 'r-1',
      name: 'wf',
      file: 'wf.yaml',
      state: 'running',
      created_at: new Date(1e12).toISOString(),
      ended_at: null,
      spec: { name: 'wf', file: 'wf.yaml', description: null, tasks: [] },
      tasks: {},
    },
  };
  data.agents = { w1: { name: 'w1', task_id: 't-0004' } as StoreData['agents'][string] };
  archiveHistory(data, dir, keep);
  for (const id of ['t-0001', 't-0002', 't-0003', 't-0004']) assert.ok(data.tasks![id], `${id} stays`);
  assert.ok(!data.tasks!['t-0005'], 'the oldest other finished task moved');
});

test('a page of every task, newest first, spans the live store and the archive without repeats', (t) => {
  const dir = tempDir(t);
  const data = storeWith(Array.from({ length: 30 }, (_, i) => task(i + 1)));
  archiveHistory(data, dir, keep);
  // A task both archived and still live (a recorder killed before its store write) is listed once.
  data.tasks!['t-0001'] = task(1);
  const ids = (page: number, per: number): string[] => taskPage(data, dir, page, per).tasks.map((x) => x.id);
  assert.deepEqual(ids(1, 3), ['t-0030', 't-0029', 't-0028']);
  assert.deepEqual(ids(2, 3), ['t-0027', 't-0026', 't-0025']);
  const all = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].flatMap((p) => ids(p, 3));
  assert.equal(new Set(all).size, 30);
  assert.equal(all.length, 30);
  assert.deepEqual(
    all,
    Array.from({ length: 30 }, (_, i) => `t-${String(30 - i).padStart(4, '0')}`),
  );
  assert.equal(taskPage(data, dir, 1, 3).total, 30, 'the one live again counts once');
  assert.equal(taskPage(data, dir, 1, 3).pages, 10);
  assert.deepEqual(taskPage(data, dir, 1, 2, 'nobody').tasks, []);
  assert.equal(taskPage(data, dir, 2, 25, 'w1').tasks.length, 5, 'an agent filter reads the archive too');
  const newest = (skip?: Set<string>): string[] =>
    archivedNewestFirst(dir, 'tasks', skip)
      .slice(0, 2)
      .map((e) => readEntry<TaskRecord>(dir, 'tasks', e)!.id);
  assert.deepEqual(newest(new Set(Object.keys(data.tasks!))), ['t-0026', 't-0025']);
  assert.deepEqual(newest(), ['t-0030', 't-0029'], 'the live window is in the archive too');
});

test('a kill at any byte of an append loses nothing before it, and the retry writes each task once', (t) => {
  const dir = tempDir(t);
  const data = storeWith(Array.from({ length: 10 }, (_, i) => task(i + 1)));
  archiveHistory(data, dir, keep);
  const before = structuredClone(data);
  const file = archiveFile(dir, 'tasks');
  const index = indexFile(dir, 'tasks');
  const firstBatch = statSync(file).size;
  const firstIndex = statSync(index).size;
  // The second batch, whose store write never happened: every cut of its bytes must leave the
  // first batch whole, and a retry from the old store must end with each task once.
  for (let i = 11; i <= 20; i++) before.tasks![`t-${String(i).padStart(4, '0')}`] = task(i);
  const probe = structuredClone(before);
  archiveHistory(probe, dir, keep);
  const full = readFileSync(file);
  const fullIndex = readFileSync(index);
  // Every 37th byte, and each line's end: just before its newline, at it and just after.
  const cuts = new Set<number>();
  for (let cut = firstBatch; cut <= full.length; cut += 37) cuts.add(cut);
  for (let i = full.indexOf(0x0a, firstBatch); i >= 0; i = full.indexOf(0x0a, i + 1))
    for (const d of [-1, 0, 1]) if (i + d >= firstBatch && i + d <= full.length) cuts.add(i + d);
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    writeFileSync(file, full);
    writeFileSync(index, fullIndex);
    truncateSync(file, cut);
    // The index may be cut anywhere too (it is written after the records).
    truncateSync(
      index,
      firstIndex +
        Math.floor(((fullIndex.length - firstIndex) * (cut - firstBatch)) / Math.max(1, full.length - firstBatch)),
    );
    for (const id of ['t-0001', 't-0006'])
      assert.equal(findArchived<TaskRecord>(dir, 'tasks', id)[0]?.id, id, `cut at ${cut}: ${id} still found`);
    const again = structuredClone(before);
    archiveHistory(again, dir, keep);
    const ids = lines(file).flatMap((l) => {
      try {
        return [(JSON.parse(l) as TaskRecord).id];
      } catch {
        return [];
      }
    });
    assert.equal(ids.length, new Set(ids).size, `cut at ${cut}: no task written twice`);
    for (let i = 1; i <= 16; i++) {
      const id = `t-${String(i).padStart(4, '0')}`;
      assert.equal(findTask(again, id, dir).id, id, `cut at ${cut}: ${id} found`);
    }
    assert.equal(again.archive?.tasks?.count, 16);
    assert.equal(again.archive?.tasks?.bytes, statSync(file).size, 'the store knows every byte now');
  }
  // The index past a cut is rebuilt by scanning: every id is found at the place it is.
  assert.deepEqual(
    readIndex(dir, 'tasks')
      .map((e) => e.id)
      .filter((id, i, all) => all.indexOf(id) === i).length,
    20,
    'every finished task, the live window too',
  );
});

test('events and runs move too; an archived run brought back by run --resume leaves the archive counts', (t) => {
  const dir = tempDir(t);
  const data = storeWith([]);
  data.events = Array.from({ length: 20 }, (_, i) => ({
    at: new Date(1e12 + i).toISOString(),
    agent: 'w1',
    event: 'Stop',
    status: 'idle' as const,
    detail: `e${i}`,
  }));
  const run = (i: number, state: RunRecord['state']): RunRecord => ({
    id: `r-${i}`,
    name: 'wf',
    file: 'wf.yaml',
    state,
    created_at: new Date(1e12 + i).toISOString(),
    ended_at: new Date(1e12 + i).toISOString(),
    spec: { name: 'wf', file: 'wf.yaml', description: null, tasks: [] },
    tasks: {
      a: {
        name: 'a',
        state: state === 'failed' ? 'failed' : 'done',
        needs: [],
        target: { agent: 'w1' },
        tries: [],
        agent: 'w1',
        started_at: null,
        ended_at: null,
        result: null,
        error: 'x',
        cost_usd: 0,
      },
    },
  });
  data.runs = Object.fromEntries(
    [run(1, 'failed'), run(2, 'done'), run(3, 'done'), run(4, 'done')].map((r) => [r.id, r]),
  );
  assert.deepEqual(archiveHistory(data, dir, keep), ['2 finished run(s)', '10 event(s)']);
  assert.deepEqual(
    data.events.map((e) => e.detail),
    Array.from({ length: 10 }, (_, i) => `e${i + 10}`),
  );
  assert.equal(lines(archiveFile(dir, 'events')).length, 10);
  assert.deepEqual(Object.keys(data.runs).sort(), ['r-3', 'r-4']);
  assert.equal(findRun(data, 'r-1', dir)?.state, 'failed');
  assert.equal(findRun(data, 'r-9', dir), undefined);
  // The recorder takes a resume of an archived run back into the live store.
  const said = resumeRun(
    data,
    { kind: 'resume-run', id: 'q-1', at: new Date().toISOString(), run: 'r-1' },
    (id) => findArchived<RunRecord>(dir, 'runs', id)[0],
  );
  assert.match(said, /run r-1 resumed: 1 task/);
  assert.equal(data.runs['r-1']?.state, 'running');
});

test("the recorder's pass archives; the live copy of a long answer is its start, and readers get it whole", async (t) => {
  const dir = tempDir(t);
  const long = `${'a long answer, '.repeat(200)}the end`;
  const data = storeWith([
    ...Array.from({ length: 80 }, (_, i) => task(i + 1)),
    task(81, 'done', { result: long, prompt: `${'p'.repeat(5000)}!` }),
    task(82, 'running'),
  ]);
  const result = recordPass(data, dir, [], () => {});
  assert.ok(result.changed);
  assert.equal(Object.keys(data.tasks!).length, retentionFromEnv({}).tasks + 1, 'the window and the running task');
  const live = data.tasks!['t-0081']!;
  assert.ok(
    live.clipped && live.result!.length <= 301 && live.prompt.length <= 301,
    'the live copy keeps the start only',
  );
  assert.ok(JSON.stringify(data).length < 60_000, 'the live store stays small');
  writeFileSync(`${dir}/store.json`, JSON.stringify(data));
  assert.equal((await waitForTask(dir, 't-0081', 2000))?.result, long, 'a waiter gets the whole answer');
  assert.equal(findTask(data, 't-0081', dir).prompt, `${'p'.repeat(5000)}!`);
  assert.equal(findTask(data, 't-0081').result, live.result, 'without the state directory: the live copy');
  const found = await waitForTask(dir, 't-0001', 2000);
  assert.equal(found?.result, 'answer 1 x');
  assert.equal(retentionFromEnv({ ORCH_KEEP_FINISHED: '50' }).runs, 5);
  assert.equal(retentionFromEnv({ ORCH_KEEP_FINISHED: 'lots' }).tasks, 50);
});

test('a garbled line in the index hides no intact archived task: result, tasks --page and wait still find it', async (t) => {
  const dir = tempDir(t);
  const data = storeWith(Array.from({ length: 30 }, (_, i) => task(i + 1)));
  archiveHistory(data, dir, keep);
  writeFileSync(`${dir}/store.json`, JSON.stringify({ ...data, session: null }));
  const index = readFileSync(indexFile(dir, 'tasks'), 'utf8').split('\n');
  const garble = (id: string, change: (fields: string[]) => string): void => {
    const at = index.findIndex((l) => l.startsWith(`${id} `));
    index[at] = change(index[at]!.split(' '));
  };
  garble(
    't-0003',
    ([id, offset, length, order]) => `${id} ${offset} ${length!.slice(0, 1)}\u0000${length!.slice(2)} ${order} .`,
  );
  garble('t-0005', ([id, offset, length, order]) => `${id} ${offset} ${Number(length) - 9} ${order} .`);
  garble('t-0007', ([id, offset, length, order]) => `${id}${offset} ${length} ${order} .`);
  writeFileSync(indexFile(dir, 'tasks'), index.join('\n'));
  for (const id of ['t-0003', 't-0005', 't-0007']) {
    assert.equal(findTask(data, id, dir).result, task(Number(id.slice(2))).result, `${id} by its id`);
    assert.equal((await waitForTask(dir, id, 2000))?.id, id, `${id}: a waiter finds it`);
  }
  assert.equal(findTask(data, '0005', dir).id, 't-0005', 'by a part of its id');
  const listed = Array.from({ length: 3 }, (_, p) => taskPage(data, dir, p + 1, 10).tasks.map((x) => x.id)).flat();
  assert.deepEqual(
    listed,
    Array.from({ length: 30 }, (_, i) => `t-${String(30 - i).padStart(4, '0')}`),
    'every task listed once, newest first',
  );
  assert.deepEqual(taskPage(data, dir, 1, 50, 'w1').tasks.length, 30, "an agent's tasks too");
  const result = await run(orchestrateScript, ['result', '--state', dir, 't-0003']);
  assert.deepEqual([result.exitCode, result.stdout], [0, task(3).result], result.stderr);
  const page = await run(orchestrateScript, ['tasks', '--state', dir, '--page', '1', '--per-page', '50', '--json']);
  assert.equal((JSON.parse(page.stdout) as { tasks: TaskRecord[] }).tasks.length, 30, page.stderr);
});
