// The shape of a session's store (state/<session>/store.json).

import type { AgentStatus } from '../core/looks.js';

export type { AgentStatus } from '../core/looks.js';

/** A tmux pane we created, by id. */
export interface PaneRecord {
  id: string;
  title: string;
  agent?: string;
}

/** The tmux session as it was built. */
export interface SessionRecord {
  name: string;
  /** tmux -L socket name, or null for the user's default server. */
  socket: string | null;
  tmux_id: string;
  layout_file: string;
  root: string;
  state_dir: string;
  created_at: string;
  ended_at: string | null;
  windows: { id: string; name: string; panes: PaneRecord[] }[];
  /** The control window: recorder and status board. */
  control?: { window: string; recorderPane: string; watchPane: string };
  /** The earlier session's handover the lead was started with (its file), if any. */
  handover?: string | null;
  /** When the session was brought back after its tmux session was lost (./start.mts --resume). */
  resumed_at?: string[];
  /** When the recorder saw its tmux session (or server) gone: nothing is delivered until --resume. */
  lost_at?: string | null;
  /** The other machines its agents run on, by the layout's host name. */
  hosts?: Record<string, HostRecord>;
}

/** A machine some agents run on, reached over ssh (src/hosts/). */
export interface HostRecord {
  name: string;
  /** The destination as ssh takes it (user@box, an alias of ~/.ssh/config). */
  ssh: string;
  port?: number;
  /** Its user's HOME there, and the session's state directory there (the agents' scripts and status files). */
  home: string;
  state_dir: string;
  /** The tmux server (-L) its agents run in there. */
  socket: string;
  /** Claude's config folder there (its transcripts are below it). */
  claude_config_dir: string;
  /** Whether the recorder reaches it, since when, and why not. */
  reachable?: boolean;
  checked_at?: string | null;
  error?: string | null;
}

/** One agent and what is known about it. */
export interface AgentRecord {
  name: string;
  role: string;
  mode: 'interactive' | 'headless';
  pane: string;
  window: string;
  cwd: string;
  session_id: string;
  launch_script: string;
  status: AgentStatus;
  reason: string | null;
  task: string | null;
  last_result: string | null;
  cost_usd: number;
  updated_at: string;
  /** Recorded by the recorder from hooks and tmux. */
  model?: string | null;
  turns?: number;
  tokens?: { input: number; output: number; cache_read: number; cache_write: number };
  transcript_path?: string | null;
  busy_since?: string | null;
  exit_code?: number | null;
  restarts?: number;
  last_tool?: string | null;
  /** The task (TaskRecord.id) being delivered to or run by this agent. */
  task_id?: string | null;
  /** A cancelled or timed-out task whose turn is being interrupted: the agent takes nothing new until it is done. */
  interrupting?: string | null;
  /** When its turn was last interrupted (ms): tool hooks of that turn arriving late are not a new turn. */
  interrupted_at?: number | null;
  /** Its own git worktree (worktree: true). */
  worktree?: AgentWorktree | null;
  /** Its block of TCP ports (ORCH_PORT_0..N-1). */
  ports?: number[];
  /** The account its API use counts against: agents of one account pause together on a limit. */
  account?: string;
  /** The host it runs on (session.hosts); its pane is on that host's tmux server, and view_pane is the local pane that shows it. */
  host?: string | null;
  view_pane?: string | null;
  /** Its state when its host stopped answering, given back when the host answers again. */
  before_unreachable?: { status: AgentStatus; reason: string | null } | null;
}

/** The pane of this session's tmux that shows an agent: its own, or for an agent on another host the one whose ssh client shows it. */
export const shownIn = (agent: Pick<AgentRecord, 'pane' | 'view_pane'>): string => agent.view_pane ?? agent.pane;

/** An agent's worktree, as ./start.mts made or found it (also in agents/<name>/worktree.json). */
export interface AgentWorktree {
  /** The top of the project's main checkout. */
  repo: string;
  path: string;
  branch: string;
  /** What it started from and merges into by default: a branch name, or a commit when the base was one. */
  base: string;
  base_commit: string;
  created_at: string;
  /** The setup command's progress in this worktree: none when the layout has none. */
  setup: 'none' | 'pending' | 'running' | 'done' | 'failed';
  setup_log: string | null;
  /** Files copied and linked into it from the project (relative paths): ours, not the agent's work. */
  copied?: string[];
  linked?: string[];
  /** The host it is on (an agent there): its repository and paths are that host's, and git runs there. */
  host?: { name: string; ssh: string; port?: number } | null;
}

/** What an agent's worktree holds against its base, as the recorder last looked (after each turn that changed files). */
export interface WorktreeState {
  head: string;
  ahead: number;
  behind: number;
  /** Files that differ from the base, uncommitted work included. */
  changed: string[];
  /** The agent's work git has not committed, as git status --porcelain lines (our unchanged copies left out, files hidden by an exclude file in: worktrees/work.ts). */
  uncommitted: string[];
  /** The snapshot (commit with the uncommitted work) the conflicts were computed from. */
  snapshot: string;
  checked_at: string;
}

/** Two lines of work that git could not merge: an agent's and its base's, or two agents'. */
export interface ConflictRecord {
  agents: [string, string];
  /** "base" when the second side is the first agent's base branch. */
  with: 'base' | 'agent';
  files: { path: string; kind: string; lines: [number, number][] }[];
  found_at: string;
}

/** A line of an agent's status file: arrival time (ms) and the hook's JSON (or our own process events). */
export interface StatusLine {
  at: number;
  /** A permission request's id (the approval hook's lines). */
  request?: string;
  event: { hook_event_name?: string; [key: string]: unknown };
}

/** A permission request of an agent and what became of it. */
export interface ApprovalRecord {
  id: string;
  agent: string;
  tool: string;
  input: Record<string, unknown>;
  /** "Bash(npm install)" */
  summary: string;
  at: string;
  /** After this the hook stops waiting and Claude's own dialog in the pane decides. */
  timeout_at: string;
  /** answered: in the pane (or by Claude) before anyone decided here; withdrawn: its claude exited first. */
  state: 'pending' | 'allowed' | 'denied' | 'timed_out' | 'answered' | 'withdrawn';
  /** cli, dashboard, lead, policy, or the agent's pane. */
  by: string | null;
  rule: string | null;
  message: string | null;
  decided_at: string | null;
  /**
   * A layout rule's decision, recorded in the recorder's pass; its decision files are written after
   * the store (an effect, performed again by a recorder that starts while the request is pending).
   */
  ruled?: { behavior: 'allow' | 'deny'; rule: string; message: string | null };
}

/** How permission requests are decided: who may besides a person, and how long the hook waits. */
export interface ApprovalSettings {
  timeout_s: number;
  by: 'person' | 'lead';
}

/** One recorded event (bounded history). */
export interface EventRecord {
  at: string;
  agent: string;
  event: string;
  status: AgentStatus;
  detail?: string;
}

/**
 * A task's life: queued (in the store, waiting for its agent to be idle) -> delivering (the prompt
 * was sent to the agent, its UserPromptSubmit not yet seen) -> running (confirmed) -> done | failed.
 * cancelled: by `orchestrate cancel`. interrupted: its agent or session died while it ran.
 */
export type TaskState = 'queued' | 'delivering' | 'running' | 'done' | 'failed' | 'cancelled' | 'interrupted';
export const FINAL_TASK_STATES: readonly TaskState[] = ['done', 'failed', 'cancelled', 'interrupted'];

/** Whom a task is for: one agent by name, or the first idle agent of a role, or any agent. */
export interface TaskTarget {
  agent?: string;
  role?: string;
  any?: boolean;
  /** Never this agent (the dispatcher itself, for --role and --any). */
  not?: string;
}

/** One task given to an agent. */
export interface TaskRecord {
  /** Chosen by the submitter (so it can wait on it before the recorder has seen it). */
  id: string;
  /** Order of intake: FIFO per agent. */
  seq: number;
  target: TaskTarget;
  /** The agent that runs it (set at once for a named agent, at delivery for role/any). */
  agent: string | null;
  prompt: string;
  state: TaskState;
  created_at: string;
  delivered_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  /** The agent's last answer when it finished. */
  result: string | null;
  /** Why it failed, was cancelled or interrupted. */
  error: string | null;
  /** Delivery attempts (a delivery not confirmed by UserPromptSubmit is retried). */
  attempts: number;
  /** Retries that found the agent still in an earlier turn, and so did not count as attempts. */
  turn_waits?: number;
  /** Cost of the agent's turns while it ran (USD). */
  cost_usd: number;
  /** The agent's cost when the task started (cost_usd is the difference at the end), when its prompts have no ids. */
  cost_start?: number;
  /**
   * The cost of each of its turns, by the prompt_id UserPromptSubmit gave (a task that met a limit
   * has more than one); cost_usd is their sum, read from the transcript, late lines included.
   */
  prompt_costs?: Record<string, number>;
  /** `orchestrate cancel` asked for it while it was being delivered or running. */
  cancel_requested?: boolean;
  /** Who asked: an agent's name (ORCH_AGENT) or "cli". */
  by?: string;
  /** Seconds it may run before it is interrupted and fails (workflow tasks). */
  timeout_s?: number;
  /** Files its agent's worktree held uncommitted when it was delivered (tries of workflow tasks with merge: true). */
  leftovers?: string[];
  /** Set when the task belongs to a workflow run. */
  run?: string | null;
  run_task?: string | null;
  /** Each time the task was cut short (its agent or session died under it) and put back in the queue. */
  interruptions?: { at: string; reason: string }[];
  /** Each time its turn ended on a rate, overload or usage limit and it went back to the head of the queue. */
  limited?: { at: string; reason: string }[];
  /** The agent it goes back to (the same conversation), after a limit. */
  resume_on?: string | null;
  /** Its own cap in USD (dispatch --budget, or the layout's budget.task_usd). */
  budget_usd?: number;
  /** Why a queued task is not being delivered now (a budget reached, the busy cap). */
  waiting?: string | null;
  /** Finished and written whole to the archive: the live store may keep only the start of its prompt and result. */
  archived?: boolean;
  /** Its prompt or result in the live store is the start only; the archive has the whole task. */
  clipped?: boolean;
}

/** A rate, overload or usage limit an account is under: nothing new is sent to its agents until `until`. */
export interface LimitRecord {
  account: string;
  kind: 'rate_limit' | 'overloaded' | 'usage_limit';
  message: string;
  since: string;
  /** When to try again: the time the API named, or now plus the backoff. */
  until: string;
  named_time: boolean;
  /** The time the API named was further off than a limit may wait (src/fleet/limits.ts MAX_WAIT_S): cut to that. */
  clamped?: boolean;
  backoff_s: number;
  /** Limits hit in a row (each doubles the backoff). */
  hits: number;
  /** The agent tried first once the time passed; the others wait for its turn to go through. */
  probe: string | null;
  agents: string[];
}

/** The session's fleet settings from the layout (and changes by `orchestrate budget set`). */
export interface FleetSettings {
  on_limit?: { backoff_s: number; max_backoff_s: number };
  budget?: BudgetCaps;
  max_busy?: number | null;
  max_busy_per_role?: Record<string, number>;
}

/** Caps in USD; agents and runs may have caps of their own. */
export interface BudgetCaps {
  session_usd?: number | null;
  agent_usd?: number | null;
  task_usd?: number | null;
  run_usd?: number | null;
  agents?: Record<string, number>;
  runs?: Record<string, number>;
  /** Scopes whose 80% warning and cap were announced (in the event history). */
  announced?: string[];
}

export interface StoreData {
  version: 1;
  session: SessionRecord | null;
  agents: Record<string, AgentRecord>;
  tasks?: Record<string, TaskRecord>;
  /** Next task seq. */
  task_seq?: number;
  /** Workflow runs, by id (src/workflow/types.ts). */
  runs?: Record<string, RunRecord>;
  /** The recorder's pid and when it started (submitters check it is alive). */
  recorder?: { pid: number; started_at: string } | null;
  /** Bytes of each agent's status file already recorded: a restarted recorder resumes here. */
  cursors?: Record<string, number>;
  events?: EventRecord[];
  /** Permission requests by id (pending ones first in every view). */
  approvals?: Record<string, ApprovalRecord>;
  /** Permission rules per agent (the layout's allow/deny/ask, and approve --always). */
  policy?: Record<string, { allow: string[]; deny: string[]; ask: string[] }>;
  approval_settings?: ApprovalSettings;
  /** Where to tell a person they are needed (the layout's notify:, or ORCH_NOTIFY_WEBHOOK). */
  notify?: {
    webhook?: string | null;
    topic?: string | null;
    debounce_ms?: number;
    desktop?: boolean;
    tmux?: boolean;
  } | null;
  /** Rate, overload and usage limits in force, by account. */
  limits?: Record<string, LimitRecord>;
  /** Limits, budgets and busy caps of the session. */
  fleet?: FleetSettings;
  /** The agents' worktrees as last looked at, and the conflicts found between them (the recorder writes it). */
  worktrees?: { agents: Record<string, WorktreeState>; conflicts: ConflictRecord[]; checked_at: string } | null;
  /** What moved to the append-only archive (src/store/archive.ts): bytes of each file the store knows of, and counts. */
  archive?: Partial<Record<'tasks' | 'runs' | 'events', ArchiveCounts>>;
}

/** One archive file as the store knows it. */
export interface ArchiveCounts {
  /** Bytes of archive/<kind>.jsonl written before the store's last write. */
  bytes: number;
  /** Records that are in the archive only (no longer in the live store). */
  count: number;
  /** Archived tasks or runs by their final state. */
  by_state?: Record<string, number>;
  /** What the archived tasks cost (USD). */
  cost_usd?: number;
}

export const emptyStore = (): StoreData => ({ version: 1, session: null, agents: {}, cursors: {}, events: [] });

// Workflows (src/workflow/): a workflow as submitted, and a run of it as the recorder keeps it.

/** One task of a workflow file, resolved. */
export interface WorkflowTaskSpec {
  name: string;
  prompt: string;
  needs: string[];
  target: TaskTarget;
  /** Seconds a try may run before it is interrupted and counts as failed (0: no limit). */
  timeout_s: number;
  /** Further tries after a failure. */
  retries: number;
  /** Merge its agent's worktree branch into its base once it is done. */
  merge?: boolean;
}

/** A validated workflow, as sent to the recorder. */
export interface WorkflowSpec {
  name: string;
  file: string;
  description: string | null;
  tasks: WorkflowTaskSpec[];
}

/** waiting: needs not done yet. skipped: a task it needs failed. merging: done, its agent's branch being merged (merge: true). */
export type RunTaskState = 'waiting' | 'queued' | 'running' | 'merging' | 'done' | 'failed' | 'skipped' | 'cancelled';
export type RunState = 'running' | 'done' | 'failed' | 'cancelled';

export interface RunTaskRecord {
  name: string;
  state: RunTaskState;
  needs: string[];
  target: TaskTarget;
  /** The store task of each try, oldest first. */
  tries: string[];
  agent: string | null;
  started_at: string | null;
  ended_at: string | null;
  result: string | null;
  error: string | null;
  cost_usd: number;
}

export interface RunRecord {
  id: string;
  name: string;
  file: string;
  state: RunState;
  created_at: string;
  ended_at: string | null;
  /** The workflow as submitted (prompts are rendered from it when a task's needs are done). */
  spec: WorkflowSpec;
  tasks: Record<string, RunTaskRecord>;
  /** Each `run --resume` taken in (the request's id), so that its submitter waits for that run. */
  resumes?: { id: string; at: string }[];
}
