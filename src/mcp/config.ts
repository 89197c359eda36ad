// The --mcp-config file an agent with `mcp: true` gets: our MCP server (`orchestrate mcp`) run by
// the same node as the toolkit, on this session's state, and the names of its tools, which are
// allowed without a permission prompt.
import { writeFileSync } from 'node:fs';
import { orchestrateBin } from '../util/paths.js';
import { agentFiles } from '../store/paths.js';
import { TOOLS } from './tools.js';

/** The server's name in the config: claude calls its tools mcp__orchestrator__<tool>. */
export const MCP_SERVER_NAME = 'orchestrator';

/** Every tool of our server as claude names it (for --allowedTools). */
export const MCP_TOOL_NAMES: readonly string[] = TOOLS.map((t) => `mcp__${MCP_SERVER_NAME}__${t.name}`);

/** The config: claude starts `node dist/bin/orchestrate.mjs mcp --state DIR` for the agent. */
export function mcpConfig(stateDir: string, agent: string): Record<string, unknown> {
  return {
    mcpServers: {
      [MCP_SERVER_NAME]: {
        command: process.execPath,
        args: [orchestrateBin, 'mcp', '--state', stateDir],
        // The caller's name (never picked by role or any); no rebuild check while claude waits for us.
        env: { ORCH_AGENT: agent, ORCH_NO_REBUILD: '1' },
      },
    },
  };
}

/** Writes an agent's MCP config (agents/<name>/mcp.json) and returns the file. */
export function writeMcpConfig(stateDir: string, agent: string): string {
  const file = agentFiles(stateDir, agent).mcpConfig;
  writeFileSync(file, `${JSON.stringify(mcpConfig(stateDir, agent), null, 2)}\n`);
  return file;
}
