// `orchestrate mcp [--state DIR] [--agent NAME]`: the lead's MCP server on stdio (claude starts it
// from the lead's --mcp-config file). The MCP SDK is imported only here, when this command runs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { OrchestratorError } from '../../core/errors.js';
import { toolkitRoot } from '../../util/paths.js';

const usage = `Usage: orchestrate mcp [--state DIR] [--agent NAME]
An MCP server on stdin/stdout with the tools list_agents, dispatch, wait_task, task_result,
list_tasks and cancel_task for the session in DIR. Claude starts it for the lead (its --mcp-config).
--agent names the calling agent (default $ORCH_AGENT): it is never picked by role or any.`;

export async function mcpCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { state: { type: 'string' }, agent: { type: 'string' } }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const stateDir = resolveStateDir(values.state);
  if (!existsSync(stateDir))
    throw new OrchestratorError(`no session state in ${stateDir} (expected the directory of a started session)`);
  const version = (JSON.parse(readFileSync(join(toolkitRoot, 'package.json'), 'utf8')) as { version: string }).version;
  const { serveStdio } = await import('../../mcp/server.js');
  await serveStdio(stateDir, values.agent ?? (process.env.ORCH_AGENT || undefined), version);
  return 0;
}
