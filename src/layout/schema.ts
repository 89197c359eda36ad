// The layout file's schema: one description, used for validation and for layouts/schema.json.
import { arrayOf, bool, int, mapOf, oneOfStr, positive, scalar, str, type Schema } from '../config/schema.js';

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$/;
const NAME_HINT = 'letters, digits, "-" and "_", starting with a letter or digit, at most 40';
export const PERMISSION_MODES = ['default', 'acceptEdits', 'auto', 'bypassPermissions', 'dontAsk', 'plan'] as const;
export const RESTART_POLICIES = ['never', 'on-failure'] as const;
export const AGENT_MODES = ['interactive', 'headless'] as const;
export const ON_RECOVER_POLICIES = ['requeue', 'report'] as const;

/** An environment variable's name: the shell's rule (anything else would be code in the launch script). */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const env = mapOf(scalar(), 'Environment variables (values are taken as text).', {
  pattern: ENV_NAME,
  hint: 'a variable name: letters, digits and "_", not starting with a digit',
});
/** A tmux option's name (a user option starts with "@"; an array option may carry an [index]). */
export const OPTION_NAME = /^@?[A-Za-z][A-Za-z0-9_-]*(\[\d+\])?$/;
const options = (description: string): Schema =>
  mapOf(
    scalar(),
    `${description} Values go to tmux as they are (formats such as #{...} or #(...) in status-right are tmux's own, as in tmux.conf).`,
    { pattern: OPTION_NAME, hint: 'a tmux option name, e.g. mouse, status-style or @my-option' },
  );
/** A git branch name (git check-ref-format --branch, in short). */
export const BRANCH_PATTERN =
  /^(?!-)(?!HEAD$)(?!@$)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)(?!.*\.lock(?:\/|$))(?!.*\/\.)(?![./])[^\s~^:?*[\\\x00-\x1f\x7f]+(?<![/.])$/;
const BRANCH_HINT =
  'a git branch name such as shop/w1: not HEAD or @, not starting with "-" or ".", no spaces, "..", "@{", "~", "^", ":", "?", "*", "[", "\\", no "/" at either end or twice, no part starting with "." or ending in ".lock"';

/**
 * A tmux session name: tmux expands formats in it ("#"), changes "." and ":" and treats a leading "$"
 * as an id, so names keep to letters, digits, "_", "-" and "+".
 */
export const SESSION_PATTERN = /^[\p{L}\p{N}_][\p{L}\p{N}_+-]{0,63}$/u;

// Agent settings that may be given once in `defaults:` and overridden per agent.
const agentSettings: Record<string, Schema> = {
  role: str('What the agent is for, e.g. lead or worker (default: "lead" for the agent named lead, else "worker").', {
    nonEmpty: true,
  }),
  cwd: str('Working directory, relative to the window root (default: the project root).'),
  model: str('Claude model or alias (claude --model).', { nonEmpty: true }),
  permission_mode: oneOfStr(
    PERMISSION_MODES,
    'claude --permission-mode. Workers that edit unattended want acceptEdits.',
  ),
  allowed_tools: arrayOf(
    str(undefined, { nonEmpty: true }),
    'Tools allowed without asking (claude --allowedTools), e.g. ["Bash(git *)", "Edit"].',
  ),
  disallowed_tools: arrayOf(str(undefined, { nonEmpty: true }), 'Tools denied (claude --disallowedTools).'),
  append_system_prompt: str('Text appended to the system prompt (claude --append-system-prompt).'),
  append_system_prompt_file: str(
    "File whose text is appended to the system prompt, relative to the layout file (default for roles lead and worker: the toolkit's prompts/<role>.md).",
    { nonEmpty: true },
  ),
  args: arrayOf(str(), 'Extra claude arguments, one list entry per argument.'),
  env,
  restart: oneOfStr(RESTART_POLICIES, 'on-failure: relaunch claude with --resume when it exits abnormally.'),
  mode: oneOfStr(
    AGENT_MODES,
    'interactive (a claude you can attach to) or headless (claude -p per task, rendered live).',
  ),
  worktree: bool(
    'Run this agent in its own git worktree of the project, on its own branch (see worktrees: for where, from which base, and how it is set up).',
  ),
  nice: int(
    "CPU priority of this agent's claude and everything it runs (its tools, builds and tests), as nice(1) takes it: 0 to 19, higher yields more (default 5, so that the recorder, the dashboard and your own shell stay responsive when agents fill every core).",
    0,
    19,
  ),
  ports: int(
    "TCP ports this agent gets for its servers, exported as ORCH_PORT (the first) and ORCH_PORT_0..N-1, different from every other agent's on this machine (default 10; 0 for none).",
    0,
    1000,
  ),
  allow: arrayOf(
    str(undefined, { nonEmpty: true }),
    'Permission requests these rules allow without a person, in Claude Code\'s syntax, e.g. ["Bash(npm test:*)", "Edit(src/**)"]; each decision is logged with its rule.',
  ),
  deny: arrayOf(
    str(undefined, { nonEmpty: true }),
    'Permission requests these rules deny without a person, e.g. ["Bash(rm -rf:*)"] (deny wins over ask and allow).',
  ),
  ask: arrayOf(
    str(undefined, { nonEmpty: true }),
    'Permission requests that always go to a person, even when an allow rule matches.',
  ),
  account: str(
    'The account (API key or login) this agent\'s API use counts against: agents of one account pause together when one hits a rate, overload or usage limit (default: "default", the same for all).',
    { nonEmpty: true },
  ),
  host: str('The machine this agent runs on: a name from hosts:, or local for this one (the default).', {
    pattern: NAME_PATTERN,
    patternHint: NAME_HINT,
  }),
  mcp: bool(
    "Give this agent the orchestrator's MCP tools (list agents, dispatch tasks, wait for results), allowed without asking (default: true for role lead).",
  ),
};

const agentPane: Record<string, Schema> = {
  agent: str('Agent name, unique in the session.', { pattern: NAME_PATTERN, patternHint: NAME_HINT }),
  ...agentSettings,
  prompt: str('A first prompt, submitted when the agent starts.'),
  fork_from: str(
    "Start from this agent's conversation (claude --resume ID --fork-session); both must run in the same directory. When that agent has a first prompt, this one waits for its first answer.",
    { pattern: NAME_PATTERN, patternHint: NAME_HINT },
  ),
  focus: bool('Select this pane when the session starts.'),
  branch: str("The branch of this agent's worktree (default: SESSION/AGENT).", {
    pattern: BRANCH_PATTERN,
    patternHint: BRANCH_HINT,
  }),
};

const commandPane: Record<string, Schema> = {
  command: str('A shell command run in the pane (a dev server, a log tail).', { nonEmpty: true }),
  name: str('Shown in the pane border (default: the command).', { nonEmpty: true }),
};

/** The pane schema: either an agent or a plain command. */
const pane: Schema = {
  kind: 'object',
  description: 'A pane: an agent (agent: NAME) or a plain command (command: ...).',
  fields: { ...agentPane, ...commandPane },
  oneOf: ['agent', 'command'],
};

const window: Schema = {
  kind: 'object',
  description: 'A tmux window.',
  required: ['panes'],
  fields: {
    name: str('Window name (default: window-N).', { nonEmpty: true }),
    layout: str(
      'tmux layout: tiled, even-horizontal, even-vertical, main-horizontal, main-vertical, or a custom layout string.',
      { nonEmpty: true },
    ),
    root: str("Directory for this window's panes, relative to the project root."),
    focus: bool('Select this window when the session starts.'),
    options: options('tmux window options for this window.'),
    panes: arrayOf(pane, 'The panes, in order.', 1),
  },
};

/** The whole layout file. */
export const layoutSchema: Schema = {
  kind: 'object',
  description: 'A Claude Orchestrator layout: a tmux session of Claude Code agents.',
  required: ['windows'],
  fields: {
    session: str("tmux session name (default: the project folder's name).", {
      pattern: SESSION_PATTERN,
      patternHint:
        'letters, digits, "_", "-" and "+", at most 64, starting with a letter, digit or "_" (tmux expands "#", changes "." and ":")',
    }),
    root: str('Project root, relative to this file (default: the directory start.mts is run from).'),
    options: options('tmux session options, e.g. mouse: on.'),
    window_options: options('tmux window options for every window.'),
    env,
    dashboard: bool('Start the web dashboard with the session (default true).'),
    on_recover: oneOfStr(
      ON_RECOVER_POLICIES,
      'When ./start.mts --resume brings the session back after its tmux session was lost: tasks that were running are marked interrupted and then queued again (requeue, the default) or left interrupted and reported (report).',
    ),
    worktrees: {
      kind: 'object',
      description: 'How the worktrees of agents with worktree: true are made.',
      fields: {
        dir: str(
          "Where worktrees go, relative to the top of the project's repository: DIR/SESSION/AGENT (default .worktrees, which is added to the repository's .git/info/exclude). A folder of their own inside the repository, holding nothing git tracks.",
          { nonEmpty: true },
        ),
        base: str(
          'The branch or commit a new worktree starts from (default: the branch checked out in the project). Uncommitted changes there are not in the worktrees.',
          { nonEmpty: true },
        ),
        copy: arrayOf(
          str(undefined, { nonEmpty: true }),
          'Files copied from the project into each new worktree, as globs relative to its top (inside it), e.g. [".env*", "config/*.local.json"]. Not hidden from git; --commit-all never commits them.',
        ),
        link: arrayOf(
          str(undefined, { nonEmpty: true }),
          'Files or folders linked (symlinked) into each new worktree, as globs relative to its top (inside it), e.g. ["node_modules"].',
        ),
        setup: str(
          "A shell command run once in each new worktree, in its pane, before claude starts (e.g. npm ci). Its output goes to the agent's setup.log; a failure marks the agent error and claude does not start.",
          { nonEmpty: true },
        ),
        setup_timeout: int('Seconds the setup may take (default 600).', 1, 86400),
      },
    },
    approvals: {
      kind: 'object',
      description:
        "How agents' permission requests are decided: they wait in one queue (status, dashboard, orchestrate approve/deny) while Claude's dialog stays up in the pane.",
      fields: {
        timeout: int(
          "Seconds a request waits for a decision; then Claude's own dialog in the pane decides, never an allow (default 300).",
          1,
          86400,
        ),
        by: oneOfStr(
          ['person', 'lead'],
          'Who may decide besides a person: lead lets the lead decide with its MCP tools pending_approvals and decide (default person).',
        ),
      },
    },
    notify: {
      kind: 'object',
      description:
        'Where to tell a person they are needed (a permission, a dialog, an error, a limit, a workflow run that ended, a budget warning); a burst goes out as one message.',
      fields: {
        webhook: str(
          'A URL that gets a JSON POST per burst ({title, message, text, topic}: ntfy and Slack incoming webhooks take it); ORCH_NOTIFY_WEBHOOK sets one too.',
          { pattern: /^https?:\/\/\S+$/, patternHint: 'an http:// or https:// URL' },
        ),
        topic: str("The ntfy topic, when the webhook is ntfy's root URL (https://ntfy.sh).", { nonEmpty: true }),
        debounce: int('Milliseconds a burst is gathered into one message (default 2000).', 0, 600000),
        desktop: bool('A desktop notification with notify-send, where it exists (default true).'),
        tmux: bool("A tmux message and bell on the session's clients (default true)."),
      },
    },
    on_limit: {
      kind: 'object',
      description:
        "What the team does when an agent's turn ends on a rate limit (429), an overload (529) or a usage limit: its account pauses until the time the API named, or for a backoff that doubles up to a cap; then one agent is tried first.",
      fields: {
        backoff: int('Seconds of the first pause when the API names no time (default 30).', 1, 86400),
        max_backoff: int('The longest pause a doubling backoff reaches, in seconds (default 900).', 1, 86400),
      },
    },
    budget: {
      kind: 'object',
      description:
        'Caps in USD (at 80% every view warns; at the cap no new task starts in that scope, and a running task over its own cap is interrupted and failed). orchestrate budget set changes them while the session runs.',
      fields: {
        session_usd: positive('The whole session.'),
        agent_usd: positive('Each agent.'),
        task_usd: positive("Each task (dispatch --budget sets one task's own)."),
        run_usd: positive("Each workflow run (run --budget sets one run's own)."),
      },
    },
    max_busy: int('At most this many agents work at once; the rest of the queue waits in order.', 1, 1000),
    max_busy_per_role: mapOf(
      int(undefined, 1, 1000),
      'At most this many agents of a role work at once, e.g. { worker: 2 }.',
      { pattern: /^\S+$/, hint: 'a role name' },
    ),
    hosts: mapOf(
      {
        kind: 'object',
        description:
          'A machine reached with OpenSSH; its agents run in a tmux server there (they survive a dropped connection) and show here in their panes.',
        required: ['ssh'],
        fields: {
          ssh: str(
            'The destination as ssh takes it: user@box, or an alias from ~/.ssh/config. Logging in must need no prompt (a key or an agent).',
            {
              nonEmpty: true,
              pattern: /^[^\s-][^\s]*$/,
              patternHint: 'an ssh destination such as user@box or an alias, with no spaces and not starting with "-"',
            },
          ),
          port: int("The ssh port (default: what ssh would use, 22 or the config's).", 1, 65535),
          root: str(
            "The project directory there; agents' cwd: is relative to it (default: the home directory of the user you log in as).",
            { nonEmpty: true },
          ),
          claude: str('The claude executable there (default: claude on its PATH).', { nonEmpty: true }),
          env,
        },
      },
      'Other machines agents run on, by name (an agent says host: NAME).',
      { pattern: NAME_PATTERN, hint: NAME_HINT },
    ),
    defaults: {
      kind: 'object',
      description: 'Settings applied to every agent unless it sets its own.',
      fields: agentSettings,
    },
    windows: arrayOf(window, 'The windows, in order.', 1),
  },
};
