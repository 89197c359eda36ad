// `orchestrate session end`: ends the session (src/session/end.ts). Run from inside the session
// (an agent's Bash tool, a pane), it would stop its own caller halfway, so it hands itself to a
// detached process and says where its log is.
import { openSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { basename } from 'node:path';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { Server, Session } from '../../tmux/objects.js';
import { endSession } from '../../session/end.js';
import { orchestrateBin } from '../../util/paths.js';
import { sessionEndLog } from '../../store/paths.js';
import { seconds } from './handover.js';
import { ancestorsOf } from '../../session/processes.js';

export const sessionEndUsage = `Usage: orchestrate session end [--force] [--timeout S] [--summary] [--state DIR]

Waits until no agent is busy and every task is finished (at most --timeout S, default 600; when
that passes nothing is stopped and the exit code is 1), writes a handover, ends every agent so
that its end is recorded, stops the recorder, the status board and the dashboard, kills the tmux
session (and its private tmux server when no other session is left on it) and marks the session
ended. Tasks never started are recorded as cancelled.
--force cancels running and queued tasks instead of waiting for them.
--summary asks the lead for a summary for the handover first (when it is idle).`;

/**
 * Whether this process runs inside the session it would end: in one of its panes (an agent's tool,
 * a shell there), by $TMUX_PANE or by its ancestors, or under its private tmux server (run-shell).
 * $ORCH_STATE_DIR says nothing here: a person may export it in any shell to pick the session.
 */
async function runsInside(stateDir: string): Promise<boolean> {
  const s = readStore(stateDir).session;
  if (!s || s.ended_at) return false;
  const panes = await new Session(Server.of(s.socket), s.tmux_id, s.name).panes().catch(() => []);
  if (!panes.length) return false;
  const pane = process.env.TMUX_PANE;
  // $TMUX is "<socket path>,<server pid>,<session>": the same server as the session's?
  if (
    pane &&
    process.env.TMUX &&
    basename(process.env.TMUX.split(',')[0] ?? '') === (s.socket ?? 'default') &&
    panes.some((p) => p.pane_id === pane)
  )
    return true;
  const panePids = panes.map((p) => Number(p.pane_pid));
  // A private server goes with the session: what it runs (its panes' parent) is inside too.
  const server = s.socket ? ancestorsOf(panePids[0]!)[1] : undefined;
  const inside = new Set([...panePids, ...(server && server > 1 ? [server] : [])]);
  return ancestorsOf(process.pid).some((pid) => inside.has(pid));
}

export async function sessionEndCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      force: { type: 'boolean' },
      timeout: { type: 'string' },
      state: { type: 'string' },
      summary: { type: 'boolean' },
    },
    sessionEndUsage,
  );
  if (values.help) {
    process.stdout.write(`${sessionEndUsage}\n`);
    return 0;
  }
  const timeout = seconds('--timeout', values.timeout, 600);
  const stateDir = resolveStateDir(values.state);
  if (!process.env.ORCH_END_DETACHED && (await runsInside(stateDir))) {
    const log = sessionEndLog(stateDir);
    const fd = openSync(log, 'a');
    const args = [
      orchestrateBin,
      'session',
      'end',
      '--state',
      stateDir,
      '--timeout',
      String(timeout),
      ...(values.force ? ['--force'] : []),
      ...(values.summary ? ['--summary'] : []),
    ];
    const child = spawn(process.execPath, args, {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ORCH_END_DETACHED: '1' },
    });
    child.unref();
    process.stdout.write(`Ending the session from outside it (this command runs inside it); follow it in ${log}\n`);
    return 0;
  }
  return endSession({
    stateDir,
    force: Boolean(values.force),
    timeoutMs: timeout * 1000,
    summary: Boolean(values.summary),
    out: (line) => process.stdout.write(`${line}\n`),
  });
}
