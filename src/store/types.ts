// The shape of a session's store (state/<session>/store.json).

export type AgentStatus = 'starting' | 'idle' | 'busy' | 'waiting' | 'error' | 'exited';

/** A tmux pane we created, by id. */
export interface PaneRecord { id: string; title: string; agent?: string }

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
}

/** One recorded event (bounded history). */
export interface EventRecord { at: string; agent: string; event: string; status: AgentStatus; detail?: string }

export interface StoreData {
  version: 1;
  session: SessionRecord | null;
  agents: Record<string, AgentRecord>;
  /** Bytes of each agent's status file already recorded: a restarted recorder resumes here. */
  cursors?: Record<string, number>;
  events?: EventRecord[];
}

export const emptyStore = (): StoreData => ({ version: 1, session: null, agents: {}, cursors: {}, events: [] });
