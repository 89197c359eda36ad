// A tmux server that dies under its session: within 2 s every agent shows it (exited, "tmux server
// gone") and status says the session is lost and how to resume it, whether the recorder lived to
// record it (SIGHUP) or was killed with everything else; the task that was running waits, and
// after --resume it runs again under the same id. `session end` of a lost session leaves no socket.
// Fake agents (a raw-mode prompt box running the real hooks) keep this fast; test/e2e/session.test.ts
// does the same with the real claude.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import type { StoreData } from '../../src/store/types.js';
import { socketPath } from '../../src/tmux/command.js';
import { alive, withDescendants } from '../../src/session/processes.js';

const fakeRepl = join(fixtures, 'bin', 'fake-claude-repl');
type Status = {
  state: string;
  lost_reason: string | null;
  resume: string | null;
  agents: { name: string; status: string; reason: string | null }[];
};

async function busySession(t: Parameters<typeof privateServer>[0]) {
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const state = join(tempDir(t), 'state');
  const server = privateServer(t);
  // Answers take a minute: the task is still running when the server dies.
  const env = { CLAUDE_BIN: fakeRepl, FAKE_ANSWER_MS: '60000' };
  const started = await run(startScript, ['--socket', server.socket!, '--state', state, '--no-attach'], {
    cwd: project,
    env,
  });
  assert.equal(started.exitCode, 0, started.stderr);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(() => Object.values(store().agents).every((a) => a.status === 'idle'), 30_000, 'agents idle');
  const task = (
    await run(orchestrateScript, ['dispatch', '--state', state, 'worker-1', 'a long job'], { env })
  ).stdout.trim();
  await retryUntil(() => store().tasks?.[task]?.state === 'running', 10_000, 'the task running');
  const serverPid = Number((await server.cmd(['display-message', '-p', '#{pid}'])).trim());
  const status = async (): Promise<Status> =>
    JSON.parse((await run(orchestrateScript, ['status', '--json', '--state', state])).stdout) as Status;
  return { project, state, server, env, store, task, serverPid, status };
}

const allGone = (s: Status): boolean =>
  s.state === 'lost' && s.agents.every((a) => a.status === 'exited' && a.reason === 'tmux server gone');

test('kill -9 of the tmux server: the recorder records the loss within 2 s; session end of the lost session leaves no socket', {
  timeout: 90_000,
}, async (t) => {
  const s = await busySession(t);
  const killedAt = Date.now();
  process.kill(s.serverPid, 'SIGKILL');
  // The recorder gets SIGHUP with its pane and records what it finds: the server is gone.
  const data = await retryUntil(
    () => {
      const d = s.store();
      return d.session?.lost_at && d;
    },
    2000,
    'the loss recorded within 2 s',
  );
  assert.ok(Date.now() - killedAt < 2000);
  for (const a of Object.values(data.agents))
    assert.deepEqual([a.status, a.reason], ['exited', 'tmux server gone'], a.name);
  const task = data.tasks![s.task]!;
  assert.equal(task.state, 'queued', 'the running task waits for --resume, under its id');
  assert.match(task.interruptions![0]!.reason, /tmux server gone while it was running on worker-1/);
  const status = await s.status();
  assert.ok(allGone(status), JSON.stringify(status));
  assert.equal(status.lost_reason, 'tmux server gone');
  assert.ok(status.resume?.includes(`--state ${s.state} --resume`), status.resume ?? '');
  const table = await run(orchestrateScript, ['status', '--state', s.state]);
  assert.match(
    table.stdout,
    /session lost \(tmux server gone\): every agent has exited; its tasks wait\. Bring it back.*--resume/,
  );

  assert.ok(existsSync(socketPath(s.server.socket!)), 'a killed server leaves its socket file');
  const ended = await run(orchestrateScript, ['session', 'end', '--state', s.state]);
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.equal(existsSync(socketPath(s.server.socket!)), false, "session end removed the dead server's socket");
  const after = s.store();
  assert.ok(after.session!.ended_at);
  assert.equal(after.tasks![s.task]!.state, 'interrupted', 'the task cut short is closed with the session');
  assert.match(
    after.tasks![s.task]!.error!,
    /the session ended while it waited to run again \(tmux server gone while it was running on worker-1\)/,
  );
});

test('kill -9 of the server and every process in it: status shows the loss at once; --resume runs the task again under its id', {
  timeout: 90_000,
}, async (t) => {
  const s = await busySession(t);
  const pids = withDescendants((await s.server.panes()).map((p) => Number(p.pane_pid)));
  for (const pid of [s.serverPid, ...pids]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await retryUntil(() => ![s.serverPid, ...pids].some(alive), 5000, 'every process gone');
  const killedAt = Date.now();
  const status = await retryUntil(
    async () => {
      const st = await s.status();
      return allGone(st) && st;
    },
    2000,
    'status shows the loss',
  );
  assert.ok(Date.now() - killedAt < 2000);
  assert.equal(
    s.store().agents['worker-1']!.status,
    'busy',
    'readers never write the store: it still says what it last knew',
  );
  assert.ok(status.resume?.endsWith('--resume'));
  const waiting = await run(orchestrateScript, ['tasks', '--state', s.state]);
  assert.match(waiting.stderr, /session lost \(tmux server gone\)/);

  const resumed = await run(
    startScript,
    ['--socket', s.server.socket!, '--state', s.state, '--no-attach', '--resume'],
    { cwd: s.project, env: { ...s.env, FAKE_ANSWER_MS: '20' } },
  );
  assert.equal(resumed.exitCode, 0, resumed.stderr);
  assert.match(resumed.stdout, new RegExp(`task ${s.task} interrupted .* and queued again`));
  const done = await run(orchestrateScript, ['wait', s.task, '--timeout', '30', '--json', '--state', s.state]);
  assert.equal(done.exitCode, 0, done.stderr);
  const task = JSON.parse(done.stdout) as { state: string; result: string; interruptions: unknown[] };
  assert.deepEqual([task.state, task.result, task.interruptions.length], ['done', 'OK: a long job', 1]);
  const prompts = readFileSync(join(s.state, 'agents', 'worker-1', 'status.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.includes('"UserPromptSubmit"'));
  assert.equal(prompts.length, 2, 'delivered once before the loss and once after');
});

test("the recorder's own pane closed (the session goes on): the recorder keeps recording without a terminal", {
  timeout: 90_000,
}, async (t) => {
  const s = await busySession(t);
  const recorderPane = s.store().session!.control!.recorderPane;
  const pid = s.store().recorder!.pid;
  await s.server.cmd(['kill-pane', '-t', recorderPane]);
  await new Promise((r) => setTimeout(r, 1000));
  assert.ok(alive(pid), 'the recorder outlived its pane');
  assert.equal((await s.status()).state, 'running');
  const next = (
    await run(orchestrateScript, ['dispatch', '--state', s.state, 'worker-2', 'after the hangup'], { env: s.env })
  ).stdout.trim();
  await retryUntil(() => s.store().tasks?.[next]?.state === 'running', 10_000, 'the new task delivered and confirmed');
});
