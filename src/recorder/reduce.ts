// How one neutral event changes an agent's record: a pure function, so the recorder can replay a
// whole status file after a crash and land on the same state.
import type { AgentRecord, AgentStatus, StatusLine } from '../store/types.js';
import type { AgentEvent } from '../core/events.js';
import { placeOf } from '../drivers/place.js';
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
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.at === 'number' &&
    Math.abs(v.at) <= MAX_DATE_MS &&
    typeof v.event === 'object' &&
    v.event !== null &&
    !Array.isArray(v.event)
  );
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

/** Sets an agent's status and reason (a busy agent keeps the time its turn began). */
type SetStatus = (status: AgentStatus, reason?: string | null) => void;

/**
 * Applies one neutral event; returns its native name when it changed something, or undefined when
 * nothing did. Each part below takes the events of one concern and says whether it changed the
 * agent (true), left it as it was (false), or the event is not its own (undefined).
 */
export function applyEvent(agent: AgentRecord, e: AgentEvent): string | undefined {
  const at = new Date(e.at).toISOString();
  const set: SetStatus = (status, reason = null) => {
    if (status === 'busy' && agent.status !== 'busy') agent.busy_since = at;
    if (status !== 'busy') agent.busy_since = null;
    agent.status = status;
    agent.reason = reason;
  };
  const changed =
    onTurn(agent, e, set) ??
    onWaiting(agent, e, set) ??
    onExit(agent, e, set) ??
    onHost(agent, e) ??
    onSetup(agent, e, set);
  if (!changed) return undefined;
  agent.updated_at = at;
  return e.native;
}

/** A session's turns: its start, a turn's start, tools, end and failure, an interrupt, a headless runner ready. */
function onTurn(agent: AgentRecord, e: AgentEvent, set: SetStatus): boolean | undefined {
  switch (e.type) {
    case 'session-started':
      if (e.model !== undefined) agent.model = e.model;
      // (An agent whose files are elsewhere keeps the path of its transcript's mirror here.)
      if (e.transcript !== undefined && placeOf(agent).filesHere)
        agent.transcript_path = ownTranscript(e.transcript, agent.session_id);
      // Compaction (manual, or automatic in the middle of a turn) starts the session anew without
      // ending the work in progress: the agent's state stays what it was.
      if (e.compacted && agent.status !== 'starting') return true;
      agent.exit_code = null;
      set('idle');
      return true;
    case 'turn-started':
      agent.interrupted_at = null;
      agent.task = clip(e.prompt ?? '');
      set('busy');
      return true;
    case 'tool-starting':
    case 'tool-ran':
      // A tool hook of a turn we just interrupted can arrive after we recorded the interrupt (the
      // hook ran while Escape took effect): it does not make the agent busy again.
      if (agent.interrupted_at && e.at - agent.interrupted_at < LATE_HOOK_MS) return false;
      agent.last_tool = e.tool ?? null;
      set('busy');
      return true;
    case 'turn-ended':
      agent.last_result = answer(e.answer);
      agent.turns = (agent.turns ?? 0) + 1;
      set('idle');
      return true;
    case 'turn-failed': {
      const kind = e.category;
      const detail = e.errorDetails ?? e.message ?? e.answer ?? null;
      const what =
        [
          kind === undefined || kind === null ? undefined : typeof kind === 'string' ? kind : JSON.stringify(kind),
          detail ?? undefined,
        ]
          .filter(Boolean)
          .join(': ') || 'unknown error';
      agent.last_result = answer(e.answer) ?? agent.last_result;
      // A rate, overload or usage limit is a pause of the team (src/fleet/limits.ts), not an error.
      if (classifyLimit(kind, detail)) set('limited', `${clip(what, 300)}: waiting for the limit to lift`);
      else set('error', `API request failed: ${clip(what, 300)}`);
      return true;
    }
    case 'interrupted':
      // We pressed Escape for a cancelled task and the box is ready again. Claude fires no Stop
      // for an interrupted turn, only a StopFailure for the aborted request: not a real error.
      if (agent.status !== 'busy' && agent.status !== 'error') return false;
      agent.interrupted_at = e.at;
      set('idle');
      return true;
    case 'ready':
      // A headless agent's runner is up and waiting for tasks (print mode has no idle session).
      agent.exit_code = null;
      set('idle');
      return true;
    default:
      return undefined;
  }
}

/** What an agent waits for: an approval, an answer, a start-up dialog. */
function onWaiting(agent: AgentRecord, e: AgentEvent, set: SetStatus): boolean | undefined {
  switch (e.type) {
    case 'needs-approval': {
      const call = describeCall(e.tool ?? 'a tool', e.input ?? {});
      set(
        'waiting',
        `permission: ${call}: orchestrate approve ${agent.name} (or deny), the dashboard, or answer in its pane${e.request ? '' : ' (attach: tmux attach)'}`,
      );
      return true;
    }
    case 'approval-withdrawn':
      // The approval hook's agent is gone (its request is withdrawn); its own exit says the rest.
      return true;
    case 'asks-user':
      set('waiting', `${e.message ?? (e.question ? 'a question' : 'permission requested')}: attach and answer`);
      return true;
    case 'dialog':
      set('waiting', e.reason ?? null);
      return true;
    default:
      return undefined;
  }
}

/** An agent's end: its session ended, its process exited or restarts, its pane or tmux session gone, a headless task's process exited. */
function onExit(agent: AgentRecord, e: AgentEvent, set: SetStatus): boolean | undefined {
  switch (e.type) {
    case 'session-ended':
      set('exited', `session ended (${e.reason ?? 'unknown reason'})`);
      return true;
    case 'exited': {
      agent.exit_code = e.code ?? null;
      // An exit before claude was ever ready is most often a first-run step it could not pass
      // (onboarding needs the network, login, trust): the doctor names it and its fix.
      const early =
        agent.status === 'starting' || (agent.status === 'waiting' && Boolean(agent.reason?.includes('dialog')));
      set(
        'exited',
        `claude exited with code ${String(e.rawCode)}${early && e.rawCode !== 0 ? ' before it was ready: attach to read why, or run scripts/orchestrate.mts doctor' : ''}`,
      );
      return true;
    }
    case 'restarting':
      agent.restarts = (agent.restarts ?? 0) + 1;
      set('starting', `restarting after exit code ${String(e.rawCode)} (--resume ${agent.session_id})`);
      return true;
    case 'pane-died':
      agent.exit_code = e.code ?? agent.exit_code ?? null;
      set('exited', e.reason ?? 'its tmux pane is gone');
      return true;
    case 'session-lost':
      // The recorder saw the session's tmux session or server gone: every process in it went too.
      if (agent.status === 'exited') return false;
      set('exited', e.reason ?? 'tmux server gone');
      return true;
    case 'task-process-exited': {
      // A headless agent's task ended: its turn's result (exit_code as `claude -p` would exit), or its
      // claude exited during it. Its events normally said turn-ended or turn-failed already; a claude
      // that died before them (bad flags, no conversation to resume, killed) is an error.
      const code = e.code ?? null;
      // A turn the API refused on a limit: its turn-failed (just before or just after this) pauses
      // the account and sends the task back; failing it here would lose it.
      if (
        code !== 0 &&
        e.apiErrorStatus !== undefined &&
        classifyLimit(undefined, `${e.apiErrorStatus} ${text(e.error) ?? ''}`)
      )
        return false;
      if (code !== 0 && agent.status !== 'error')
        set('error', `claude -p exited with code ${String(code)}${e.error ? `: ${clip(String(e.error), 300)}` : ''}`);
      else if (code === 0 && agent.status === 'busy') set('idle');
      else return false;
      return true;
    }
    default:
      return undefined;
  }
}

/** Its host lost and found again: nothing of the agent is ended, its state comes back. */
function onHost(agent: AgentRecord, e: AgentEvent): boolean | undefined {
  switch (e.type) {
    case 'host-unreachable':
      // The recorder lost its host: the agent is most likely working on there, so nothing of its is
      // ended; its tasks wait, and its state comes back (and catches up) when the host answers.
      if (agent.status === 'exited') return false;
      if (agent.status !== 'unreachable') agent.before_unreachable = { status: agent.status, reason: agent.reason };
      agent.status = 'unreachable';
      agent.reason = e.reason ?? 'its host does not answer';
      return true;
    case 'host-reachable': {
      if (agent.status !== 'unreachable') return false;
      const before = agent.before_unreachable ?? { status: 'starting' as const, reason: null };
      agent.before_unreachable = null;
      agent.status = before.status;
      agent.reason = before.reason;
      return true;
    }
    default:
      return undefined;
  }
}

/** Its worktree's setup before claude starts. */
function onSetup(agent: AgentRecord, e: AgentEvent, set: SetStatus): boolean | undefined {
  switch (e.type) {
    case 'setup-started':
      if (agent.worktree) agent.worktree.setup = 'running';
      set(
        'starting',
        `setting up its worktree${agent.worktree?.setup_log ? ` (log: ${agent.worktree.setup_log})` : ''}`,
      );
      return true;
    case 'setup-done':
      if (agent.worktree) agent.worktree.setup = 'done';
      set('starting', null);
      return true;
    case 'setup-failed': {
      if (agent.worktree) agent.worktree.setup = 'failed';
      const why = e.rawCode === 124 ? `timed out after ${String(e.timeoutS)} s` : `exit code ${String(e.rawCode)}`;
      set(
        'error',
        `worktree setup failed (${why}), claude was not started: see ${agent.worktree?.setup_log ?? 'its setup.log'}; fix it, then ./start.mts --restart`,
      );
      return true;
    }
    default:
      return undefined;
  }
}
