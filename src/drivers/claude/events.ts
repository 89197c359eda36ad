// Claude's status lines -> neutral events. The lines are Claude's hook events (SessionStart,
// UserPromptSubmit, ...) and our own lines written beside them (ProcessExit by the launch script,
// PaneDied and SessionLost by the recorder, HeadlessTaskExit by the headless runner, ...), all
// in the status file's shape {at, event: {hook_event_name, ...}}.
import type { StatusLine } from '../../store/types.js';
import type { AgentEvent, AgentEventType } from '../../core/events.js';

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/** Native names that map one to one. */
const NAMES: Record<string, AgentEventType> = {
  SessionStart: 'session-started',
  UserPromptSubmit: 'turn-started',
  PreToolUse: 'tool-starting',
  PostToolUse: 'tool-ran',
  Stop: 'turn-ended',
  StopFailure: 'turn-failed',
  PermissionRequest: 'needs-approval',
  PermissionWithdrawn: 'approval-withdrawn',
  Notification: 'asks-user',
  SessionEnd: 'session-ended',
  ProcessExit: 'exited',
  ProcessRestart: 'restarting',
  PaneDied: 'pane-died',
  SessionLost: 'session-lost',
  HostUnreachable: 'host-unreachable',
  HostReachable: 'host-reachable',
  Interrupted: 'interrupted',
  HeadlessReady: 'ready',
  HeadlessTaskExit: 'task-process-exited',
  Dialog: 'dialog',
  SetupStart: 'setup-started',
  SetupDone: 'setup-done',
  SetupFailed: 'setup-failed',
};

/** The native name of a status line (for logs of lines that could not be followed). */
export const nativeName = (line: StatusLine): string => String(line.event.hook_event_name);

/** A status line as a neutral event; undefined for lines that mean nothing to us (other notifications, unknown names). */
export function claudeEvent(line: StatusLine): AgentEvent | undefined {
  const e = line.event;
  const native = nativeName(line);
  const type = Object.hasOwn(NAMES, native) ? NAMES[native] : undefined;
  if (!type) return undefined;
  const ev: AgentEvent = { type, at: line.at, native };
  if (line.request !== undefined) ev.request = line.request;
  switch (type) {
    case 'session-started':
      if (e.model) ev.model = text(e.model);
      if (e.transcript_path) ev.transcript = text(e.transcript_path);
      ev.compacted = e.source === 'compact';
      break;
    case 'turn-started':
      ev.prompt = text(e.prompt) ?? '';
      if (typeof e.prompt_id === 'string') ev.promptId = e.prompt_id;
      break;
    case 'tool-starting':
    case 'tool-ran':
      ev.tool = text(e.tool_name);
      break;
    case 'turn-ended':
      ev.answer = text(e.last_assistant_message);
      break;
    case 'turn-failed':
      // error is a category (server_error, rate_limit, ...); the details or the message say what happened.
      Object.assign(ev, {
        category: e.error ?? e.error_type,
        error: e.error,
        errorDetails: text(e.error_details),
        message: text(e.message),
        answer: text(e.last_assistant_message),
      });
      break;
    case 'needs-approval':
      Object.assign(ev, {
        tool: text(e.tool_name),
        input: (e.tool_input && typeof e.tool_input === 'object' ? e.tool_input : {}) as Record<string, unknown>,
      });
      if (typeof e.cwd === 'string') ev.cwd = e.cwd;
      break;
    case 'asks-user':
      // Only its dialogs are ours to show; other notifications (idle, auth) change nothing.
      if (e.notification_type !== 'permission_prompt' && e.notification_type !== 'elicitation_dialog') return undefined;
      Object.assign(ev, { question: e.notification_type === 'elicitation_dialog', message: text(e.message) });
      break;
    case 'task-process-exited':
      Object.assign(ev, { code: num(e.exit_code), error: e.error, answer: text(e.last_assistant_message) });
      if (typeof e.api_error_status === 'number') ev.apiErrorStatus = e.api_error_status;
      break;
    case 'setup-failed':
      Object.assign(ev, { code: num(e.exit_code), timeoutS: e.timeout_s });
      break;
    default:
      if ('exit_code' in e) ev.code = num(e.exit_code);
      break;
  }
  if (type === 'exited' || type === 'restarting' || type === 'setup-failed') ev.rawCode = e.exit_code;
  if ('reason' in e) ev.reason = text(e.reason);
  return ev;
}
