// How an agent pane starts: a small generated shell script per agent (cd, env, exec claude with its
// flags), so the pane starts with its command, every word is quoted once, and a person can read or
// re-run exactly what the pane runs.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import type { AgentSpec } from '../layout/types.js';
import { quote, quoteArgv } from '../util/shell-quote.js';
import { orchestrateBin } from '../util/paths.js';
import { agentFiles } from '../store/paths.js';
import { writeHeadlessConfig } from './headless-config.js';
import { writeAgentSettings, writeHookScript } from './hooks.js';
import { projectKey } from './claude-files.js';
import { forkScript } from './fork.js';
import { portEnv } from '../worktrees/ports.js';
import { writeApprovalHook } from '../approvals/hook.js';
import { writeEnvFile } from '../util/secrets.js';
import { DEFAULT_APPROVAL_TIMEOUT_S } from '../approvals/approvals.js';

/** An MCP server an agent gets (the orchestrator's, for the lead): its --mcp-config file and the tools allowed unasked. */
export interface AgentMcp {
  configFile: string;
  tools: readonly string[];
}

/** What one launch needs besides the layout's agent spec. */
export interface LaunchContext {
  claudeBin: string;
  /** The Claude session id we choose for this agent (claude --session-id). */
  sessionId: string;
  /** This session's state directory. */
  stateDir: string;
  sessionName: string;
  /** Session-wide environment from the layout. */
  env: Record<string, string>;
  /** Continue the agent's earlier conversation (--resume) instead of starting it. */
  resume?: boolean;
  /** fork_from: the agent whose conversation this one starts from, whether to wait for its first answer, and where it runs. */
  forkFrom?: { name: string; sessionId: string; waitForFirstAnswer: boolean; cwd?: string };
  /** The MCP server this agent gets (agents with mcp: true). */
  mcp?: AgentMcp;
  /** Its block of TCP ports (exported as ORCH_PORT, ORCH_PORT_0..N-1). */
  ports?: readonly number[];
  /** A setup command to run once in its new worktree before claude starts. */
  setup?: { command: string; timeoutS: number };
  /** How long its permission requests wait for a decision before Claude's own dialog decides. */
  approvalTimeoutS?: number;
}

/**
 * claude's argv for an agent (without the executable); resume continues its conversation, forkOf
 * starts it from a copy of that session's conversation. An agent given an MCP server gets its
 * --mcp-config and its tools allowed.
 */
export function claudeArgs(
  agent: AgentSpec,
  ctx: { sessionId: string; settingsFile?: string; resume?: boolean; forkOf?: string; mcp?: AgentMcp },
): string[] {
  const args = ctx.resume
    ? ['--resume', ctx.sessionId]
    : ctx.forkOf
      ? ['--resume', ctx.forkOf, '--fork-session', '--session-id', ctx.sessionId]
      : ['--session-id', ctx.sessionId];
  if (ctx.settingsFile) args.push('--settings', ctx.settingsFile);
  if (ctx.mcp) args.push('--mcp-config', ctx.mcp.configFile);
  if (agent.model) args.push('--model', agent.model);
  if (agent.permissionMode) args.push('--permission-mode', agent.permissionMode);
  const allowed = ctx.mcp ? [...agent.allowedTools, ...ctx.mcp.tools] : agent.allowedTools;
  if (allowed.length) args.push('--allowedTools', ...allowed);
  if (agent.disallowedTools.length) args.push('--disallowedTools', ...agent.disallowedTools);
  if (agent.appendSystemPrompt) args.push('--append-system-prompt', agent.appendSystemPrompt);
  if (agent.appendSystemPromptFile) args.push('--append-system-prompt-file', agent.appendSystemPromptFile);
  args.push(...agent.args);
  // "--" ends claude's variadic options (--allowedTools a b ...) so the prompt is not taken as a tool.
  if (agent.prompt !== undefined && !ctx.resume) args.push('--', agent.prompt);
  return args;
}

/**
 * What a headless agent's pane runs instead of claude: our runner, which takes prompt files one at
 * a time and gives each to one long-lived `claude -p` as a new message (src/headless/runner.ts).
 */
export function headlessRunnerArgv(stateDir: string, agent: string): string[] {
  return [process.execPath, orchestrateBin, 'headless', '--state', stateDir, '--agent', agent];
}

/** The command an agent's launch script runs: interactive claude with its flags, or the headless runner. */
export function agentArgv(
  agent: AgentSpec,
  ctx: { claudeBin: string; sessionId: string; stateDir: string; resume?: boolean; forkOf?: string; mcp?: AgentMcp },
): string[] {
  if (agent.mode === 'headless') return headlessRunnerArgv(ctx.stateDir, agent.name);
  const settingsFile = agentFiles(ctx.stateDir, agent.name).settings;
  return [
    ctx.claudeBin,
    ...claudeArgs(agent, {
      sessionId: ctx.sessionId,
      settingsFile,
      resume: ctx.resume,
      ...(ctx.forkOf ? { forkOf: ctx.forkOf } : {}),
      ...(ctx.mcp ? { mcp: ctx.mcp } : {}),
    }),
  ];
}

/** The layout's environment for an agent (the layout's, its host's, its own): possibly secret, so only ever in its env file. */
export const layoutEnv = (agent: AgentSpec, ctx: Pick<LaunchContext, 'env'>): Record<string, string> => ({
  ...ctx.env,
  ...agent.env,
});

/** The environment we add (its ports, tags naming it): nothing secret, so written in the launch script itself. */
export function agentTags(agent: AgentSpec, ctx: LaunchContext): Record<string, string> {
  return {
    ...portEnv(ctx.ports ?? []),
    ORCH_AGENT: agent.name,
    ORCH_SESSION: ctx.sessionName,
    ORCH_STATE_DIR: ctx.stateDir,
  };
}

/**
 * The text of an agent's launch script. claude runs as a child (not exec) so that its exit is
 * recorded in the status file at once, with its code, and so that restart: on-failure can
 * relaunch it with --resume (same session id, same conversation). Exits by HUP, INT or TERM are
 * deliberate stops and are not restarted; five failures within a minute give up. A headless
 * agent's script runs the runner the same way (it resumes the session by itself).
 */
export function launchScript(agent: AgentSpec, ctx: LaunchContext): string {
  const files = agentFiles(ctx.stateDir, agent.name);
  const env = Object.entries(agentTags(agent, ctx)).map(([k, v]) => `export ${k}=${quote(v)}`);
  const first = quoteArgv(agentArgv(agent, { ...ctx, resume: false, forkOf: undefined }));
  const again = quoteArgv(agentArgv(agent, { ...ctx, resume: true }));
  const key = projectKey(agent.cwd);
  const parent = agent.mode === 'interactive' ? ctx.forkFrom : undefined;
  const projects = `"\${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects`;
  const parentKey = parent?.cwd ? projectKey(parent.cwd) : key;
  const run = parent
    ? forkScript(
        agent.name,
        { ...parent, statusFile: agentFiles(ctx.stateDir, parent.name).status },
        `${projects}/${parentKey}/${parent.sessionId}.jsonl"`,
        files.launchLog,
        { again, fork: quoteArgv(agentArgv(agent, { ...ctx, forkOf: parent.sessionId })), fresh: first },
        parentKey !== key ? `${projects}/${key}"` : undefined,
      )
    : [`run() { if [ "$resumed" = 1 ] && conversation "$transcript"; then ${again}; else set_aside; ${first}; fi; }`];
  return [
    '#!/bin/sh',
    `# Agent ${agent.name} (${agent.role}${agent.mode === 'headless' ? ', headless' : ''}) of tmux session ${ctx.sessionName}. Written by claude-orchestrator;`,
    '# its tmux pane runs this file. Edit the layout, not this file.',
    // Below the recorder and the dashboard (the script runs itself again under nice(1), POSIX's
    // increment from tmux's 0): a machine full of busy agents still gets its events recorded at once.
    ...(agent.nice ? [`[ "\${ORCH_NICED:-}" = 1 ] || ORCH_NICED=1 exec nice -n ${agent.nice} /bin/sh "$0" "$@"`] : []),
    `cd ${quote(agent.cwd)} || exit 1`,
    // The layout's env: values are in a file only this user can read, never in this script or an argv.
    `. ${quote(files.env)} || exit 1`,
    ...env,
    `status_file=${quote(files.status)}`,
    `restart=${agent.restart === 'on-failure' ? 1 : 0}`,
    `record() { printf '{"at":%s,"event":{"hook_event_name":"%s","exit_code":%s,"restarts":%s}}\\n' "$(date +%s%3N)" "$1" "$2" "$failures" >> "$status_file"; }`,
    // ctx.resume (./start.mts --resume): continue the conversation from the start when its transcript exists.
    `failures=0; since=$(date +%s); resumed=${ctx.resume ? 1 : 0}`,
    // A session that never got a prompt has no transcript and cannot be resumed: start it afresh.
    `transcript="\${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects/${key}/${ctx.sessionId}.jsonl"`,
    // A claude killed in its first turn leaves a transcript with no message in it (it writes the
    // conversation later): that cannot be resumed, and its id cannot be started again while the file
    // is there, so the empty file is set aside (kept, renamed) and the session starts afresh.
    `conversation() { [ -f "$1" ] && grep -q '"type":"user"' "$1"; }`,
    `set_aside() { if [ -f "$transcript" ] && ! conversation "$transcript"; then mv -f "$transcript" "$transcript.no-conversation"; fi; }`,
    ...run,
    ...(ctx.setup ? setupScript(ctx.setup, files) : []),
    'while :; do',
    '  run; code=$?',
    '  record ProcessExit "$code"',
    '  case $code in 0|129|130|143) exit "$code";; esac',
    '  [ "$restart" = 1 ] || exit "$code"',
    '  now=$(date +%s); [ $((now - since)) -gt 60 ] && failures=0 && since=$now',
    '  failures=$((failures + 1)); [ "$failures" -gt 5 ] && exit "$code"',
    '  sleep 1; resumed=1',
    '  record ProcessRestart "$code"',
    'done',
    '',
  ].join('\n');
}

/**
 * The worktree's setup, run once before claude (a file marks it done): into setup.log, shown in the
 * pane while it runs. It is done when its shell exits, not when its output ends: what it leaves
 * running in the background (npm run dev &) keeps writing to the log, and claude starts (session end
 * stops it: it carries ORCH_STATE_DIR). On the timeout (exit code 124) timeout(1) stops its whole
 * process group. A failure is recorded, and the pane waits with claude not started until the
 * session ends (./start.mts --restart tries again).
 */
function setupScript(setup: { command: string; timeoutS: number }, files: ReturnType<typeof agentFiles>): string[] {
  const event = (name: string, code: string): string =>
    `printf '{"at":%s,"event":{"hook_event_name":"${name}","exit_code":%s,"timeout_s":${setup.timeoutS}}}\\n' "$(date +%s%3N)" ${code} >> "$status_file"`;
  return [
    `setup_log=${quote(files.setupLog)}; setup_done=${quote(files.setupDone)}`,
    'if [ ! -f "$setup_done" ]; then',
    `  ${event('SetupStart', '0')}`,
    `  printf '%s\\n' ${quote(`Setting up this worktree: ${setup.command}`)} "(log: $setup_log)"`,
    '  : > "$setup_log"',
    `  timeout -k 10 ${setup.timeoutS} /bin/sh -c ${quote(setup.command)} < /dev/null > "$setup_log" 2>&1 & setup_pid=$!`,
    // tail shows the log until the setup's shell is gone (and reads what is left then).
    '  tail -n +1 -s 0.2 -f --pid="$setup_pid" "$setup_log" 2>/dev/null & tail_pid=$!',
    '  wait "$setup_pid"; code=$?; wait "$tail_pid"',
    '  if [ "$code" != 0 ]; then',
    `    ${event('SetupFailed', '"$code"')}`,
    `    if [ "$code" = 124 ]; then why="timed out after ${setup.timeoutS} s"; else why="exit code $code"; fi`,
    `    printf '\\n%s\\n' "The setup failed ($why); claude was not started. Its output: $setup_log. Fix it, then ./start.mts --restart."`,
    `    trap 'record ProcessExit 143; exit 143' TERM HUP INT`,
    '    while :; do sleep 3600 & wait $!; done',
    '  fi',
    '  : > "$setup_done"',
    `  ${event('SetupDone', '0')}`,
    'fi',
  ];
}

/** Writes the agent's launch script and settings (hooks) and returns the argv its pane runs. */
export function writeLaunchScript(agent: AgentSpec, ctx: LaunchContext): string[] {
  const files = agentFiles(ctx.stateDir, agent.name);
  mkdirSync(files.dir, { recursive: true });
  const hookScript = writeHookScript(ctx.stateDir);
  // Interactive agents' permission requests wait for a decision from anywhere (src/approvals/).
  const approval =
    agent.mode === 'interactive'
      ? { script: writeApprovalHook(ctx.stateDir), timeoutS: ctx.approvalTimeoutS ?? DEFAULT_APPROVAL_TIMEOUT_S }
      : undefined;
  const settingsFile = writeAgentSettings(ctx.stateDir, agent.name, hookScript, agent.mode === 'headless', approval);
  if (agent.mode === 'headless') {
    mkdirSync(files.prompts, { recursive: true });
    writeHeadlessConfig(ctx.stateDir, { agent, sessionId: ctx.sessionId, claudeBin: ctx.claudeBin, settingsFile });
  }
  writeEnvFile(files.env, layoutEnv(agent, ctx));
  writeFileSync(files.launch, launchScript(agent, ctx));
  chmodSync(files.launch, 0o755);
  return ['/bin/sh', files.launch];
}
