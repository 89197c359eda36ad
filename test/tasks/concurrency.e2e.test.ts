// Many dispatchers at once: eight processes giving 25 tasks each at the same moment end with exactly
// 200 tasks (the live store and its archive together), each delivered once, none lost. The agents are fake (a raw-mode prompt box
// that runs the hooks as claude does) so the test is about our single-writer path, through real tmux.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import type { StoreData, TaskRecord } from '../../src/store/types.js';
import { taskPage } from '../../src/tasks/client.js';

const fakeRepl = join(fixtures, 'bin', 'fake-claude-repl');

test('8 processes x 25 concurrent dispatches: 200 tasks, each delivered exactly once', {
  timeout: 240_000,
}, async (t) => {
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const state = join(tempDir(t), 'state');
  const server = privateServer(t);
  const env = { CLAUDE_BIN: fakeRepl };
  const started = await run(startScript, ['--socket', server.socket!, '--state', state, '--no-attach'], {
    cwd: project,
    env,
  });
  assert.equal(started.exitCode, 0, started.stderr);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(
    () => Object.values(store().agents).every((a) => a.status === 'idle'),
    30_000,
    'four fake agents idle',
  );

  const agents = Object.keys(store().agents);
  const dispatcher = async (p: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      // Half name an agent, half let the scheduler pick any idle one.
      const args =
        i % 2 ? ['--any', `p${p}-${i} "quoted" $(x)`] : [agents[(p + i) % agents.length]!, `p${p}-${i} "quoted" $(x)`];
      const r = await run(orchestrateScript, ['dispatch', '--state', state, ...args], { env });
      assert.equal(r.exitCode, 0, r.stderr);
      ids.push(r.stdout.trim());
    }
    return ids;
  };
  const ids = (await Promise.all(Array.from({ length: 8 }, (_, p) => dispatcher(p)))).flat();
  assert.equal(new Set(ids).size, 200, 'every dispatch got its own task id');

  // Finished tasks beyond the live window moved to the archive meanwhile: every task is read from both.
  const everyTask = (): TaskRecord[] => taskPage(store(), state, 1, 1000).tasks;
  await retryUntil(
    () => {
      const tasks = everyTask();
      return tasks.length === 200 && tasks.every((x) => x.state === 'done');
    },
    180_000,
    'all 200 tasks done',
  );
  const tasks = everyTask();
  assert.ok((store().archive?.tasks?.count ?? 0) >= 100, 'most of them were archived on the way');
  assert.ok(Object.keys(store().tasks ?? {}).length <= 70, 'the live store kept its window');
  assert.deepEqual(new Set(tasks.map((x) => x.id)), new Set(ids));
  assert.equal(new Set(tasks.map((x) => x.seq)).size, 200, 'each task taken in once');

  // Count deliveries from the agents' own hooks: every prompt submitted exactly once.
  const submitted = agents.flatMap((a) =>
    readFileSync(join(state, 'agents', a, 'status.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: { hook_event_name?: string; prompt?: string } | null })
      .filter((l) => l.event?.hook_event_name === 'UserPromptSubmit')
      .map((l) => l.event!.prompt),
  );
  assert.equal(submitted.length, 200);
  assert.deepEqual(new Set(submitted), new Set(tasks.map((x) => x.prompt)));
  for (const task of tasks) assert.equal(task.result, `OK: ${task.prompt}`, `task ${task.id} has its own answer`);
  // Not one Enter lost: every prompt went through on its first paste (a retry would count an attempt).
  assert.deepEqual(
    tasks.filter((x) => x.attempts !== 1).map((x) => `${x.id}: ${x.attempts} attempts`),
    [],
  );
  // FIFO per agent: an agent's named tasks started in the order they were taken in.
  for (const a of agents) {
    const mine = tasks.filter((x) => x.target.agent === a).sort((x, y) => x.seq - y.seq);
    const starts = mine.map((x) => Date.parse(x.started_at!));
    assert.deepEqual(
      starts,
      [...starts].sort((x, y) => x - y),
      `${a} ran its tasks in order`,
    );
  }
});
