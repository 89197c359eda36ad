// The store's side of a session's end, one rule for its three ways: `session end`, a lost session
// started afresh, and a start that failed after recording its session.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { emptyStore, type AgentRecord, type StoreData, type TaskRecord } from '../../src/store/types.js';
import { agentFiles } from '../../src/store/paths.js';
import { recordSessionEnd } from '../../src/session/record-end.js';
import { tempDir } from '../helpers/tmux.js';

const AT = '2026-01-02T00:00:00.000Z';
const agent = (name: string, fields: Partial<AgentRecord> = {}): AgentRecord => ({
  name,
  role: 'worker',
  mode: 'interactive',
  pane: '%1',
  window: '@1',
  cwd: '/nowhere',
  session_id: `id-${name}`,
  launch_script: '',
  status: 'idle',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: new Date(0).toISOString(),
  ...fields,
});
const task = (id: string, state: TaskRecord['state'], fields: Partial<TaskRecord> = {}): TaskRecord => ({
  id,
  seq: Number(id.replace(/\D/g, '')) || 1,
  target: { agent: 'w1' },
  agent: 'w1',
  prompt: id,
  state,
  created_at: '2026-01-01T00:00:00.000Z',
  delivered_at: '2026-01-01T00:00:01.000Z',
  started_at: state === 'running' ? '2026-01-01T00:00:02.000Z' : null,
  ended_at: null,
  result: null,
  error: null,
  attempts: 1,
  cost_usd: 0,
  ...fields,
});
function store(): StoreData {
  return {
    ...emptyStore(),
    session: {
      name: 's',
      socket: null,
      tmux_id: '$1',
      layout_file: '/l.yaml',
      root: '/',
      state_dir: '/s',
      created_at: '2026-01-01T00:00:00.000Z',
      ended_at: null,
      windows: [],
    },
    agents: {
      w1: agent('w1', { status: 'busy', task_id: 't1', busy_since: '2026-01-01T00:00:02.000Z' }),
      w2: agent('w2', { status: 'exited', reason: 'its own' }),
    },
    tasks: Object.fromEntries(
      [task('t1', 'running'), task('t2', 'queued'), task('t3', 'failed', { error: 'old' })].map((t) => [t.id, t]),
    ),
    recorder: { pid: 1, started_at: AT },
  };
}
const states = (d: StoreData): string[] => Object.values(d.tasks!).map((t) => t.state);

test('ended: status lines not yet read are recorded, unfinished tasks close, running agents exit, the recorder is forgotten, the session is stamped', (t) => {
  const state = tempDir(t);
  const data = store();
  mkdirSync(agentFiles(state, 'w2').dir, { recursive: true });
  writeFileSync(
    agentFiles(state, 'w2').status,
    `${JSON.stringify({ at: 1000, event: { hook_event_name: 'SessionStart', session_id: 'id-w2', source: 'startup' } })}\n`,
  );
  const closed = recordSessionEnd(data, state, 'ended', AT, 'the session ended');
  assert.ok((data.cursors?.w2 ?? 0) > 0, 'the status file was read to its end');
  assert.deepEqual(closed, ['t1 interrupted', 't2 cancelled']);
  assert.deepEqual(states(data), ['interrupted', 'cancelled', 'failed']);
  assert.equal(data.tasks!.t2!.error, 'the session ended before it was delivered');
  assert.equal(data.tasks!.t3!.error, 'old', 'a finished task keeps its own end');
  assert.deepEqual(
    Object.values(data.agents).map((a) => [a.status, a.reason, a.task_id ?? null]),
    [
      ['exited', 'the session ended', null],
      ['exited', 'the session ended', null],
    ],
  );
  assert.equal(data.agents.w1!.busy_since, null);
  assert.equal(data.recorder, null);
  assert.equal(data.session!.ended_at, AT);
});

test('lost: tasks close and the session ends, the agents stay as they were recorded (the new session replaces them)', (t) => {
  const data = store();
  const closed = recordSessionEnd(data, tempDir(t), 'lost', AT, 'started afresh');
  assert.deepEqual(states(data), ['interrupted', 'cancelled', 'failed']);
  assert.equal(data.tasks!.t2!.error, 'started afresh before it was delivered');
  assert.equal(closed.length, 2);
  assert.deepEqual(
    Object.values(data.agents).map((a) => a.status),
    ['busy', 'exited'],
  );
  assert.equal(data.recorder, null);
  assert.equal(data.session!.ended_at, AT);
});

test('never-ran: only the session is stamped; an earlier stamp stays', (t) => {
  const data = store();
  assert.deepEqual(recordSessionEnd(data, tempDir(t), 'never-ran', AT, 'the session did not start'), []);
  assert.deepEqual(states(data), ['running', 'queued', 'failed']);
  assert.deepEqual(data.recorder, { pid: 1, started_at: AT });
  assert.equal(data.session!.ended_at, AT);
  recordSessionEnd(data, tempDir(t), 'ended', '2026-01-03T00:00:00.000Z', 'again');
  assert.equal(data.session!.ended_at, AT);
});
