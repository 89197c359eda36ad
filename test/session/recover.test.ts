// Recovery as changes to store data: catching up with status files the recorder did not read,
// tasks cut short by a lost session (requeue or report), the resumed session's records, and the layout's on_recover.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { emptyStore, type AgentRecord, type StoreData, type TaskRecord } from '../../src/store/types.js';
import { catchUp, recoverTasks, worthResuming } from '../../src/session/recover.js';
import { recordResumed } from '../../src/session/resume.js';
import { loadLayout } from '../../src/layout/load.js';
import { tempDir } from '../helpers/tmux.js';

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
function store(tasks: TaskRecord[]): StoreData {
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
    agents: { w1: agent('w1', { status: 'busy', task_id: 't1' }), w2: agent('w2', { status: 'busy', task_id: 't2' }) },
    tasks: Object.fromEntries(tasks.map((t) => [t.id, t])),
  };
}
const AT = '2026-01-02T00:00:00.000Z';

test('requeue: running and delivering tasks are interrupted and queued again under the same id; queued and finished ones stay', () => {
  const data = store([
    task('t1', 'running', { cost_start: 1 }),
    task('t2', 'delivering', { target: { role: 'worker' }, agent: 'w2', attempts: 2 }),
    task('t3', 'queued'),
    task('t4', 'done', { result: 'r' }),
    task('t5', 'running', { cancel_requested: true }),
  ]);
  const lines = recoverTasks(data, 'requeue', AT, "its session's tmux session was lost");
  const t = data.tasks!;
  assert.deepEqual(
    [t.t1!.state, t.t2!.state, t.t3!.state, t.t4!.state, t.t5!.state],
    ['queued', 'queued', 'queued', 'done', 'cancelled'],
  );
  assert.deepEqual(t.t1!.interruptions, [
    { at: AT, reason: "its session's tmux session was lost while it was running on w1" },
  ]);
  assert.equal(t.t1!.started_at, null);
  assert.equal(t.t1!.cost_start, undefined);
  assert.equal(t.t1!.agent, 'w1', 'a task for a named agent stays its');
  assert.equal(t.t2!.agent, null, 'a task for a role goes to whichever agent of the role is idle first');
  assert.equal(t.t2!.attempts, 0);
  assert.match(t.t5!.error ?? '', /^cancel asked for; /);
  assert.equal(t.t4!.interruptions, undefined);
  assert.deepEqual(
    Object.values(data.agents).map((a) => a.task_id),
    [null, null],
    'no agent holds a task',
  );
  assert.equal(lines.length, 3);
  assert.match(lines[0]!, /task t1 interrupted \(.*\) and queued again \(on_recover: requeue\)/);
});

test('report: cut-short tasks end as interrupted with the reason', () => {
  const data = store([task('t1', 'running'), task('t2', 'queued')]);
  recoverTasks(data, 'report', AT, 'lost');
  assert.equal(data.tasks!.t1!.state, 'interrupted');
  assert.equal(data.tasks!.t1!.ended_at, AT);
  assert.equal(data.tasks!.t1!.error, 'lost while it was running on w1');
  assert.equal(data.tasks!.t2!.state, 'queued');
});

test('catchUp records what the status files hold beyond the cursors, once', (t) => {
  const state = tempDir(t);
  const data = store([task('t1', 'running')]);
  data.agents.w1!.task_id = 't1';
  const file = join(state, 'agents', 'w1', 'status.jsonl');
  mkdirSync(join(state, 'agents', 'w1'), { recursive: true });
  writeFileSync(
    file,
    `${JSON.stringify({ at: 1000, event: { hook_event_name: 'UserPromptSubmit', prompt: 't1' } })}\n`,
  );
  data.cursors = { w1: statSync(file).size };
  appendFileSync(
    file,
    `${JSON.stringify({ at: 2000, event: { hook_event_name: 'Stop', last_assistant_message: 'finished just before the crash' } })}\n{"at":3000,"event":{"hook_event_name":"Sess`,
  );
  assert.equal(catchUp(data, state), 1);
  assert.equal(data.tasks!.t1!.state, 'done', 'the last Stop the recorder never saw finishes the task');
  assert.equal(data.tasks!.t1!.result, 'finished just before the crash');
  assert.equal(data.agents.w1!.status, 'idle');
  assert.equal(
    data.cursors.w1,
    statSync(file).size - '{"at":3000,"event":{"hook_event_name":"Sess'.length,
    'a half-written line waits',
  );
  assert.equal(catchUp(data, state), 0, 'nothing twice');
});

test('worth resuming: a conversation on disk or an unfinished task', (t) => {
  const home = tempDir(t);
  const data = store([task('t1', 'done')]);
  const env = { HOME: home };
  assert.equal(worthResuming(data, env), false);
  data.agents.w1!.transcript_path = join(home, 'w1.jsonl');
  // What a claude killed in its first turn leaves: a transcript with no message yet.
  writeFileSync(join(home, 'w1.jsonl'), '{"type":"mode","mode":"normal"}\n');
  assert.equal(worthResuming(data, env), false);
  writeFileSync(
    join(home, 'w1.jsonl'),
    '{"type":"mode","mode":"normal"}\n{"type":"user","message":{"role":"user","content":"hi"}}\n',
  );
  assert.equal(worthResuming(data, env), true);
  const queued = store([task('t1', 'queued')]);
  assert.equal(worthResuming(queued, env), true);
});

test("a resumed session keeps each agent's history and session id, with its new pane, and its first start time", () => {
  const data = store([]);
  data.agents.w1 = agent('w1', {
    cost_usd: 0.5,
    turns: 3,
    last_result: 'before',
    transcript_path: '/t.jsonl',
    status: 'busy',
    task_id: 't9',
  });
  data.recorder = { pid: 42, started_at: AT };
  data.cursors = { w1: 100 };
  const fresh = agent('w1', { pane: '%9', window: '@9', status: 'starting' });
  const added = agent('w3', { pane: '%10', status: 'starting' });
  recordResumed(data, { ...data.session!, tmux_id: '$7', created_at: AT, handover: '/h.md' }, [fresh, added], AT);
  const w1 = data.agents.w1!;
  assert.deepEqual(
    [
      w1.pane,
      w1.window,
      w1.status,
      w1.cost_usd,
      w1.turns,
      w1.last_result,
      w1.transcript_path,
      w1.session_id,
      w1.task_id,
    ],
    ['%9', '@9', 'starting', 0.5, 3, 'before', '/t.jsonl', 'id-w1', null],
  );
  assert.match(w1.reason ?? '', /resuming \(claude --resume id-w1\)/);
  assert.deepEqual(Object.keys(data.agents), ['w1', 'w3'], 'w2 is no longer in the layout');
  assert.equal(data.session!.tmux_id, '$7');
  assert.equal(data.session!.created_at, '2026-01-01T00:00:00.000Z');
  assert.deepEqual(data.session!.resumed_at, [AT]);
  assert.equal(data.recorder, null);
  assert.deepEqual(data.cursors, { w1: 100 }, 'cursors stay with their status files');
});

test('layouts: on_recover is requeue by default, report when set, and anything else is a problem', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'l.yaml');
  writeFileSync(file, 'windows:\n  - panes:\n      - agent: a\n');
  assert.equal(loadLayout(file, { cwd: dir }).layout?.onRecover, 'requeue');
  writeFileSync(file, 'on_recover: report\nwindows:\n  - panes:\n      - agent: a\n');
  assert.equal(loadLayout(file, { cwd: dir }).layout?.onRecover, 'report');
  writeFileSync(file, 'on_recover: later\nwindows:\n  - panes:\n      - agent: a\n');
  const { layout, problems } = loadLayout(file, { cwd: dir });
  assert.equal(layout, undefined);
  assert.match(
    problems.map((p) => `${p.line}:${p.col} ${p.path}: ${p.message}`).join('\n'),
    /^1:13 on_recover: .*requeue, report/,
  );
});

test('whatever order the last events arrive in, every task in flight at the loss is queued again (or reported) once', (t) => {
  const state = tempDir(t);
  const lines = (name: string, events: Record<string, unknown>[]): void => {
    mkdirSync(join(state, 'agents', name), { recursive: true });
    writeFileSync(
      join(state, 'agents', name, 'status.jsonl'),
      events.map((e, i) => `${JSON.stringify({ at: 5000 + i, event: e })}\n`).join(''),
    );
  };
  for (const policy of ['requeue', 'report'] as const) {
    // w1 was running t1 and its SessionEnd (SIGHUP) reached the status file; w2 was still being given t2.
    const data = store([task('t1', 'running'), task('t2', 'delivering', { target: { agent: 'w2' }, agent: 'w2' })]);
    data.cursors = {};
    lines('w1', [
      { hook_event_name: 'SessionEnd', reason: 'other' },
      { hook_event_name: 'ProcessExit', exit_code: 129 },
    ]);
    lines('w2', []);
    catchUp(data, state);
    assert.equal(data.tasks!.t1!.state, 'queued', 'SessionEnd cut t1 short');
    const out = recoverTasks(data, policy, AT, "its session's tmux session was lost");
    const [t1, t2] = [data.tasks!.t1!, data.tasks!.t2!];
    assert.deepEqual([t1.interruptions?.length, t2.interruptions?.length], [1, 1], `${policy}: one interruption each`);
    assert.match(
      t1.interruptions![0]!.reason,
      /^its session's tmux session was lost: session ended \(other\) while it was running on w1$/,
    );
    assert.equal(t2.interruptions![0]!.reason, "its session's tmux session was lost while it was delivering on w2");
    assert.deepEqual(
      [t1.state, t2.state],
      policy === 'requeue' ? ['queued', 'queued'] : ['interrupted', 'interrupted'],
    );
    assert.equal(out.length, 2);
    // A second recovery (a resume that failed and is run again) changes nothing more.
    recoverTasks(data, policy, AT, "its session's tmux session was lost");
    assert.deepEqual([t1.interruptions?.length, t2.interruptions?.length], [1, 1]);
  }
});
