// The session's control window: the recorder (restarted by a shell loop if it dies), a live
// status board and, unless the layout says `dashboard: false`, the web dashboard. Created after
// the store is written, so the recorder always finds its session.
import { chmodSync, writeFileSync } from 'node:fs';
import type { Server } from '../tmux/objects.js';
import type { TmuxCommand } from '../tmux/command.js';
import { focusCommands } from '../tmux/builder.js';
import { formatLiteral, formatOf, parseRows } from '../tmux/format.js';
import { quote } from '../util/shell-quote.js';
import { orchestrateBin } from '../util/paths.js';
import { recorderScriptFile } from '../store/paths.js';

export const CONTROL_WINDOW = 'control';

/**
 * Environment the recorder reads: ORCH_KEEP_FINISHED, how many finished tasks the live store keeps
 * (src/store/retention.ts); the ssh config file and control folder of its links to other hosts.
 */
const RECORDER_SETTINGS = ['ORCH_KEEP_FINISHED', 'ORCH_SSH_CONFIG', 'ORCH_SSH_CONTROL_DIR'] as const;

/**
 * The recorder makes many small short-lived objects (one pass per event) and keeps little: a young
 * generation of 2 MB (V8's default grows to 16 MB per semi-space) keeps its RSS near an idle node's.
 */
const RECORDER_NODE_FLAGS = '--max-semi-space-size=2';

/** The recorder's supervisor script: deliberate stops end it, crashes restart it. */
export function recorderScript(stateDir: string, env: NodeJS.ProcessEnv = process.env): string {
  // Settings of the recorder given to ./start.mts reach it even in a tmux server started earlier.
  const settings = RECORDER_SETTINGS.filter((k) => env[k] !== undefined)
    .map((k) => `export ${k}=${quote(env[k]!)}\n`)
    .join('');
  return `#!/bin/sh
# The recorder of this session, restarted when it dies (a restarted recorder resumes from the store).
# 0: stopped or the session is lost; 2: nothing it can record (a damaged store: it says why); signals: stopped.
${settings}while :; do
  ${quote(process.execPath)} ${RECORDER_NODE_FLAGS} ${quote(orchestrateBin)} record --state ${quote(stateDir)}
  code=$?
  case $code in 0|2|129|130|143) exit "$code";; esac
  echo "recorder exited with code $code; restarting in 1 s"
  sleep 1
done
`;
}

/**
 * The dashboard's pane command: 127.0.0.1, port 8888 or the next free one, and a token of its own
 * (so that the page can dispatch and cancel, and no other local user can); it writes its address
 * to <state>/dashboard.json (`orchestrate dashboard --url`).
 */
export function dashboardArgv(stateDir: string): string[] {
  return [process.execPath, orchestrateBin, 'dashboard', '--state', stateDir, '--new-token'];
}

/** The commands that create the control window in the session (one client call). */
export function controlCommands(
  session: string,
  stateDir: string,
  cwd: string,
  focus?: { focusWindow: string; focusPane: string },
  write = true,
  dashboard = true,
): TmuxCommand[] {
  const script = recorderScriptFile(stateDir);
  if (write) {
    writeFileSync(script, recorderScript(stateDir));
    chmodSync(script, 0o755);
  }
  const literal = formatLiteral(cwd);
  // Each new pane is the current target of the commands after it; the user's window and pane are selected at the end.
  return [
    [
      'new-window',
      '-t',
      `=${session}:`,
      '-n',
      CONTROL_WINDOW,
      '-c',
      literal,
      '-P',
      '-F',
      formatOf(['window_id', 'pane_id']),
      '/bin/sh',
      script,
    ],
    ['select-pane', '-T', 'recorder'],
    // A recorder that stops for good (a damaged store) leaves its message readable.
    ['set-option', '-p', 'remain-on-exit', 'on'],
    [
      'split-window',
      '-h',
      '-c',
      literal,
      '-P',
      '-F',
      formatOf(['pane_id']),
      process.execPath,
      orchestrateBin,
      'watch',
      '--state',
      stateDir,
    ],
    ['select-pane', '-T', 'status'],
    // The dashboard below the board; its pane stays open if it fails, so its message can be read.
    ...(dashboard
      ? [
          ['split-window', '-v', '-c', literal, '-P', '-F', formatOf(['pane_id']), ...dashboardArgv(stateDir)],
          ['select-pane', '-T', 'dashboard'],
          ['set-option', '-p', 'remain-on-exit', 'on'],
        ]
      : []),
    ...(focus ? focusCommands(focus) : []),
  ];
}

/** Creates the control window and selects the user's window and pane; returns the control window's ids. */
export async function createControlWindow(
  server: Server,
  session: string,
  stateDir: string,
  cwd: string,
  focus: { focusWindow: string; focusPane: string },
  dashboard = true,
): Promise<{ window: string; recorderPane: string; watchPane: string; dashboardPane?: string }> {
  const out = (await server.cmd(...controlCommands(session, stateDir, cwd, focus, true, dashboard))).trim().split('\n');
  const [first] = parseRows(['window_id', 'pane_id'], out[0] ?? '');
  const [window = '', recorderPane = ''] = [first?.window_id, first?.pane_id];
  return { window, recorderPane, watchPane: out[1] ?? '', ...(dashboard && out[2] ? { dashboardPane: out[2] } : {}) };
}
