// A layout after validation: every default applied, every path absolute.

/** An agent pane. */
export interface AgentSpec {
  kind: 'agent';
  name: string;
  role: string;
  cwd: string;
  model?: string;
  permissionMode?: string;
  allowedTools: string[];
  disallowedTools: string[];
  /** Appended system prompt text (read from append_system_prompt_file when given). */
  appendSystemPrompt?: string;
  /** A file claude appends to the system prompt (--append-system-prompt-file): the shipped role prompt. */
  appendSystemPromptFile?: string;
  args: string[];
  env: Record<string, string>;
  prompt?: string;
  restart: 'never' | 'on-failure';
  mode: 'interactive' | 'headless';
  focus: boolean;
  /** Gets the orchestrator's MCP tools (--mcp-config); default true for role lead. */
  mcp?: boolean;
  /** Starts from this agent's conversation (--resume its id --fork-session). */
  forkFrom?: string;
}

/** A plain command pane. */
export interface CommandSpec {
  kind: 'command';
  name: string;
  command: string;
  cwd: string;
  env: Record<string, string>;
  focus: boolean;
}

export type PaneSpec = AgentSpec | CommandSpec;

export interface WindowSpec {
  name: string;
  layout: string;
  focus: boolean;
  options: Record<string, string>;
  panes: PaneSpec[];
}

/** A validated layout. */
export interface Layout {
  /** Absolute path of the layout file. */
  file: string;
  session: string;
  root: string;
  options: Record<string, string>;
  windowOptions: Record<string, string>;
  env: Record<string, string>;
  dashboard: boolean;
  /** What --resume does with tasks that were running when the session was lost. */
  onRecover: 'requeue' | 'report';
  windows: WindowSpec[];
  /** Every agent, in pane order. */
  agents: AgentSpec[];
}
