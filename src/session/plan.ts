// Turns a validated layout into a tmux SessionPlan: agent panes run their launch scripts (which run
// claude, or for a headless agent our runner of `claude -p`), command panes run the user's shell.
import { randomUUID } from 'node:crypto';
import type { AgentSpec, Layout } from '../layout/types.js';
import type { PanePlan, SessionPlan } from '../tmux/builder.js';
import { agentArgv, writeLaunchScript, type AgentMcp, type LaunchContext } from '../agents/launch.js';
import { agentFiles, paneEnvFile, tmuxEnvFile } from '../store/paths.js';
import { SECRET_FILE_MODE, tmuxEnvConf, writeEnvFile } from '../util/secrets.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { MCP_TOOL_NAMES, writeMcpConfig } from '../mcp/config.js';

/** The orchestrator's MCP server for an agent with mcp: true (the lead by default). */
const mcpOf = (agent: Pick<AgentSpec, 'name' | 'mcp' | 'mode'>, stateDir: string): AgentMcp | undefined =>
  agent.mcp && agent.mode === 'interactive'
    ? { configFile: agentFiles(stateDir, agent.name).mcpConfig, tools: MCP_TOOL_NAMES }
    : undefined;

/** A plan plus, per agent, the launch context it needs. */
export interface StartPlan {
  tmux: SessionPlan;
  agents: { name: string; sessionId: string; launchFile: string; argv: string[] }[];
}

/** Builds the plan; launch scripts are only referenced here (writeLaunchScript writes them). */
export function planSession(
  layout: Layout,
  opts: { claudeBin: string; stateDir: string; width: number; height: number; sessionIds?: Record<string, string> },
): StartPlan {
  const agents: StartPlan['agents'] = [];
  // Ids first: a fork_from agent's command names its parent's session id.
  const ids = new Map(layout.agents.map((a) => [a.name, opts.sessionIds?.[a.name] ?? randomUUID()]));
  const shell = process.env.SHELL || '/bin/sh';
  const windows = layout.windows.map((w, wi) => ({
    name: w.name,
    layout: w.layout,
    focus: w.focus,
    options: w.options,
    panes: w.panes.map((pane, pi): PanePlan => {
      if (pane.kind === 'command') {
        return {
          title: pane.name,
          cwd: pane.cwd,
          argv: commandArgv(shell, pane.command, { ...layout.env, ...pane.env }, paneEnvFile(opts.stateDir, wi, pi)),
          focus: pane.focus,
        };
      }
      const sessionId = ids.get(pane.name) ?? randomUUID();
      const launchFile = agentFiles(opts.stateDir, pane.name).launch;
      const forkOf = pane.forkFrom ? ids.get(pane.forkFrom) : undefined;
      const mcp = mcpOf(pane, opts.stateDir);
      agents.push({
        name: pane.name,
        sessionId,
        launchFile,
        argv: agentArgv(pane, {
          claudeBin: opts.claudeBin,
          sessionId,
          stateDir: opts.stateDir,
          ...(forkOf ? { forkOf } : {}),
          ...(mcp ? { mcp } : {}),
        }),
      });
      return {
        title: pane.name,
        agent: pane.name,
        role: pane.role,
        cwd: pane.cwd,
        argv: ['/bin/sh', launchFile],
        focus: pane.focus,
      };
    }),
  }));
  const tmux: SessionPlan = {
    name: layout.session,
    cwd: layout.root,
    width: opts.width,
    height: opts.height,
    windows,
    options: layout.options,
    windowOptions: layout.windowOptions,
    ...(Object.keys(layout.env).length ? { envFile: tmuxEnvFile(opts.stateDir) } : {}),
  };
  return { tmux, agents };
}

/** A command pane's argv: its command in the user's shell, after sh has read its env file (when it has env: values). */
function commandArgv(shell: string, command: string, env: Record<string, string>, envFile: string): string[] {
  if (!Object.keys(env).length) return [shell, '-c', command];
  return ['/bin/sh', '-c', '. "$1" && shift && exec "$@"', 'sh', envFile, shell, '-c', command];
}

/**
 * Writes the files that carry the layout's env: values to the session (mode 0600, never argv):
 * tmux's session environment, for the control window and panes opened later, and each command
 * pane's. (Each agent's is written with its launch script.)
 */
export function writeSessionEnvFiles(layout: Layout, stateDir: string): void {
  if (Object.keys(layout.env).length)
    writeFileAtomic(tmuxEnvFile(stateDir), tmuxEnvConf(layout.session, layout.env), SECRET_FILE_MODE);
  layout.windows.forEach((w, wi) => {
    w.panes.forEach((pane, pi) => {
      const env = { ...layout.env, ...pane.env };
      if (pane.kind === 'command' && Object.keys(env).length) writeEnvFile(paneEnvFile(stateDir, wi, pi), env);
    });
  });
}

/** The launch context for one agent of the plan. */
export function launchContext(
  layout: Layout,
  plan: StartPlan,
  name: string,
  claudeBin: string,
  stateDir: string,
): LaunchContext {
  const agent = plan.agents.find((a) => a.name === name);
  const parentName = layout.agents.find((a) => a.name === name)?.forkFrom;
  const parent = parentName ? plan.agents.find((a) => a.name === parentName) : undefined;
  const parentSpec = parent && layout.agents.find((a) => a.name === parent.name);
  const forkFrom = parent && {
    name: parent.name,
    sessionId: parent.sessionId,
    waitForFirstAnswer: parentSpec?.prompt !== undefined,
    ...(parentSpec ? { cwd: parentSpec.cwd } : {}),
  };
  const spec = layout.agents.find((a) => a.name === name);
  const mcp = spec && mcpOf(spec, stateDir);
  return {
    claudeBin,
    sessionId: agent?.sessionId ?? randomUUID(),
    stateDir,
    sessionName: layout.session,
    env: layout.env,
    ...(forkFrom ? { forkFrom } : {}),
    ...(mcp ? { mcp } : {}),
  };
}

/** Writes everything an agent's pane needs: its launch script, settings and, with mcp, its MCP config. */
export function writeAgentFiles(agent: AgentSpec, ctx: LaunchContext): string[] {
  const argv = writeLaunchScript(agent, ctx);
  if (ctx.mcp) writeMcpConfig(ctx.stateDir, agent.name);
  return argv;
}
