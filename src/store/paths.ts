// The map of a session's state directory: every file and folder under state/<session>/ is named
// here and nowhere else.
//
//   store.json              the store (the recorder is its only writer)
//   inbox/                  requests to the recorder (dispatch, cancel, run), one file each
//   agents/<name>/          one agent: launch.sh, env (its env: values, mode 0600), settings.json, status.jsonl (its hooks' events),
//                           mcp.json, launch.log, system-prompt.md; headless.json and prompts/ for
//                           a headless agent; worktree.json, setup.log and setup.done for an
//                           agent with its own worktree; approvals/<request>.json, the decisions
//                           on its permission requests (written once, by whoever decides first)
//   panes/<w>.<p>.env       a command pane's env: values (mode 0600), read by its shell before the command
//   tmux-env.conf           the layout's env: as tmux's session environment (mode 0600), read by source-file
//   handovers/              Markdown handovers
//   archive/                finished tasks, runs and events that left the live store:
//                           <kind>.jsonl (append-only) and <kind>.idx (where each id's line is)
//   hook.sh, recorder.sh    the hooks' script and the recorder's supervisor loop
//   approve.sh              the PermissionRequest hook (waits for a decision in agents/<name>/approvals/)
//   tmux-events             appended by tmux's pane-died hook
//   dashboard.json          where the running dashboard listens (its own file)
//   session-end.log         a detached `session end`
import { join } from 'node:path';

export const storeFile = (stateDir: string): string => join(stateDir, 'store.json');
export const inboxDir = (stateDir: string): string => join(stateDir, 'inbox');
export const agentsDir = (stateDir: string): string => join(stateDir, 'agents');
export const handoversDir = (stateDir: string): string => join(stateDir, 'handovers');
export const hookScriptFile = (stateDir: string): string => join(stateDir, 'hook.sh');
export const recorderScriptFile = (stateDir: string): string => join(stateDir, 'recorder.sh');
export const approvalHookFile = (stateDir: string): string => join(stateDir, 'approve.sh');
export const TMUX_EVENTS = 'tmux-events';
export const tmuxEventsFile = (stateDir: string): string => join(stateDir, TMUX_EVENTS);
export const panesDir = (stateDir: string): string => join(stateDir, 'panes');
/** A command pane's env file, by its window and pane index. */
export const paneEnvFile = (stateDir: string, window: number, pane: number): string => join(panesDir(stateDir), `${window}.${pane}.env`);
export const tmuxEnvFile = (stateDir: string): string => join(stateDir, 'tmux-env.conf');
export const dashboardInfoFile = (stateDir: string): string => join(stateDir, 'dashboard.json');
export const sessionEndLog = (stateDir: string): string => join(stateDir, 'session-end.log');

export type ArchiveKind = 'tasks' | 'runs' | 'events';
/** Archived records that have ids, and so an index. */
export type IndexedKind = 'tasks' | 'runs';
export const archiveDir = (stateDir: string): string => join(stateDir, 'archive');
export const archiveFile = (stateDir: string, kind: ArchiveKind): string => join(archiveDir(stateDir), `${kind}.jsonl`);
export const indexFile = (stateDir: string, kind: IndexedKind): string => join(archiveDir(stateDir), `${kind}.idx`);

/** The directory holding one agent's files. */
export const agentDir = (stateDir: string, agent: string): string => join(agentsDir(stateDir), agent);

/** One agent's files. */
export function agentFiles(stateDir: string, agent: string): {
  dir: string; launch: string; env: string; settings: string; status: string; mcpConfig: string; launchLog: string;
  systemPrompt: string; headlessConfig: string; prompts: string; worktree: string; setupLog: string; setupDone: string; approvals: string;
} {
  const dir = agentDir(stateDir, agent);
  return {
    dir,
    launch: join(dir, 'launch.sh'),
    env: join(dir, 'env'),
    settings: join(dir, 'settings.json'),
    status: join(dir, 'status.jsonl'),
    mcpConfig: join(dir, 'mcp.json'),
    launchLog: join(dir, 'launch.log'),
    systemPrompt: join(dir, 'system-prompt.md'),
    headlessConfig: join(dir, 'headless.json'),
    prompts: join(dir, 'prompts'),
    worktree: join(dir, 'worktree.json'),
    setupLog: join(dir, 'setup.log'),
    setupDone: join(dir, 'setup.done'),
    approvals: join(dir, 'approvals'),
  };
}

/** An agent's status file (its hooks append one JSON line per event). */
export const statusFile = (stateDir: string, agent: string): string => agentFiles(stateDir, agent).status;
/** Where a headless agent's runner finds its tasks: <seq>-<task>.json files, and <task>.cancel. */
export const promptsDir = (stateDir: string, agent: string): string => agentFiles(stateDir, agent).prompts;
