// The claude kind's one translation: each status line (Claude's hook events and our own lines
// written beside them) as the neutral event the reducer, task rules, limits and approvals read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { claudeEvent } from '../../../src/drivers/claude/events.js';
import { HOOK_EVENTS } from '../../../src/drivers/claude/settings.js';
import type { StatusLine } from '../../../src/store/types.js';

const at = 1_700_000_000_000;
const line = (
  hook_event_name: string,
  fields: Record<string, unknown> = {},
  extra: Partial<StatusLine> = {},
): StatusLine => ({ at, event: { hook_event_name, ...fields }, ...extra });

test('each hook event and our own lines: the neutral event and the fields its readers use', () => {
  const cases: [StatusLine, Record<string, unknown>][] = [
    [
      line('SessionStart', { source: 'compact', model: 'm', transcript_path: '/t/s.jsonl' }),
      { type: 'session-started', model: 'm', transcript: '/t/s.jsonl', compacted: true },
    ],
    [
      line('UserPromptSubmit', { prompt: 'do X', prompt_id: 'p1' }),
      { type: 'turn-started', prompt: 'do X', promptId: 'p1' },
    ],
    [line('PreToolUse', { tool_name: 'Bash' }), { type: 'tool-starting', tool: 'Bash' }],
    [line('PostToolUse', { tool_name: 'Bash' }), { type: 'tool-ran', tool: 'Bash' }],
    [line('Stop', { last_assistant_message: 'done' }), { type: 'turn-ended', answer: 'done' }],
    [
      line('StopFailure', { error: 'rate_limit', error_details: '429', last_assistant_message: 'API Error' }),
      {
        type: 'turn-failed',
        category: 'rate_limit',
        error: 'rate_limit',
        errorDetails: '429',
        message: null,
        answer: 'API Error',
      },
    ],
    [
      line('StopFailure', { error_type: 'overloaded' }),
      { type: 'turn-failed', category: 'overloaded', errorDetails: null },
    ],
    [
      line('PermissionRequest', { tool_name: 'Bash', tool_input: { command: 'ls' }, cwd: '/w' }, { request: 'q1-2' }),
      { type: 'needs-approval', tool: 'Bash', input: { command: 'ls' }, cwd: '/w', request: 'q1-2' },
    ],
    [
      line('PermissionWithdrawn', { reason: 'its claude exited' }, { request: 'q1-2' }),
      { type: 'approval-withdrawn', reason: 'its claude exited', request: 'q1-2' },
    ],
    [
      line('Notification', { notification_type: 'elicitation_dialog', message: 'Which one?' }),
      { type: 'asks-user', question: true, message: 'Which one?' },
    ],
    [line('SessionEnd', { reason: 'logout' }), { type: 'session-ended', reason: 'logout' }],
    [line('ProcessExit', { exit_code: 3 }), { type: 'exited', code: 3, rawCode: 3 }],
    [line('PaneDied', { reason: 'its tmux pane is gone' }), { type: 'pane-died', reason: 'its tmux pane is gone' }],
    [
      line('HeadlessTaskExit', { exit_code: 1, error: 'boom', api_error_status: 429 }),
      { type: 'task-process-exited', code: 1, error: 'boom', apiErrorStatus: 429 },
    ],
    [
      line('SetupFailed', { exit_code: 124, timeout_s: 5 }),
      { type: 'setup-failed', code: 124, rawCode: 124, timeoutS: 5 },
    ],
  ];
  for (const [l, expected] of cases) {
    const event = claudeEvent(l);
    assert.ok(event, `${String(l.event.hook_event_name)} is translated`);
    assert.equal(event.at, at);
    assert.equal(event.native, l.event.hook_event_name);
    for (const [k, v] of Object.entries(expected))
      assert.deepEqual((event as unknown as Record<string, unknown>)[k], v, `${String(l.event.hook_event_name)}.${k}`);
  }
});

test('every hook we install is translated; lines that mean nothing to us are not', () => {
  for (const name of HOOK_EVENTS) {
    const fields = name === 'Notification' ? { notification_type: 'permission_prompt' } : {};
    assert.ok(claudeEvent(line(name, fields)), name);
  }
  // An idle notification, a name nobody writes, a name that is a property of every object.
  for (const l of [
    line('Notification', { notification_type: 'idle_prompt' }),
    line('SomethingNew'),
    line('constructor'),
    line('toString'),
  ]) {
    assert.equal(claudeEvent(l), undefined, String(l.event.hook_event_name));
  }
});
