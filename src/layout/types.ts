// A layout after validation: every default applied, every path absolute.
import type { ApprovalSettings, FleetSettings, StoreData } from '../store/types.js';

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
  /** Its own git worktree of the project, on this branch (worktree: true). */
  worktree?: { branch: string };
  /** nice(1) value of its claude and its children (0-19). */
  nice?: number;
  /** How many TCP ports it gets (ORCH_PORT, ORCH_PORT_0..N-1); 0 for none. */
  ports: number;
  /** The account its API use counts against (agents of one account pause together on a limit). */
  account: string;
  /** Permission rules decided without a person (allow, deny, ask). */
  rules: { allow: string[]; deny: string[]; ask: string[] };
  /** The host it runs on (a name of the layout's hosts:); its cwd is then relative to that host's root. */
  host?: string;
}

/** A machine of the layout's hosts: section. */
export interface HostSpec {
  name: string;
  ssh: string;
  port?: number;
  /** The project directory there, as given (relative: to the login's HOME); undefined: HOME. */
  root?: string;
  claude: string;
  env: Record<string, string>;
}

/** How worktrees are made (the layout's worktrees: section). */
export interface WorktreeSettings {
  /** Where worktrees go, relative to the repository's top (each in <dir>/<session>/<agent>). */
  dir: string;
  /** The branch or commit new worktrees start from (default: the branch checked out in the project). */
  base?: string;
  /** Globs of files copied from the project into each new worktree (e.g. .env*). */
  copy: string[];
  /** Globs of files or folders linked (symlinks) into each new worktree (e.g. node_modules). */
  link: string[];
  /** A shell command run once in each new worktree before claude starts. */
  setup?: string;
  /** Seconds the setup may take. */
  setupTimeoutS: number;
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
  worktrees: WorktreeSettings;
  /** Limits, budgets and busy caps (store: fleet). */
  fleet: FleetSettings;
  /** How permission requests are decided. */
  approvals: ApprovalSettings;
  /** Where a person is told they are needed. */
  notify: NonNullable<StoreData['notify']>;
  windows: WindowSpec[];
  /** Other machines, by name. */
  hosts: Record<string, HostSpec>;
  /** Every agent, in pane order. */
  agents: AgentSpec[];
}
