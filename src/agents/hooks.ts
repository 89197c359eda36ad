// Claude Code hooks as the status signal (which ones, and their settings: the claude kind's
// src/drivers/claude/settings.ts). Each hook runs a tiny shell script (no Node start-up: hooks run
// synchronously inside the agent) that appends the event's JSON, stamped with its arrival time, as
// one line to the agent's own status file.
import { mkdirSync, writeFileSync } from 'node:fs';
import { writeOnce } from '../util/write-once.js';
import { agentFiles, hookScriptFile } from '../store/paths.js';
import { hookSettings, type ApprovalHook } from '../drivers/claude/settings.js';

export { HOOK_EVENTS, hookSettings, type ApprovalHook } from '../drivers/claude/settings.js';

/**
 * The hook script. Newlines inside JSON strings arrive escaped, so removing raw newlines keeps
 * the event on one line. It always exits 0: a hook must never block or fail the agent.
 */
export const HOOK_SCRIPT = `#!/bin/sh
# Claude Code hook of claude-orchestrator: appends the event (JSON on stdin) and its arrival time
# in ms as one line to the status file named by $1.
e=$(tr -d '\\n')
printf '{"at":%s,"event":%s}\\n' "$(date +%s%3N)" "\${e:-null}" >> "$1" 2>/dev/null
exit 0
`;

/** Writes the session's hook script (once per state directory) and returns its path. */
export function writeHookScript(stateDir: string): string {
  mkdirSync(stateDir, { recursive: true });
  const file = hookScriptFile(stateDir);
  writeOnce(file, HOOK_SCRIPT, 0o755);
  return file;
}

/**
 * Writes an agent's settings file (its hooks append to its status file) and returns its path. A
 * headless agent's has no session-end hook: its `claude -p` fires one whenever it exits (stopped,
 * killed, crashed), which is not the end of the agent; its runner reports the end of each task
 * itself, stays up, and starts claude again for the next task.
 */
export function writeAgentSettings(
  stateDir: string,
  agent: string,
  hookScript: string,
  headless = false,
  approval?: Omit<ApprovalHook, 'decisions'>,
): string {
  const files = agentFiles(stateDir, agent);
  if (approval) mkdirSync(files.approvals, { recursive: true });
  const settings = hookSettings(hookScript, files.status, approval && { ...approval, decisions: files.approvals }, {
    sessionEnd: !headless,
  });
  writeFileSync(files.settings, `${JSON.stringify(settings, null, 2)}\n`);
  return files.settings;
}
