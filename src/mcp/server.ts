// The lead's MCP server on the official MCP TypeScript SDK, over stdio: claude starts it (from the
// --mcp-config file we write for the lead) and calls our tools. The SDK is loaded here only, so
// no other command pays for it.
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Readable, Writable } from 'node:stream';
import { callTool } from './handlers.js';
import { TOOLS } from './tools.js';
import { MCP_SERVER_NAME } from './config.js';

const INSTRUCTIONS =
  "Tools of Claude Orchestrator: see the other agents of this tmux session (list_agents), give them tasks (dispatch), and collect their answers (wait_task, task_result, list_tasks); cancel_task stops one. An agent's answer is the last message of its turn.";

/** An MCP server whose tools work on the session in stateDir, for the agent named caller. */
export function createServer(stateDir: string, caller: string | undefined, version: string): Server {
  const server = new Server(
    { name: MCP_SERVER_NAME, version },
    { capabilities: { tools: {} }, instructions: INSTRUCTIONS },
  );
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra) => {
    const outcome = await callTool(
      { stateDir, ...(caller ? { caller } : {}), signal: extra.signal },
      request.params.name,
      request.params.arguments,
    );
    return { content: [{ type: 'text', text: outcome.text }], isError: outcome.isError };
  });
  return server;
}

/** Serves on stdin/stdout until the client closes stdin. */
export async function serveStdio(
  stateDir: string,
  caller: string | undefined,
  version: string,
  io: { stdin: Readable; stdout: Writable } = { stdin: process.stdin, stdout: process.stdout },
): Promise<void> {
  const server = createServer(stateDir, caller, version);
  const closed = new Promise<void>((resolve) => {
    io.stdin.once('end', resolve);
    io.stdin.once('close', resolve);
    server.onclose = () => resolve();
  });
  await server.connect(new StdioServerTransport(io.stdin, io.stdout));
  await closed;
  await server.close().catch(() => {});
}
