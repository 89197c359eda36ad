// The map of a session's state directory: every file and folder under state/<session>/ is named
// here and nowhere else.
//
//   store.json              the store (the recorder is its only writer)
//   store.damaged-<time>.json  a damaged store, kept aside when a session starts afresh over it
//   inbox/                  requests to the recorder (dispatch, cancel, run), one file each
//   agents/<name>/          one agent: launch.sh, env (its env: values, mode 0600), settings.json, status.jsonl (its hooks' events),
//                           mcp.json, launch.log, system-prompt.md; headless.json and prompts/ for
//                           a headless agent (<seq>-<task>.json to run, <task>.cancel to stop);
//                           worktree.json, setup.log and setup.done for an agent with its own
//                           worktree; approvals/<request>.json, the decisions on its permission
//                           requests (written once, by whoever claims <request>.claim first);
//                           transcripts/<session id>.jsonl, the local copy of a host's transcript
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
/** Where a damaged store is moved aside, stamped with the time (no ':' or '.' in the name). */
export const damagedStoreFile = (stateDir: string, at: Date): string =>
  join(stateDir, `store.damaged-${at.toISOString().replace(/[:.]/g, '-')}.json`);
export const inboxDir = (stateDir: string): string => join(stateDir, 'inbox');
/** One request in the inbox, by its file name. */
export const inboxRequestFile = (stateDir: string, name: string): string => join(inboxDir(stateDir), name);
export const agentsDir = (stateDir: string): string => join(stateDir, 'agents');
export const handoversDir = (stateDir: string): string => join(stateDir, 'handovers');
/** One handover, by its file name. */
export const handoverFile = (stateDir: string, name: string): string => join(handoversDir(stateDir), name);
export const hookScriptFile = (stateDir: string): string => join(stateDir, 'hook.sh');
export const recorderScriptFile = (stateDir: string): string => join(stateDir, 'recorder.sh');
export const approvalHookFile = (stateDir: string): string => join(stateDir, 'approve.sh');
export const TMUX_EVENTS = 'tmux-events';
export const tmuxEventsFile = (stateDir: string): string => join(stateDir, TMUX_EVENTS);
export const panesDir = (stateDir: string): string => join(stateDir, 'panes');
/** A command pane's env file, by its window and pane index. */
export const paneEnvFile = (stateDir: string, window: number, pane: number): string =>
  join(panesDir(stateDir), `${window}.${pane}.env`);
export const tmuxEnvFile = (stateDir: string): string => join(stateDir, 'tmux-env.conf');
export const dashboardInfoFile = (stateDir: string): string => join(stateDir, 'dashboard.json');
export const sessionEndLog = (stateDir: string): string => join(stateDir, 'session-end.log');

export type ArchiveKind = 'tasks' | 'runs' | 'events';
/** Archived records that have ids, and so an index. */
export type IndexedKind = 'tasks' | 'runs';
export const archiveDir = (stateDir: string): string => join(stateDir, 'archive');
export const archiveFile = (stateDir: string, kind: ArchiveKind): string => join(archiveDir(stateDir), `${kind}.jsonl`);
export const indexFile = (stateDir: string, kind: IndexedKind): string => join(archiveDir(stateDir), `${kind}.idx`);
/** The folders every session's state directory holds. */
export const stateFolders = (stateDir: string): string[] => [
  agentsDir(stateDir),
  inboxDir(stateDir),
  handoversDir(stateDir),
  archiveDir(stateDir),
];

/** The directory holding one agent's files. */
export const agentDir = (stateDir: string, agent: string): string => join(agentsDir(stateDir), agent);

/** One agent's files. */
export function agentFiles(
  stateDir: string,
  agent: string,
): {
  dir: string;
  launch: string;
  env: string;
  settings: string;
  status: string;
  mcpConfig: string;
  launchLog: string;
  systemPrompt: string;
  headlessConfig: string;
  prompts: string;
  worktree: string;
  setupLog: string;
  setupDone: string;
  approvals: string;
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
/** A task waiting in a headless agent's prompts directory: its sequence number (8 digits, so names sort) and task id. */
export const queuedPromptFile = (prompts: string, seq: number, task: string): string =>
  join(prompts, `${String(seq).padStart(8, '0')}-${task}.json`);
/** Asks a headless agent's runner to interrupt or drop a task. */
export const cancelRequestFile = (prompts: string, task: string): string => join(prompts, `${task}.cancel`);
/** Who decided a permission request first (created exclusively, so one decider wins). */
export const approvalClaimFile = (stateDir: string, agent: string, id: string): string =>
  join(agentFiles(stateDir, agent).approvals, `${id}.claim`);
/** The decision the approval hook waits for. */
export const approvalAnswerFile = (stateDir: string, agent: string, id: string): string =>
  join(agentFiles(stateDir, agent).approvals, `${id}.json`);
/** The local copy of a host agent's transcript. */
export const transcriptMirror = (stateDir: string, agent: string, sessionId: string): string =>
  join(agentFiles(stateDir, agent).dir, 'transcripts', `${sessionId}.jsonl`);
