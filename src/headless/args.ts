// The argv of one headless task: `claude -p` with stream-json output, the agent's own flags from the
// layout (the same claudeArgs as an interactive agent), --session-id the first time and --resume
// once the session's transcript exists, and the prompt as one argument after "--" (no shell).
import { existsSync } from 'node:fs';
import { claudeArgs } from '../agents/launch.js';
import { transcriptFile } from '../agents/claude-files.js';
import type { HeadlessConfig } from '../agents/headless-config.js';

/** Whether the agent's session has a transcript, so a run must resume it rather than create it. */
export function sessionExists(config: HeadlessConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(transcriptFile(config.agent.cwd, config.sessionId, env));
}

/** claude's argv (without the executable) for one prompt. */
export function printArgs(config: HeadlessConfig, prompt: string, resume: boolean): string[] {
  const agent = { ...config.agent, prompt: undefined };
  return ['-p', '--output-format', 'stream-json', '--verbose',
    ...claudeArgs(agent, { sessionId: config.sessionId, settingsFile: config.settingsFile, resume }), '--', prompt];
}
