// Where Claude Code keeps an agent's conversation: $CLAUDE_CONFIG_DIR (or ~/.claude)/projects/
// <cwd with every non-alphanumeric character as "-">/<session id>.jsonl. --resume needs it, and
// only from the same directory.
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Claude's folder name for a project: its real path with every non-alphanumeric character as "-". */
export function projectKey(cwd: string): string {
  let real = cwd;
  try {
    real = realpathSync(cwd);
  } catch {
    /* not there yet: use it as given */
  }
  return real.replace(/[^A-Za-z0-9]/g, '-');
}

/** The transcript of a session started in cwd. */
export function transcriptFile(cwd: string, sessionId: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(
    env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude'),
    'projects',
    projectKey(cwd),
    `${sessionId}.jsonl`,
  );
}

/** Whether a transcript holds a conversation claude can resume (one killed in its first turn may hold none yet). */
export function hasConversation(file: string): boolean {
  try {
    return readFileSync(file, 'utf8').includes('"type":"user"');
  } catch {
    return false;
  }
}
