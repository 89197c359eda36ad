// How an agent pane starts: a small generated shell script per agent (cd, env, exec claude with its
// flags), so the pane starts with its command, every word is quoted once, and a person can read or
// re-run exactly what the pane runs.
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentSpec } from '../layout/types.js';
import { quote, quoteArgv } from '../util/shell-quote.js';
import { toolkitRoot } from '../util/paths.js';
import { promptsDirOf, writeHeadlessConfig } from '../headless/config.js';
import { hookSettings, statusFile, writeAgentSettings, writeHookScript } from './hooks.js';
import { MCP_TOOL_NAMES, mcpConfigFile, writeMcpConfig } from '../mcp/config.js';
import { forkScript } from './fork.js';

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
  /** fork_from: the agent whose conversation this one starts from, and whether to wait for its first answer. */
  forkFrom?: { name: string; sessionId: string; waitForFirstAnswer: boolean };
}

/** The directory holding one agent's files (launch script, settings, status file). */
export const agentDir = (stateDir: string, agent: string): string => join(stateDir, 'agents', agent);

/**
 * claude's argv for an agent (without the executable); resume continues its conversation, forkOf
 * starts it from a copy of that session's conversation. An agent with mcp gets our MCP server
 * (the mcp.json next to its settings file) and its tools allowed.
 */
export function claudeArgs(agent: AgentSpec, ctx: { sessionId: string; settingsFile?: string; resume?: boolean; forkOf?: string }): string[] {
  const args = ctx.resume ? ['--resume', ctx.sessionId]
    : ctx.forkOf ? ['--resume', ctx.forkOf, '--fork-session', '--session-id', ctx.sessionId] : ['--session-id', ctx.sessionId];
  if (ctx.settingsFile) args.push('--settings', ctx.settingsFile);
  const mcp = Boolean(agent.mcp && ctx.settingsFile);
  if (mcp) args.push('--mcp-config', mcpConfigFile(dirname(ctx.settingsFile!)));
  if (agent.model) args.push('--model', agent.model);
  if (agent.permissionMode) args.push('--permission-mode', agent.permissionMode);
  const allowed = mcp ? [...agent.allowedTools, ...MCP_TOOL_NAMES] : agent.allowedTools;
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
 * a time and runs each as `claude -p` resuming the agent's session (src/headless/runner.ts).
 */
export function headlessRunnerArgv(stateDir: string, agent: string): string[] {
  return [process.execPath, join(toolkitRoot, 'dist', 'bin', 'orchestrate.mjs'), 'headless', '--state', stateDir, '--agent', agent];
}

/** The command an agent's launch script runs: interactive claude with its flags, or the headless runner. */
export function agentArgv(agent: AgentSpec, ctx: { claudeBin: string; sessionId: string; stateDir: string; resume?: boolean; forkOf?: string }): string[] {
  if (agent.mode === 'headless') return headlessRunnerArgv(ctx.stateDir, agent.name);
  const settingsFile = join(agentDir(ctx.stateDir, agent.name), 'settings.json');
  return [ctx.claudeBin, ...claudeArgs(agent, { sessionId: ctx.sessionId, settingsFile, resume: ctx.resume, ...(ctx.forkOf ? { forkOf: ctx.forkOf } : {}) })];
}

/** Claude's folder name for a project: its real path with every non-alphanumeric character as "-". */
export function projectKey(cwd: string): string {
  let real = cwd;
  try { real = realpathSync(cwd); } catch { /* not there yet: use it as given */ }
  return real.replace(/[^A-Za-z0-9]/g, '-');
}

/** The environment an agent runs with: the layout's, the agent's, and tags naming it. */
export function agentEnv(agent: AgentSpec, ctx: LaunchContext): Record<string, string> {
  return { ...ctx.env, ...agent.env, ORCH_AGENT: agent.name, ORCH_SESSION: ctx.sessionName, ORCH_STATE_DIR: ctx.stateDir };
}

/**
 * The text of an agent's launch script. claude runs as a child (not exec) so that its exit is
 * recorded in the status file at once, with its code, and so that restart: on-failure can
 * relaunch it with --resume (same session id, same conversation). Exits by HUP, INT or TERM are
 * deliberate stops and are not restarted; five failures within a minute give up. A headless
 * agent's script runs the runner the same way (it resumes the session by itself).
 */
export function launchScript(agent: AgentSpec, ctx: LaunchContext): string {
  const dir = agentDir(ctx.stateDir, agent.name);
  const env = Object.entries(agentEnv(agent, ctx)).map(([k, v]) => `export ${k}=${quote(v)}`);
  const first = quoteArgv(agentArgv(agent, { ...ctx, resume: false, forkOf: undefined }));
  const again = quoteArgv(agentArgv(agent, { ...ctx, resume: true }));
  const key = projectKey(agent.cwd);
  const parent = agent.mode === 'interactive' ? ctx.forkFrom : undefined;
  const run = parent
    ? forkScript(agent.name, { ...parent, statusFile: statusFile(agentDir(ctx.stateDir, parent.name)) },
      `"\${CLAUDE_CONFIG_DIR:-$HOME/.claude}/projects/${key}/${parent.sessionId}.jsonl"`, join(dir, 'launch.log'),
      { again, fork: quoteArgv(agentArgv(agent, { ...ctx, forkOf: parent.sessionId })), fresh: first })
    : [`run() { if [ "$resumed" = 1 ] && conversation "$transcript"; then ${again}; else set_aside; ${first}; fi; }`];
  return [
    '#!/bin/sh',
    `# Agent ${agent.name} (${agent.role}${agent.mode === 'headless' ? ', headless' : ''}) of tmux session ${ctx.sessionName}. Written by claude-orchestrator;`,
    '# its tmux pane runs this file. Edit the layout, not this file.',
    `cd ${quote(agent.cwd)} || exit 1`,
    ...env,
    `status_file=${quote(join(dir, 'status.jsonl'))}`,
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
 * A headless agent's settings: the same hooks but SessionEnd, which every `claude -p` fires when it
 * exits; the runner reports the end of each run itself (HeadlessTaskExit) and stays up for the next.
 */
function writeHeadlessSettings(dir: string, hookScript: string): string {
  const settings = hookSettings(hookScript, statusFile(dir)) as { hooks: Record<string, unknown> };
  delete settings.hooks.SessionEnd;
  const file = join(dir, 'settings.json');
  writeFileSync(file, `${JSON.stringify(settings, null, 2)}\n`);
  return file;
}

/** Writes the agent's launch script and settings (hooks) and returns the argv its pane runs. */
export function writeLaunchScript(agent: AgentSpec, ctx: LaunchContext): string[] {
  const dir = agentDir(ctx.stateDir, agent.name);
  mkdirSync(dir, { recursive: true });
  const hookScript = writeHookScript(ctx.stateDir);
  if (agent.mcp) writeMcpConfig(dir, ctx.stateDir, agent.name);
  if (agent.mode === 'headless') {
    const settingsFile = writeHeadlessSettings(dir, hookScript);
    mkdirSync(promptsDirOf(dir), { recursive: true });
    writeHeadlessConfig(dir, { agent, sessionId: ctx.sessionId, claudeBin: ctx.claudeBin, settingsFile });
  } else {
    writeAgentSettings(dir, hookScript);
  }
  const file = join(dir, 'launch.sh');
  writeFileSync(file, launchScript(agent, ctx));
  chmodSync(file, 0o755);
  return ['/bin/sh', file];
}
