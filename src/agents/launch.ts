// How an agent pane starts: a small generated shell script per agent (cd, env, exec claude with its
// flags), so the pane starts with its command, every word is quoted once, and a person can read or
// re-run exactly what the pane runs.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentSpec } from '../layout/types.js';
import { quote, quoteArgv } from '../util/shell-quote.js';

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
}

/** The directory holding one agent's files (launch script, settings, status file). */
export const agentDir = (stateDir: string, agent: string): string => join(stateDir, 'agents', agent);

/** claude's argv for an agent (without the executable). */
export function claudeArgs(agent: AgentSpec, ctx: Pick<LaunchContext, 'sessionId'>): string[] {
  const args = ['--session-id', ctx.sessionId];
  if (agent.model) args.push('--model', agent.model);
  if (agent.permissionMode) args.push('--permission-mode', agent.permissionMode);
  if (agent.allowedTools.length) args.push('--allowedTools', ...agent.allowedTools);
  if (agent.disallowedTools.length) args.push('--disallowedTools', ...agent.disallowedTools);
  if (agent.appendSystemPrompt !== undefined) args.push('--append-system-prompt', agent.appendSystemPrompt);
  args.push(...agent.args);
  // "--" ends claude's variadic options (--allowedTools a b ...) so the prompt is not taken as a tool.
  if (agent.prompt !== undefined) args.push('--', agent.prompt);
  return args;
}

/** The environment an agent runs with: the layout's, the agent's, and tags naming it. */
export function agentEnv(agent: AgentSpec, ctx: LaunchContext): Record<string, string> {
  return { ...ctx.env, ...agent.env, ORCH_AGENT: agent.name, ORCH_SESSION: ctx.sessionName, ORCH_STATE_DIR: ctx.stateDir };
}

/** The text of an agent's launch script. */
export function launchScript(agent: AgentSpec, ctx: LaunchContext): string {
  const env = Object.entries(agentEnv(agent, ctx)).map(([k, v]) => `export ${k}=${quote(v)}`);
  return [
    '#!/bin/sh',
    `# Agent ${agent.name} (${agent.role}) of tmux session ${ctx.sessionName}. Written by claude-orchestrator;`,
    '# its tmux pane runs this file. Edit the layout, not this file.',
    `cd ${quote(agent.cwd)} || exit 1`,
    ...env,
    `exec ${quoteArgv([ctx.claudeBin, ...claudeArgs(agent, ctx)])}`,
    '',
  ].join('\n');
}

/** Writes the agent's launch script and returns the argv its pane runs. */
export function writeLaunchScript(agent: AgentSpec, ctx: LaunchContext): string[] {
  const dir = agentDir(ctx.stateDir, agent.name);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'launch.sh');
  writeFileSync(file, launchScript(agent, ctx));
  chmodSync(file, 0o755);
  return ['/bin/sh', file];
}
