// The lead's MCP tools against a store in a temp dir. The test plays the recorder: it takes the
// inbox requests in with the real task logic (src/tasks/tasks.ts intake) and finishes tasks by
// writing the store, as the recorder would. One test talks MCP over stdio to `orchestrate mcp`
// with the SDK's own client.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { callTool } from '../../src/mcp/handlers.js';
import { TOOLS } from '../../src/mcp/tools.js';
import { pending } from '../../src/inbox/inbox.js';
import { intake } from '../../src/tasks/tasks.js';
import type { AgentRecord, StoreData, TaskRecord } from '../../src/store/types.js';
import { onCleanup, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript } from '../helpers/cli.js';

const agent = (name: string, role: string, extra: Partial<AgentRecord> = {}): AgentRecord => ({
  name,
  role,
  mode: 'interactive',
  pane: '%1',
  window: '@1',
  cwd: '/tmp',
  session_id: 'x',
  launch_script: '/x',
  status: 'idle',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: new Date().toISOString(),
  ...extra,
});

/** A state directory with a live-looking session (the recorder pid is this test process). */
function fakeSession(
  t: TestContext,
  recorderPid = process.pid,
): {
  dir: string;
  store(): StoreData;
  write(d: StoreData): void;
  takeIn(): string[];
  finish(id: string, change: Partial<TaskRecord>): void;
} {
  const dir = tempDir(t);
  const write = (data: StoreData): void => {
    writeFileSync(join(dir, '.store.tmp'), JSON.stringify(data));
    renameSync(join(dir, '.store.tmp'), join(dir, 'store.json'));
  };
  write({
    version: 1,
    session: {
      name: 'demo',
      socket: null,
      tmux_id: '$1',
      layout_file: '/x.yaml',
      root: '/tmp',
      state_dir: dir,
      created_at: new Date().toISOString(),
      ended_at: null,
      windows: [],
    },
    agents: {
      lead: agent('lead', 'lead'),
      'worker-1': agent('worker-1', 'worker', { last_result: 'w'.repeat(2000), cost_usd: 0.123456 }),
      'worker-2': agent('worker-2', 'worker', { status: 'busy', task: 'building the thing' }),
    },
    recorder: { pid: recorderPid, started_at: new Date().toISOString() },
  });
  const store = (): StoreData => JSON.parse(readFileSync(join(dir, 'store.json'), 'utf8')) as StoreData;
  return {
    dir,
    store,
    write,
    takeIn() {
      const data = store();
      const lines = pending(dir).map((p) => {
        rmSync(p.file);
        return intake(data, p.request!, Date.now());
      });
      write(data);
      return lines;
    },
    finish(id, change) {
      const data = store();
      Object.assign(
        data.tasks![id]!,
        { started_at: new Date(Date.now() - 1500).toISOString(), ended_at: new Date().toISOString() },
        change,
      );
      write(data);
    },
  };
}

const idIn = (text: string): string => /task (t-\S+)/.exec(text)![1]!;

test('tools/list: eleven tools with JSON Schemas that forbid unknown arguments', () => {
  assert.deepEqual(
    TOOLS.map((x) => x.name),
    [
      'list_agents',
      'dispatch',
      'wait_task',
      'task_result',
      'list_tasks',
      'cancel_task',
      'diff_agent',
      'merge_agent',
      'conflicts',
      'pending_approvals',
      'decide',
    ],
  );
  for (const tool of TOOLS) assert.equal(tool.inputSchema.additionalProperties, false, tool.name);
});

test('list_agents: status, reason, task, trimmed last answer, cost, and which agent is the caller', async (t) => {
  const s = fakeSession(t);
  const out = await callTool({ stateDir: s.dir, caller: 'lead' }, 'list_agents', {});
  assert.equal(out.isError, false, out.text);
  const { session, agents } = JSON.parse(out.text) as { session: string; agents: Record<string, unknown>[] };
  assert.equal(session, 'demo');
  assert.deepEqual(
    agents.map((a) => a.name),
    ['lead', 'worker-1', 'worker-2'],
  );
  assert.equal(agents[0]!.you, true);
  assert.equal(agents[1]!.you, undefined);
  assert.equal(agents[1]!.cost_usd, 0.1235);
  assert.match(String(agents[1]!.last_result), /^w{500}… \(1500 more characters\)$/);
  assert.equal(agents[2]!.status, 'busy');
  assert.equal(agents[2]!.task, 'building the thing');
});

test('dispatch: by name, by role and to any agent (never the caller), as inbox requests for the recorder', async (t) => {
  const s = fakeSession(t);
  const ctx = { stateDir: s.dir, caller: 'lead' };
  const byName = await callTool(ctx, 'dispatch', { agent: 'worker-1', prompt: 'say "hi" $(not run)' });
  assert.equal(byName.isError, false, byName.text);
  assert.match(byName.text, /^task t-\S+ queued for worker-1\. wait_task/);
  const byRole = await callTool(ctx, 'dispatch', { role: 'worker', prompt: 'two' });
  const byAny = await callTool(ctx, 'dispatch', { any: true, prompt: 'three' });
  assert.match(byRole.text, /queued for the first idle agent of role worker/);
  // (Requests made in the same millisecond sort by their random part: compare them by id.)
  const requests = pending(s.dir).map((p) => p.request as { id: string; prompt: string; target: unknown; by: string });
  const ids = [byName, byRole, byAny].map((r) => idIn(r.text));
  assert.deepEqual(
    ids.map((id) => requests.find((r) => r.id === id)).map((r) => [r?.id, r?.prompt, r?.target, r?.by]),
    [
      [idIn(byName.text), 'say "hi" $(not run)', { agent: 'worker-1' }, 'lead'],
      [idIn(byRole.text), 'two', { role: 'worker', not: 'lead' }, 'lead'],
      [idIn(byAny.text), 'three', { any: true, not: 'lead' }, 'lead'],
    ],
  );
});

test('dispatch refuses what the CLI refuses, and mistakes in the call, as tool errors', async (t) => {
  const s = fakeSession(t);
  const ctx = { stateDir: s.dir, caller: 'lead' };
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ agent: 'nobody', prompt: 'x' }, /no agent named "nobody" \(agents: lead, worker-1, worker-2\)/],
    [{ role: 'reviewer', prompt: 'x' }, /no agent with role "reviewer" other than lead/],
    [{ agent: 'lead', prompt: 'x' }, /"lead" is you/],
    [{ agent: 'worker-1', role: 'worker', prompt: 'x' }, /give exactly one of "agent".*"role".*"any"/],
    [{ prompt: 'x' }, /give exactly one of/],
    [{ agent: 'worker-1', prompt: '   ' }, /the prompt is empty/],
    [{ agent: 'worker-1' }, /dispatch: "prompt" is missing/],
    [{ agent: 'worker-1', prompt: 'x', wait: 'yes' }, /"wait" is "yes" \(expected a boolean\)/],
    [{ agent: 'worker-1', prompt: 'x', timeout: -1 }, /"timeout" must be greater than 0/],
    [
      { agent: 'worker-1', prompt: 'x', agnet: 'y' },
      /unknown argument "agnet" \(arguments: agent, role, any, prompt, wait, timeout\)/,
    ],
  ];
  for (const [args, expected] of cases) {
    const out = await callTool(ctx, 'dispatch', args);
    assert.equal(out.isError, true, `${JSON.stringify(args)} should fail: ${out.text}`);
    assert.match(out.text, expected);
  }
  assert.equal(pending(s.dir).length, 0, 'nothing was submitted');
  const role = await callTool({ stateDir: s.dir, caller: 'worker-1' }, 'dispatch', { role: 'lead', prompt: 'x' });
  assert.equal(role.isError, false, 'a worker may ask the lead by role');
  const unknown = await callTool(ctx, 'nope', {});
  assert.match(unknown.text, /unknown tool "nope" \(tools: list_agents, dispatch/);
});

test('dispatch fails clearly when no recorder runs (nothing would deliver the task)', async (t) => {
  const s = fakeSession(t, 2 ** 22 + 12345);
  const out = await callTool({ stateDir: s.dir }, 'dispatch', { agent: 'worker-1', prompt: 'x' });
  assert.equal(out.isError, true);
  assert.match(out.text, /the recorder of session "demo" is not running/);
  const missing = await callTool({ stateDir: join(s.dir, 'nowhere') }, 'list_agents', {});
  assert.equal(missing.isError, true);
  assert.match(missing.text, /no state directory .*nowhere: start a session/);
});

test('dispatch with wait returns the answer; a failure and a timeout are tool errors', async (t) => {
  const s = fakeSession(t);
  const ctx = { stateDir: s.dir, caller: 'lead' };
  const done = callTool(ctx, 'dispatch', { agent: 'worker-1', prompt: 'add two and two', wait: true, timeout: 30 });
  await retryUntil(() => pending(s.dir).length === 1, 5000, 'the dispatch request');
  const [line] = s.takeIn();
  const id = /task (t-\S+)/.exec(line!)![1]!;
  assert.equal(s.store().tasks![id]!.state, 'queued');
  setTimeout(() => s.finish(id, { state: 'done', result: 'four', cost_usd: 0.00123 }), 300);
  const answer = await done;
  assert.equal(answer.isError, false, answer.text);
  assert.match(
    answer.text,
    new RegExp(`^task ${id} done on worker-1 in 1\\.5 s \\(\\$0\\.0012\\)\\. Its answer:\\n\\nfour$`),
  );

  const failing = callTool(ctx, 'dispatch', { role: 'worker', prompt: 'break', wait: true });
  await retryUntil(() => pending(s.dir).length === 1, 5000, 'the second request');
  const failedId = /task (t-\S+)/.exec(s.takeIn()[0]!)![1]!;
  s.finish(failedId, { state: 'failed', agent: 'worker-1', error: 'API request failed: server_error' });
  const failed = await failing;
  assert.equal(failed.isError, true);
  assert.equal(failed.text, `task ${failedId} failed on worker-1: API request failed: server_error`);

  const started = Date.now();
  const slow = await callTool(ctx, 'dispatch', { agent: 'worker-2', prompt: 'slow', wait: true, timeout: 0.5 });
  assert.ok(Date.now() - started < 5000, 'the timeout is kept');
  assert.equal(slow.isError, true);
  assert.match(slow.text, /^timed out after 0\.5 s waiting for task t-\S+ \(not yet taken in\); it goes on: wait_task/);
});

test('a waiting call the client cancels stops waiting (the task goes on)', async (t) => {
  const s = fakeSession(t);
  const abort = new AbortController();
  const started = Date.now();
  const waiting = callTool({ stateDir: s.dir, caller: 'lead', signal: abort.signal }, 'dispatch', {
    agent: 'worker-1',
    prompt: 'long',
    wait: true,
    timeout: 60,
  });
  setTimeout(() => abort.abort(), 200);
  const out = await waiting;
  assert.ok(Date.now() - started < 5000, `stopped within a round (${Date.now() - started} ms)`);
  assert.equal(out.isError, true);
  assert.match(out.text, /^stopped waiting for task t-\S+: the call was cancelled; the task goes on$/);
  assert.equal(pending(s.dir).length, 1, 'the task was dispatched and stays');
});

test('wait_task, task_result, list_tasks and cancel_task', async (t) => {
  const s = fakeSession(t);
  const ctx = { stateDir: s.dir, caller: 'lead' };
  const a = idIn((await callTool(ctx, 'dispatch', { agent: 'worker-1', prompt: 'first' })).text);
  const b = idIn((await callTool(ctx, 'dispatch', { agent: 'worker-2', prompt: 'second' })).text);

  // A task still in the inbox is known by its id: waiting for it works, reading its result says so.
  const early = await callTool(ctx, 'task_result', { task: a });
  assert.equal(early.isError, true);
  assert.match(early.text, /is not yet taken in; wait_task/);
  const waiting = callTool(ctx, 'wait_task', { task: a, timeout: 30 });
  s.takeIn();
  const running = await callTool(ctx, 'task_result', { task: a.slice(0, -3) });
  assert.match(running.text, new RegExp(`task ${a} is queued on worker-1; wait_task`));
  s.finish(a, { state: 'done', result: 'first answer' });
  const waited = await waiting;
  assert.equal(waited.isError, false, waited.text);
  assert.match(waited.text, /Its answer:\n\nfirst answer$/);
  assert.match((await callTool(ctx, 'task_result', { task: a })).text, /first answer$/);
  const nothing = await callTool(ctx, 'wait_task', { task: 't-nope' });
  assert.equal(nothing.isError, true);
  assert.match(nothing.text, /no task "t-nope" in this session/);

  const listed = JSON.parse((await callTool(ctx, 'list_tasks', {})).text) as {
    tasks: { id: string; state: string; by: string; result: string | null }[];
  };
  assert.deepEqual(
    listed.tasks.map((x) => [x.id, x.state, x.by, x.result]),
    [
      [a, 'done', 'lead', 'first answer'],
      [b, 'queued', 'lead', null],
    ],
  );
  const open = JSON.parse((await callTool(ctx, 'list_tasks', { open: true })).text) as { tasks: { id: string }[] };
  assert.deepEqual(
    open.tasks.map((x) => x.id),
    [b],
  );
  const forOne = JSON.parse((await callTool(ctx, 'list_tasks', { agent: 'worker-1' })).text) as {
    tasks: { id: string }[];
  };
  assert.deepEqual(
    forOne.tasks.map((x) => x.id),
    [a],
  );

  // Cancel: the request goes to the recorder, which confirms it in the store.
  const cancelling = callTool(ctx, 'cancel_task', { task: b });
  await retryUntil(() => pending(s.dir).length === 1, 5000, 'the cancel request');
  s.takeIn();
  const cancelled = await cancelling;
  assert.equal(cancelled.isError, false, cancelled.text);
  assert.equal(cancelled.text, `task ${b} cancelled (cancelled before delivery)`);
  const again = await callTool(ctx, 'cancel_task', { task: b });
  assert.equal(again.isError, true);
  assert.match(again.text, /already cancelled/);
});

test('orchestrate mcp over stdio with the SDK client: tools, a waited dispatch, errors, exit on close', {
  timeout: 60_000,
}, async (t) => {
  const s = fakeSession(t);
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [join(orchestrateScript, '..', '..', 'dist', 'bin', 'orchestrate.mjs'), 'mcp', '--state', s.dir],
    env: { PATH: process.env.PATH ?? '', ORCH_AGENT: 'lead', ORCH_NO_REBUILD: '1' },
    stderr: 'pipe',
  });
  const client = new Client({ name: 'test', version: '1' });
  onCleanup(t, () => client.close());
  await client.connect(transport);
  assert.equal(client.getServerVersion()?.name, 'orchestrator');
  const { tools } = await client.listTools();
  assert.deepEqual(
    tools.map((x) => x.name),
    TOOLS.map((x) => x.name),
  );
  assert.deepEqual(tools.find((x) => x.name === 'dispatch')?.inputSchema.required, ['prompt']);

  const list = await client.callTool({ name: 'list_agents', arguments: {} });
  const text = (r: typeof list): string => (r.content as { type: string; text: string }[])[0]!.text;
  assert.equal(JSON.parse(text(list)).agents[0].you, true, 'ORCH_AGENT names the caller');

  const call = client.callTool({ name: 'dispatch', arguments: { any: true, prompt: 'over stdio', wait: true } });
  await retryUntil(() => pending(s.dir).length === 1, 10_000, 'the dispatch request');
  const request = pending(s.dir)[0]!.request as { target: unknown };
  assert.deepEqual(request.target, { any: true, not: 'lead' });
  const id = /task (t-\S+)/.exec(s.takeIn()[0]!)![1]!;
  s.finish(id, { state: 'done', agent: 'worker-1', result: 'answer over stdio' });
  const answered = await call;
  assert.equal(answered.isError, false);
  assert.match(text(answered), /Its answer:\n\nanswer over stdio$/);

  const bad = await client.callTool({ name: 'task_result', arguments: {} });
  assert.equal(bad.isError, true);
  assert.match(text(bad), /task_result: "task" is missing/);
  const unknown = await client.callTool({ name: 'nope', arguments: {} });
  assert.equal(unknown.isError, true);

  const pid = transport.pid!;
  await client.close();
  await retryUntil(
    () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    },
    10_000,
    'the server exits when the client closes',
  );
});
