// How one status-file event changes an agent's record: a pure function, so the recorder can
// replay a whole file after a crash and land on the same state.
import type { AgentRecord, AgentStatus, StatusLine } from '../store/types.js';
import { classifyLimit } from '../fleet/limits.js';
import { describeCall } from '../approvals/policy.js';
import { clipText } from '../util/text.js';

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const clip = (s: string, n = 2000): string => clipText(s, n);
/**
 * How much of its last answer an agent's record keeps: the store is rewritten on every event. A
 * task's answer is taken whole from the event itself (src/tasks/tasks.ts) and archived whole.
 */
export const LAST_RESULT_CHARS = 4000;
const answer = (v: unknown): string | null => clipText(text(v), LAST_RESULT_CHARS);
/** How long after an interrupt a tool hook of the interrupted turn may still arrive. */
const LATE_HOOK_MS = 3000;

/** Milliseconds a Date can hold either side of the epoch (ECMAScript's range). */
const MAX_DATE_MS = 8.64e15;

/** A parsed line has the shape the reducer needs: a time a Date can hold and an event object. */
export function isStatusLine(value: unknown): value is StatusLine {
  const v = value as StatusLine | null;
  return typeof v === 'object' && v !== null && typeof v.at === 'number' && Math.abs(v.at) <= MAX_DATE_MS
    && typeof v.event === 'object' && v.event !== null && !Array.isArray(v.event);
}

/**
 * The agent's own transcript. A forked session's SessionStart reports its parent's session id and
 * transcript; the fork's own file sits next to it under the id we gave it.
 */
export function ownTranscript(reported: string | null, sessionId: string): string | null {
  if (!reported || !sessionId) return reported;
  const slash = reported.lastIndexOf('/');
  return reported.endsWith(`/${sessionId}.jsonl`) ? reported : `${reported.slice(0, slash + 1)}${sessionId}.jsonl`;
}

/** Applies one event; returns a short description of what changed, or undefined when nothing did. */
export function applyEvent(agent: AgentRecord, line: StatusLine): string | undefined {
  if (!isStatusLine(line)) return undefined;
  const e = line.event;
  const at = new Date(line.at).toISOString();
  const set = (status: AgentStatus, reason: string | null = null): void => {
    if (status === 'busy' && agent.status !== 'busy') agent.busy_since = at;
    if (status !== 'busy') agent.busy_since = null;
    agent.status = status;
    agent.reason = reason;
  };
  switch (e.hook_event_name) {
    case 'SessionStart':
      if (e.model) agent.model = text(e.model);
      // (An agent on another host keeps the path of its transcript's mirror here.)
      if (e.transcript_path && !agent.host) agent.transcript_path = ownTranscript(text(e.transcript_path), agent.session_id);
      // Compaction (manual, or automatic in the middle of a turn) starts the session anew without
      // ending the work in progress: the agent's state stays what it was.
      if (e.source === 'compact' && agent.status !== 'starting') break;
      agent.exit_code = null;
      set('idle');
      break;
    case 'UserPromptSubmit':
      agent.interrupted_at = null;
      agent.task = clip(text(e.prompt) ?? '');
      set('busy');
      break;
    case 'PreToolUse':
    case 'PostToolUse':
      // A tool hook of a turn we just interrupted can arrive after we recorded the interrupt (the
      // hook ran while Escape took effect): it does not make the agent busy again.
      if (agent.interrupted_at && line.at - agent.interrupted_at < LATE_HOOK_MS) return undefined;
      agent.last_tool = text(e.tool_name);
      set('busy');
      break;
    case 'Stop':
      agent.last_result = answer(e.last_assistant_message);
      agent.turns = (agent.turns ?? 0) + 1;
      set('idle');
      break;
    case 'StopFailure': {
      // error is a category (server_error, rate_limit, ...); the details or the message shown to
      // the user (e.g. "API Error: 500 ...") say what happened.
      const kind = e.error ?? e.error_type;
      const detail = text(e.error_details) ?? text(e.message) ?? text(e.last_assistant_message);
      const what = [kind === undefined || kind === null ? undefined : typeof kind === 'string' ? kind : JSON.stringify(kind), detail ?? undefined]
        .filter(Boolean).join(': ') || 'unknown error';
      agent.last_result = answer(e.last_assistant_message) ?? agent.last_result;
      // A rate, overload or usage limit is a pause of the team (src/fleet/limits.ts), not an error.
      if (classifyLimit(kind, detail)) set('limited', `${clip(what, 300)}: waiting for the limit to lift`);
      else set('error', `API request failed: ${clip(what, 300)}`);
      break;
    }
    case 'PermissionRequest': {
      const input = (e.tool_input && typeof e.tool_input === 'object' ? e.tool_input : {}) as Record<string, unknown>;
      const call = describeCall(text(e.tool_name) ?? 'a tool', input);
      set('waiting', `permission: ${call}: orchestrate approve ${agent.name} (or deny), the dashboard, or answer in its pane${line.request ? '' : ' (attach: tmux attach)'}`);
      break;
    }
    case 'PermissionWithdrawn':
      // The approval hook's claude is gone (its request is withdrawn); its own exit says the rest.
      break;
    case 'Notification':
      if (e.notification_type === 'permission_prompt') set('waiting', `${text(e.message) ?? 'permission requested'}: attach and answer`);
      else if (e.notification_type === 'elicitation_dialog') set('waiting', `${text(e.message) ?? 'a question'}: attach and answer`);
      else return undefined;
      break;
    case 'SessionEnd':
      set('exited', `session ended (${text(e.reason) ?? 'unknown reason'})`);
      break;
    case 'ProcessExit': {
      agent.exit_code = typeof e.exit_code === 'number' ? e.exit_code : null;
      // An exit before claude was ever ready is most often a first-run step it could not pass
      // (onboarding needs the network, login, trust): the doctor names it and its fix.
      const early = agent.status === 'starting' || (agent.status === 'waiting' && Boolean(agent.reason?.includes('dialog')));
      set('exited', `claude exited with code ${String(e.exit_code)}${early && e.exit_code !== 0 ? ' before it was ready: attach to read why, or run scripts/orchestrate.mts doctor' : ''}`);
      break;
    }
    case 'ProcessRestart':
      agent.restarts = (agent.restarts ?? 0) + 1;
      set('starting', `restarting after exit code ${String(e.exit_code)} (--resume ${agent.session_id})`);
      break;
    case 'PaneDied':
      agent.exit_code = typeof e.exit_code === 'number' ? e.exit_code : agent.exit_code ?? null;
      set('exited', text(e.reason) ?? 'its tmux pane is gone');
      break;
    case 'SessionLost':
      // The recorder saw the session's tmux session or server gone: every process in it went too.
      if (agent.status === 'exited') return undefined;
      set('exited', text(e.reason) ?? 'tmux server gone');
      break;
    case 'HostUnreachable':
      // The recorder lost its host: the agent is most likely working on there, so nothing of its is
      // ended; its tasks wait, and its state comes back (and catches up) when the host answers.
      if (agent.status === 'exited') return undefined;
      if (agent.status !== 'unreachable') agent.before_unreachable = { status: agent.status, reason: agent.reason };
      agent.status = 'unreachable';
      agent.reason = text(e.reason) ?? 'its host does not answer';
      break;
    case 'HostReachable': {
      if (agent.status !== 'unreachable') return undefined;
      const before = agent.before_unreachable ?? { status: 'starting' as const, reason: null };
      agent.before_unreachable = null;
      agent.status = before.status;
      agent.reason = before.reason;
      break;
    }
    case 'Interrupted':
      // We pressed Escape for a cancelled task and the box is ready again. Claude fires no Stop
      // for an interrupted turn, only a StopFailure for the aborted request: not a real error.
      if (agent.status !== 'busy' && agent.status !== 'error') return undefined;
      agent.interrupted_at = line.at;
      set('idle');
      break;
    case 'HeadlessReady':
      // A headless agent's runner is up and waiting for tasks (print mode has no idle session).
      agent.exit_code = null;
      set('idle');
      break;
    case 'HeadlessTaskExit': {
      // A headless agent's task ended: its turn's result (exit_code as `claude -p` would exit), or its
      // claude exited during it. Its hooks normally said Stop or StopFailure already; a claude that
      // died before them (bad flags, no conversation to resume, killed) is an error.
      const code = typeof e.exit_code === 'number' ? e.exit_code : null;
      // A turn the API refused on a limit: its StopFailure (just before or just after this) pauses
      // the account and sends the task back; failing it here would lose it.
      if (code !== 0 && typeof e.api_error_status === 'number' && classifyLimit(undefined, `${e.api_error_status} ${text(e.error) ?? ''}`)) return undefined;
      if (code !== 0 && agent.status !== 'error') set('error', `claude -p exited with code ${String(code)}${e.error ? `: ${clip(String(e.error), 300)}` : ''}`);
      else if (code === 0 && agent.status === 'busy') set('idle');
      else return undefined;
      break;
    }
    case 'Dialog':
      set('waiting', text(e.reason));
      break;
    case 'SetupStart':
      if (agent.worktree) agent.worktree.setup = 'running';
      set('starting', `setting up its worktree${agent.worktree?.setup_log ? ` (log: ${agent.worktree.setup_log})` : ''}`);
      break;
    case 'SetupDone':
      if (agent.worktree) agent.worktree.setup = 'done';
      set('starting', null);
      break;
    case 'SetupFailed': {
      if (agent.worktree) agent.worktree.setup = 'failed';
      const why = e.exit_code === 124 ? `timed out after ${String(e.timeout_s)} s` : `exit code ${String(e.exit_code)}`;
      set('error', `worktree setup failed (${why}), claude was not started: see ${agent.worktree?.setup_log ?? 'its setup.log'}; fix it, then ./start.mts --restart`);
      break;
    }
    default:
      return undefined;
  }
  agent.updated_at = at;
  return e.hook_event_name;
}
