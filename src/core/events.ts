// The neutral events: what an agent did, in words no CLI owns. Each kind translates its own status
// lines into these (src/drivers/claude/events.ts for Claude's hooks); the reducer, the task rules,
// limits and approvals read these only.

/** What happened, by its neutral name. */
export type AgentEventType =
  /** The agent's session began (or began anew after a compaction). */
  | 'session-started'
  /** A prompt reached the agent: its turn began. */
  | 'turn-started'
  /** A tool is about to run / has run in the turn. */
  | 'tool-starting'
  | 'tool-ran'
  /** The turn ended with an answer. */
  | 'turn-ended'
  /** The turn failed: the API refused or broke (a limit among them). */
  | 'turn-failed'
  /** The agent asks permission for a tool call (through our approval hook when `request` is set). */
  | 'needs-approval'
  /** The approval hook stopped waiting: its agent is gone. */
  | 'approval-withdrawn'
  /** The agent shows a question or permission dialog in its screen. */
  | 'asks-user'
  /** The agent's session ended (it may still exit after). */
  | 'session-ended'
  /** The agent's process exited; restarting: our launch script starts it again. */
  | 'exited'
  | 'restarting'
  /** Its pane went away, or the whole tmux session did. */
  | 'pane-died'
  | 'session-lost'
  /** Its host stopped / started answering. */
  | 'host-unreachable'
  | 'host-reachable'
  /** We interrupted its turn and it is ready again. */
  | 'interrupted'
  /** A headless agent's runner is up and waits for tasks. */
  | 'ready'
  /** A headless agent's task process ended (its turn's exit code). */
  | 'task-process-exited'
  /** A start-up dialog holds it. */
  | 'dialog'
  /** Its worktree's setup command. */
  | 'setup-started'
  | 'setup-done'
  | 'setup-failed';

/** One neutral event, with what its consumers read of it (fields are absent when the kind did not report them). */
export interface AgentEvent {
  type: AgentEventType;
  /** Milliseconds since the epoch. */
  at: number;
  /** The kind's own name for it (shown in the event history and logs). */
  native: string;
  /** The approval hook's request id (needs-approval, approval-withdrawn). */
  request?: unknown;
  /** session-started: model, transcript path, and whether it is a compaction's restart. */
  model?: string | null;
  transcript?: string | null;
  compacted?: boolean;
  /** turn-started: the prompt as the agent received it, and its id. */
  prompt?: string;
  promptId?: string;
  /** tool-*, needs-approval: the tool, its input, the directory it runs in. */
  tool?: string | null;
  input?: Record<string, unknown>;
  cwd?: string;
  /** The turn's last answer (turn-ended, turn-failed, task-process-exited). */
  answer?: string | null;
  /** turn-failed: the error's category, the raw error, its details and message. */
  category?: unknown;
  error?: unknown;
  errorDetails?: string | null;
  message?: string | null;
  /** asks-user: a question rather than a permission. */
  question?: boolean;
  /** exited, restarting, pane-died, task-process-exited, setup-failed: the exit code. */
  code?: number | null;
  /** The raw exit code as reported (shown in reasons as it came). */
  rawCode?: unknown;
  /** task-process-exited: the API's HTTP status when it refused the turn. */
  apiErrorStatus?: number;
  /** setup-failed: the setup's time limit. */
  timeoutS?: unknown;
  /** A reason in words (session-ended, pane-died, session-lost, host-unreachable, dialog, approval-withdrawn). */
  reason?: string | null;
}

/** Events that end the agent's process: a task it was given is cut short, a permission request it made is withdrawn. */
export const EXIT_EVENTS: ReadonlySet<AgentEventType> = new Set([
  'session-ended',
  'exited',
  'pane-died',
  'session-lost',
]);
