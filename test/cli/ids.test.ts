// Ids and names people type, through the real entry points and the lead's MCP tools: one that
// names nothing (empty, too short, Object.prototype's) is an error that says so, and nothing is
// decided, cancelled or stored.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { callTool } from '../../src/mcp/handlers.js';
import { pending } from '../../src/inbox/inbox.js';
import { readStore } from '../../src/store/state-dir.js';
import {
  emptyStore,
  type AgentRecord,
  type ApprovalRecord,
  type StoreData,
  type TaskRecord,
} from '../../src/store/types.js';

const agent = (name: string): AgentRecord => ({
  name,
  role: 'worker',
  mode: 'interactive',
  pane: '%1',
  window: '@1',
  cwd: '/tmp',
  session_id: name,
  launch_script: '',
  status: 'waiting',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: new Date().toISOString(),
});

/** A request id as the approval hook makes them: "q<nanoseconds>-<pid>". */
const REQUEST = 'q1796200000123456789-4242';

/** A session whose recorder looks alive (this process), with w1 running a task and asking for a permission. */
function session(t: TestContext): { dir: string; task: string } {
  const dir = tempDir(t);
  const task: TaskRecord = {
    id: 't-00abcdefg-0123abcd',
    seq: 1,
    target: { agent: 'w1' },
    agent: 'w1',
    prompt: 'work',
    state: 'running',
    created_at: new Date().toISOString(),
    delivered_at: new Date().toISOString(),
    started_at: new Date().toISOString(),
    ended_at: null,
    result: null,
    error: null,
    attempts: 1,
    cost_usd: 0,
  };
  const request: ApprovalRecord = {
    id: REQUEST,
    agent: 'w1',
    tool: 'Bash',
    input: { command: 'rm -rf build' },
    summary: 'Bash(rm -rf build)',
    at: new Date().toISOString(),
    timeout_at: new Date(Date.now() + 3600_000).toISOString(),
    state: 'pending',
    by: null,
    rule: null,
    message: null,
    decided_at: null,
  };
  const data: StoreData = {
    ...emptyStore(),
    session: {
      name: 's',
      socket: 'no_such_socket',
      tmux_id: '$1',
      layout_file: join(dir, 'l.yaml'),
      root: dir,
      state_dir: dir,
      created_at: new Date().toISOString(),
      ended_at: null,
      windows: [],
    },
    agents: { w1: { ...agent('w1'), task_id: task.id } },
    tasks: { [task.id]: task },
    approvals: { [REQUEST]: request },
    recorder: { pid: process.pid, started_at: new Date().toISOString() },
  };
  mkdirSync(join(dir, 'inbox'), { recursive: true });
  writeFileSync(join(dir, 'store.json'), JSON.stringify(data));
  return { dir, task: task.id };
}

const decisions = (dir: string): string[] =>
  existsSync(join(dir, 'agents', 'w1', 'approvals')) ? readdirSync(join(dir, 'agents', 'w1', 'approvals')) : [];

test('approve q (every request id starts with q) and approve __proto__ decide nothing: no such request', async (t) => {
  const { dir } = session(t);
  for (const given of ['q', '__proto__', 'constructor', '']) {
    const r = await run(orchestrateScript, ['approve', '--state', dir, given]);
    assert.equal(r.exitCode, 1, `approve ${JSON.stringify(given)}: ${r.stdout}${r.stderr}`);
    assert.match(
      r.stderr.split('\n')[0]!,
      given ? /no such request: no pending permission request and no agent named/ : /no request id or agent given/,
    );
    assert.doesNotMatch(r.stderr, /undefined/);
    assert.deepEqual(decisions(dir), [], `approve ${JSON.stringify(given)} decided nothing`);
  }
  const short = await run(orchestrateScript, ['deny', '--state', dir, 'q17']);
  assert.match(short.stderr, /a part of an id needs at least 4 characters/);
  assert.equal(readStore(dir).approvals![REQUEST]!.state, 'pending');
  // A part of the id that only this request has still names it.
  const byEnd = await run(orchestrateScript, ['deny', '--state', dir, '4242', 'not now']);
  assert.equal(byEnd.exitCode, 0, byEnd.stderr);
  assert.match(byEnd.stdout, /denied Bash\(rm -rf build\) for w1 \(request q1796200000123456789-4242\)/);
});

test('cancel "" and MCP cancel_task {"task": ""} say no task id was given; the task goes on', async (t) => {
  const { dir, task } = session(t);
  for (const args of [
    ['cancel', '--state', dir, ''],
    ['result', '--state', dir, ''],
    ['wait', '--state', dir, '--timeout', '1', ''],
    ['cancel', '--state', dir, '__proto__'],
  ]) {
    const r = await run(orchestrateScript, args);
    assert.equal(r.exitCode, 1, `${args.join(' ')}: ${r.stderr}`);
    // (wait first says that the session is lost: its tmux server is not there.)
    assert.match(r.stderr, args.at(-1) ? /^no task "__proto__" in this session/m : /^no task id given/m);
  }
  for (const [tool, args] of [
    ['cancel_task', { task: '' }],
    ['task_result', { task: '' }],
    ['wait_task', { task: '', timeout: 1 }],
    ['cancel_task', { task: '__proto__' }],
    ['wait_task', { task: 'constructor', timeout: 1 }],
  ] as const) {
    const outcome = await callTool({ stateDir: dir }, tool, args);
    assert.equal(outcome.isError, true, `${tool} ${JSON.stringify(args)}: ${outcome.text}`);
    assert.match(outcome.text, args.task ? new RegExp(`no task "${args.task}"`) : /no task id given/);
  }
  assert.deepEqual(pending(dir), [], 'no cancel request was written');
  assert.equal(readStore(dir).tasks![task]!.state, 'running');
});

test('budget set agent:constructor 1 is refused, saying what would be right; nothing is asked of the recorder', async (t) => {
  const { dir } = session(t);
  for (const scope of ['agent:constructor', 'agent:__proto__', 'run:toString', 'task:hasOwnProperty']) {
    const r = await run(orchestrateScript, ['budget', 'set', '--state', dir, scope, '1']);
    assert.equal(r.exitCode, 2, `${scope}: ${r.stderr}`);
    assert.match(
      r.stderr.split('\n')[0]!,
      scope.startsWith('agent')
        ? new RegExp(
            `no agent named "${scope.slice(6)}": agent:NAME wants one of this session's agents \\(agent:w1\\), or agent for every agent's cap`,
          )
        : /no (run|task) ".*" in this session: (run|task):ID wants/,
    );
  }
  assert.deepEqual(pending(dir), []);
  assert.equal(readStore(dir).fleet?.budget, undefined);
});
