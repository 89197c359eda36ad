// The argv of a headless agent's claude: one long-lived `claude -p` that reads its prompts as
// stream-json user messages on stdin and streams its events as stream-json on stdout, the agent's
// own flags from the layout (the same claudeArgs as an interactive agent), --session-id the first
// time and --resume once the session's transcript exists. No prompt is ever in argv. (Not
// --replay-user-messages: this CLI echoes a message only with the turn's first reply, so it is no
// earlier receipt than the UserPromptSubmit hook the recorder already waits for.)
import { existsSync } from 'node:fs';
import { claudeArgs } from '../agents/launch.js';
import { transcriptFile } from '../agents/claude-files.js';
import type { HeadlessConfig } from '../agents/headless-config.js';

/** Whether the agent's session has a transcript, so a run must resume it rather than create it. */
export function sessionExists(config: HeadlessConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return existsSync(transcriptFile(config.agent.cwd, config.sessionId, env));
}

/** claude's argv (without the executable) for the agent's long-lived process. */
export function streamArgs(config: HeadlessConfig, resume: boolean): string[] {
  const agent = { ...config.agent, prompt: undefined };
  return [
    '-p',
    '--input-format',
    'stream-json',
    '--output-format',
    'stream-json',
    '--verbose',
    ...claudeArgs(agent, { sessionId: config.sessionId, settingsFile: config.settingsFile, resume }),
  ];
}
