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
}

export interface StoreData {
  version: 1;
  session: SessionRecord | null;
  agents: Record<string, AgentRecord>;
}

export const emptyStore = (): StoreData => ({ version: 1, session: null, agents: {} });
