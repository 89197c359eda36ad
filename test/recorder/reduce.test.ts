// The reducer: how each status-file event changes an agent's record, when busy_since is set, and
// that replaying a whole file (as a restarted recorder does) lands on the same state as applying
// it line by line as it grew. The file replayed is a real interactive session's status file
// (test/fixtures/status/), written by our hooks around the real claude against the API stand-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyEvent as reduceEvent, isStatusLine } from '../../src/recorder/reduce.js';
import { kindOf } from '../../src/drivers/driver.js';
import type { StatusLine } from '../../src/store/types.js';
import { readNewLines } from '../../src/recorder/status-lines.js';
import type { AgentRecord } from '../../src/store/types.js';
import { fixtures } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmux.js';

const T0 = Date.parse('2026-01-02T03:04:05.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

/** An agent as ./start.mts records it, before any event. */
const fresh = (over: Partial<AgentRecord> = {}): AgentRecord => ({
  name: 'w',
  role: 'worker',
  mode: 'interactive',
  pane: '%1',
  window: '@1',
  cwd: '/p',
  session_id: 'sid',
  launch_script: '/s/launch.sh',
  status: 'starting',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: iso(T0 - 1000),
  ...over,
});
/** A native status line through the claude kind's translation, then the reducer, as the recorder does. */
const applyEvent = (agent: AgentRecord, l: StatusLine): string | undefined => {
  const event = isStatusLine(l) ? kindOf().toEvent(l) : undefined;
  return event && reduceEvent(agent, event);
};
const line = (hook_event_name: string, fields: Record<string, unknown> = {}, at = T0): StatusLine => ({
  at,
  event: { hook_event_name, ...fields },
});

test('each event: the status, reason and fields it sets', () => {
  const cases: { name: string; from?: Partial<AgentRecord>; event: StatusLine; expect: Partial<AgentRecord> }[] = [
    {
      name: 'SessionStart',
      event: line('SessionStart', { source: 'startup', model: 'claude-opus-4-8', transcript_path: '/p/sid.jsonl' }),
      from: { exit_code: 3 },
      expect: {
        status: 'idle',
        reason: null,
        model: 'claude-opus-4-8',
        transcript_path: '/p/sid.jsonl',
        exit_code: null,
      },
    },
    {
      name: 'UserPromptSubmit',
      from: { status: 'idle' },
      event: line('UserPromptSubmit', { prompt: 'do X' }),
      expect: { status: 'busy', task: 'do X', busy_since: iso(T0) },
    },
    {
      name: 'PreToolUse',
      from: { status: 'idle' },
      event: line('PreToolUse', { tool_name: 'Bash' }),
      expect: { status: 'busy', last_tool: 'Bash' },
    },
    {
      name: 'PostToolUse after a permission',
      from: { status: 'waiting', reason: 'permission for Write: ...' },
      event: line('PostToolUse', { tool_name: 'Write' }),
      expect: { status: 'busy', reason: null, last_tool: 'Write' },
    },
    {
      name: 'Stop',
      from: { status: 'busy', turns: 2, busy_since: iso(T0 - 5) },
      event: line('Stop', { last_assistant_message: 'done' }),
      expect: { status: 'idle', last_result: 'done', turns: 3, busy_since: null },
    },
    {
      name: 'StopFailure',
      from: { status: 'busy', last_result: 'before' },
      event: line('StopFailure', { error: 'server_error', last_assistant_message: 'API Error: 500 boom' }),
      expect: {
        status: 'error',
        reason: 'API request failed: server_error: API Error: 500 boom',
        last_result: 'API Error: 500 boom',
      },
    },
    {
      name: 'StopFailure with error_details',
      from: { status: 'busy' },
      event: line('StopFailure', { error: 'invalid_request', error_details: '400 bad field' }),
      expect: { status: 'error', reason: 'API request failed: invalid_request: 400 bad field' },
    },
    {
      name: 'StopFailure on a rate limit',
      from: { status: 'busy' },
      event: line('StopFailure', { error: 'rate_limit', error_details: '429 slow down' }),
      expect: { status: 'limited', reason: 'rate_limit: 429 slow down: waiting for the limit to lift' },
    },
    {
      name: 'StopFailure on an overload',
      from: { status: 'busy' },
      event: line('StopFailure', { error: 'server_error', last_assistant_message: 'API Error: 529 Overloaded.' }),
      expect: {
        status: 'limited',
        reason: 'server_error: API Error: 529 Overloaded.: waiting for the limit to lift',
        last_result: 'API Error: 529 Overloaded.',
      },
    },
    {
      name: 'PermissionRequest',
      from: { status: 'busy' },
      event: line('PermissionRequest', { tool_name: 'Write', tool_input: { file_path: '/p/a.ts' } }),
      expect: {
        status: 'waiting',
        reason:
          'permission: Write(/p/a.ts): orchestrate approve w (or deny), the dashboard, or answer in its pane (attach: tmux attach)',
      },
    },
    {
      name: 'Notification permission_prompt',
      from: { status: 'busy' },
      event: line('Notification', { notification_type: 'permission_prompt', message: 'Claude needs your permission' }),
      expect: { status: 'waiting', reason: 'Claude needs your permission: attach and answer' },
    },
    {
      name: 'SessionEnd',
      from: { status: 'idle' },
      event: line('SessionEnd', { reason: 'prompt_input_exit' }),
      expect: { status: 'exited', reason: 'session ended (prompt_input_exit)' },
    },
    {
      name: 'ProcessExit',
      from: { status: 'busy' },
      event: line('ProcessExit', { exit_code: 137 }),
      expect: { status: 'exited', exit_code: 137, reason: 'claude exited with code 137' },
    },
    {
      name: 'ProcessRestart',
      from: { status: 'exited', restarts: 1 },
      event: line('ProcessRestart', { exit_code: 137 }),
      expect: { status: 'starting', restarts: 2, reason: 'restarting after exit code 137 (--resume sid)' },
    },
    {
      name: 'PaneDied',
      from: { status: 'idle' },
      event: line('PaneDied', { exit_code: 1, reason: "its pane's process exited with code 1" }),
      expect: { status: 'exited', exit_code: 1, reason: "its pane's process exited with code 1" },
    },
    {
      name: 'Dialog',
      event: line('Dialog', { reason: 'folder trust dialog: ...' }),
      expect: { status: 'waiting', reason: 'folder trust dialog: ...' },
    },
    {
      name: 'HeadlessReady',
      from: { status: 'starting', exit_code: 1 },
      event: line('HeadlessReady'),
      expect: { status: 'idle', exit_code: null },
    },
    {
      name: 'HeadlessTaskExit failed',
      from: { status: 'busy' },
      event: line('HeadlessTaskExit', { exit_code: 1, error: 'No conversation found' }),
      expect: { status: 'error', reason: 'claude -p exited with code 1: No conversation found' },
    },
    {
      name: 'HeadlessTaskExit ok while busy',
      from: { status: 'busy' },
      event: line('HeadlessTaskExit', { exit_code: 0 }),
      expect: { status: 'idle' },
    },
  ];
  for (const c of cases) {
    const agent = fresh(c.from);
    const what = applyEvent(agent, c.event);
    assert.equal(what, c.event.event.hook_event_name, c.name);
    assert.equal(agent.updated_at, iso(c.event.at), `${c.name}: updated_at is the event's time`);
    for (const [key, value] of Object.entries(c.expect))
      assert.deepEqual(agent[key as keyof AgentRecord], value, `${c.name}: ${key}`);
  }
});

test('events that change nothing leave the record exactly as it was', () => {
  for (const event of [
    line('Notification', { notification_type: 'idle_prompt' }),
    line('SubagentStart'),
    line('SomethingNew'),
    line('HeadlessTaskExit', { exit_code: 0 }),
    { at: T0, event: null } as unknown as StatusLine,
    { at: 'soon', event: { hook_event_name: 'Stop' } } as unknown as StatusLine,
  ]) {
    const agent = fresh({ status: 'idle' });
    const before = structuredClone(agent);
    assert.equal(applyEvent(agent, event), undefined, JSON.stringify(event));
    assert.deepEqual(agent, before);
  }
});

test('a long prompt is clipped; a missing answer is recorded as none', () => {
  const agent = fresh({ status: 'idle' });
  applyEvent(agent, line('UserPromptSubmit', { prompt: 'x'.repeat(5000) }));
  assert.equal(agent.task, `${'x'.repeat(2000)}…`);
  applyEvent(agent, line('Stop', {}));
  assert.equal(agent.last_result, null);
});

test('busy_since: set when work starts, kept through tool calls, cleared when it stops', () => {
  const agent = fresh({ status: 'idle' });
  applyEvent(agent, line('UserPromptSubmit', { prompt: 'p' }, T0));
  applyEvent(agent, line('PreToolUse', { tool_name: 'Bash' }, T0 + 100));
  applyEvent(agent, line('PostToolUse', { tool_name: 'Bash' }, T0 + 200));
  assert.equal(agent.busy_since, iso(T0));
  applyEvent(agent, line('PermissionRequest', { tool_name: 'Write' }, T0 + 300));
  assert.equal(agent.busy_since, null, 'waiting is not busy');
  applyEvent(agent, line('PostToolUse', { tool_name: 'Write' }, T0 + 400));
  assert.equal(agent.busy_since, iso(T0 + 400));
  applyEvent(agent, line('Stop', { last_assistant_message: 'ok' }, T0 + 500));
  assert.equal(agent.busy_since, null);
  assert.equal(agent.status, 'idle');
});

test('compaction in the middle of a turn (SessionStart source=compact) does not make a busy agent idle', () => {
  const agent = fresh({ status: 'idle' });
  applyEvent(agent, line('UserPromptSubmit', { prompt: 'long job' }, T0));
  applyEvent(agent, line('SessionStart', { source: 'compact', transcript_path: '/p2/sid.jsonl' }, T0 + 100));
  assert.equal(agent.status, 'busy');
  assert.equal(agent.busy_since, iso(T0));
  assert.equal(agent.transcript_path, '/p2/sid.jsonl');
  // A fresh start and /clear still mean idle.
  applyEvent(agent, line('SessionStart', { source: 'clear' }, T0 + 200));
  assert.equal(agent.status, 'idle');
});

test('a real session replayed whole gives the same record as the same file applied as it grew', (t) => {
  const real = readFileSync(join(fixtures, 'status', 'interactive-session.jsonl'));
  assert.ok(real.toString('utf8').includes('—'), 'the fixture holds a multi-byte character');
  const whole = fresh();
  const all = readNewLines(join(fixtures, 'status', 'interactive-session.jsonl'), 0);
  assert.equal(all.bad, 0);
  assert.deepEqual(
    all.lines.map((l) => l.event.hook_event_name),
    [
      'SessionStart',
      'UserPromptSubmit',
      'Stop',
      'UserPromptSubmit',
      'PreToolUse',
      'PermissionRequest',
      'Notification',
      'PostToolUse',
      'Stop',
      'UserPromptSubmit',
      'StopFailure',
      'SessionEnd',
    ],
  );
  for (const l of all.lines) applyEvent(whole, l);
  assert.equal(whole.status, 'exited');
  assert.equal(whole.turns, 2);
  assert.equal(whole.task, '[[error 500]]');
  assert.match(whole.last_result ?? '', /^API Error: 500/);
  assert.equal(whole.model, 'claude-opus-4-8[1m]');

  // The same bytes appended in uneven chunks (cutting lines, even multi-byte characters, anywhere),
  // each chunk read from the cursor the previous read returned.
  const file = join(tempDir(t), 'status.jsonl');
  writeFileSync(file, '');
  const grown = fresh();
  let cursor = 0;
  let seen = 0;
  for (let at = 0, step = 1; at < real.length; at += step, step = ((step * 7 + 3) % 331) + 1) {
    appendFileSync(file, real.subarray(at, Math.min(real.length, at + step)));
    const { lines, next, bad } = readNewLines(file, cursor);
    assert.equal(bad, 0);
    for (const l of lines) applyEvent(grown, l);
    seen += lines.length;
    cursor = next;
  }
  assert.equal(cursor, real.length);
  assert.equal(seen, all.lines.length);
  assert.deepEqual(grown, whole);
});

test("a forked session keeps its own transcript, not the parent's its SessionStart reports", async () => {
  const { ownTranscript } = await import('../../src/recorder/reduce.js');
  assert.equal(
    ownTranscript('/h/.claude/projects/-p/parent-id.jsonl', 'fork-id'),
    '/h/.claude/projects/-p/fork-id.jsonl',
  );
  assert.equal(ownTranscript('/h/.claude/projects/-p/own-id.jsonl', 'own-id'), '/h/.claude/projects/-p/own-id.jsonl');
  assert.equal(ownTranscript(null, 'x'), null);
});

test('a tool hook of an interrupted turn that arrives after the interrupt does not make the agent busy again; a new prompt does', () => {
  const a = fresh({ status: 'busy' });
  applyEvent(a, line('Interrupted', { task: 't1' }, T0));
  assert.equal(a.status, 'idle');
  assert.equal(applyEvent(a, line('PreToolUse', { tool_name: 'Bash' }, T0 + 5)), undefined);
  assert.equal(a.status, 'idle');
  applyEvent(a, line('UserPromptSubmit', { prompt: 'next' }, T0 + 100));
  applyEvent(a, line('PreToolUse', { tool_name: 'Bash' }, T0 + 200));
  assert.equal(a.status, 'busy');
  // Long after an interrupt (a person typed in the pane without our prompt), tools count again.
  applyEvent(a, line('Interrupted', {}, T0 + 300));
  applyEvent(a, line('PreToolUse', { tool_name: 'Edit' }, T0 + 10_000));
  assert.equal(a.status, 'busy');
});
