// `orchestrate session end`: let the work in progress finish (or with --force cancel it), write a
// handover, end every agent so its SessionEnd is recorded, stop the recorder, the board and the
// dashboard, kill the tmux session (and a private server it was the last session of), and only
// then, as the store's one writer left, close the tasks and mark the session ended.
import { rmSync, statSync } from 'node:fs';
import { readStore } from '../store/state-dir.js';
import { OrchestratorError } from '../core/errors.js';
import { Store } from '../store/store.js';
import type { AgentRecord, HostRecord, SessionRecord, StoreData } from '../store/types.js';
import { agentServer } from '../hosts/remote.js';
import { Server, type Session } from '../tmux/objects.js';
import { socketPath } from '../tmux/command.js';
import { statusFile } from '../store/paths.js';
import { cancelTask, waitForStore } from '../tasks/client.js';
import { clearPromptBox } from '../delivery/deliver.js';
import { driverFor } from '../drivers/driver.js';
import { openTasks } from '../tasks/lifecycle.js';
import { writeHandover } from '../handover/files.js';
import { isRecorderOf } from '../util/pid.js';
import { recordSessionEnd } from './record-end.js';
import { childrenOf, processesOf, signal, stopAll, stopOldRecorder, waitGone, withDescendants } from './processes.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { worktreeAgents } from '../worktrees/ops.js';
import { removeWorktree } from '../worktrees/cleanup.js';
import { setupFailed } from '../tasks/tasks.js';

export interface EndOptions {
  stateDir: string;
  /** Cancel running and queued tasks instead of waiting for them. */
  force: boolean;
  /** How long to wait for the work in progress (without --force). */
  timeoutMs: number;
  /** Ask the lead for a summary for the handover. */
  summary?: boolean;
  out: (line: string) => void;
  /** How long agents get to record their SessionEnd after /exit before they get SIGTERM. */
  exitGraceMs?: number;
}

const fileSize = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/** What keeps the session from ending now: busy agents and unfinished tasks. */
export function workInProgress(data: StoreData): string[] {
  const busy = Object.values(data.agents)
    .filter((a) => a.status === 'busy')
    .map((a) => `${a.name} is busy${a.task_id ? ` with task ${a.task_id}` : ''}`);
  const tasks = openTasks(data)
    .filter((t) => !busy.some((b) => b.includes(t.id)))
    .map((t) => `task ${t.id} is ${t.state}${t.agent ? ` for ${t.agent}` : ''}`);
  return [...busy, ...tasks];
}

/** Every agent has recorded its end and the recorder has read every status file to the end. */
function allRecorded(data: StoreData, stateDir: string): boolean {
  return Object.values(data.agents).every(
    (a) => a.status === 'exited' && (data.cursors?.[a.name] ?? 0) >= fileSize(statusFile(stateDir, a.name)),
  );
}

/**
 * Ends one agent as its driver says: its kind's exit command (/exit) typed when its transport shows
 * the prompt, else its place's way: SIGTERM here, its tmux session there killed (which hangs up its claude).
 */
async function endAgent(server: Server, agent: AgentRecord, panePid: number | undefined): Promise<string> {
  const { kind, transport, place } = driverFor(agent);
  const exit = transport.exitCommand(kind, agent);
  if (!exit && place.stop === 'host-session') {
    await server.cmd(['kill-session', '-t', `=${agent.name}`]).catch(() => {});
    return 'its tmux session there killed';
  }
  // A failed worktree setup left the launch script waiting, with no claude: it ends on SIGTERM.
  if (setupFailed(agent)) {
    if (panePid) signal([panePid], 'SIGTERM');
    return 'SIGTERM';
  }
  if (exit) {
    // Typed with send-keys (never the dispatcher, which prefixes a space precisely so that a
    // prompt is never a slash command); a prompt box with text in it is cleared first.
    await clearPromptBox(server, agent).catch(() => false);
    const pane = server.pane(agent.pane);
    await pane.type(exit);
    await sleep(300);
    await pane.press('Enter');
    return exit;
  }
  // Headless runners, and agents held at a dialog (typing there could answer it): SIGTERM.
  if (panePid) signal(childrenOf(panePid), 'SIGTERM');
  return 'SIGTERM';
}

/** Stops the tmux server of each host; one that does not answer is said, with the command that stops it later. */
async function stopHosts(hosts: Record<string, HostRecord>, out: (line: string) => void): Promise<void> {
  const list = Object.values(hosts);
  if (!list.length) return;
  const { stopHost } = await import('../hosts/remote.js');
  await Promise.all(
    list.map(async (h) => {
      const error = await stopHost(h, false);
      if (error)
        out(
          `Host ${h.name} did not answer (${error}); its agents may still run there: ssh ${h.ssh} tmux -L ${h.socket} kill-server stops them.`,
        );
      else out(`Host ${h.name}: its tmux server is stopped.`);
    }),
  );
}

/** The session's pane pids by pane id. */
async function panePids(session: Session): Promise<Map<string, number>> {
  const panes = await session.panes().catch(() => []);
  return new Map(panes.map((p) => [p.pane_id, Number(p.pane_pid)]));
}

/** Runs `session end`. Returns the exit code. */
export async function endSession(opts: EndOptions): Promise<number> {
  const { stateDir, out } = opts;
  const data = readStore(stateDir);
  const s = data.session;
  if (!s) throw new OrchestratorError(`no session recorded in ${stateDir}: nothing to end`, 2);
  if (s.ended_at) throw new OrchestratorError(`session "${s.name}" already ended at ${s.ended_at}`);
  const server = Server.of(s.socket);
  const found = await server.findSession(s.name);
  const session = found && found.id === s.tmux_id ? found : undefined;
  let handover: string | undefined;
  if (session) {
    await recorderRunning(stateDir, s);
    await letWorkFinish(opts, s);
    handover = (
      await writeHandover({ stateDir, summary: Boolean(opts.summary), by: 'orchestrate session end', ending: true })
    ).file;
    out(`Handover: ${handover}`);
    const pids = await panePids(session);
    await endAgents(opts, pids);
    await stopRecorder(stateDir, s, pids);
    await stopTmux(server, session, s, pids);
  } else {
    out(`The tmux session "${s.name}" is already gone; closing its records.`);
    // A recorder that outlived its session would write the store after us: it goes first.
    await stopOldRecorder(data, stateDir);
    // A server killed outright leaves its socket file: remove it when no server answers there.
    if (s.socket && !(await server.running())) rmSync(socketPath(s.socket), { force: true });
  }
  // Every host's tmux server goes (whatever is left of its agents); its shared connection is closed at the end.
  await stopHosts(s.hosts ?? {}, out);
  await closeRecords(stateDir, out);
  if (!session) out(`Handover: ${(await writeHandover({ stateDir, by: 'orchestrate session end' })).file}`);
  await stopLeftovers(stateDir, s, out);
  out(`Session "${s.name}" ended.`);
  return 0;
}

/** Waits a moment for the recorder (its loop restarts it if it died); refuses to go on without one, as nothing would record the agents' end. */
async function recorderRunning(stateDir: string, s: SessionRecord): Promise<void> {
  const alive = (): boolean => isRecorderOf(readStore(stateDir).recorder?.pid, stateDir);
  for (let i = 0; i < 50 && !alive(); i++) await sleep(100);
  if (!alive())
    throw new OrchestratorError(
      `the recorder of session "${s.name}" is not running, so nothing would record the agents' end; look at the control window (tmux${s.socket ? ` -L ${s.socket}` : ''} attach -t ${s.name})`,
    );
}

/** With --force, cancels the unfinished tasks and waits for the cancels; otherwise waits for the work in progress (or refuses). */
async function letWorkFinish(opts: EndOptions, s: SessionRecord): Promise<void> {
  const { stateDir, out } = opts;
  const data = readStore(stateDir);
  if (opts.force) {
    const open = openTasks(data);
    for (const t of open) {
      try {
        cancelTask(stateDir, t.id);
      } catch {
        /* finished meanwhile */
      }
    }
    if (open.length) out(`Cancelling ${open.length} unfinished task${open.length === 1 ? '' : 's'}.`);
    // Settled when every cancel is performed too: the recorder's Escapes and box clearing must be
    // over before /exit is typed, or they would wipe it.
    const settled = await waitForStore(
      stateDir,
      (d) => (openTasks(d).length === 0 && !Object.values(d.agents).some((a) => a.interrupting) ? d : undefined),
      30_000,
    );
    if (!settled)
      out(
        `Some tasks were not confirmed cancelled within 30 s; they are closed at the end: ${openTasks(
          readStore(stateDir),
        )
          .map((t) => t.id)
          .join(', ')}`,
      );
    return;
  }
  const pending = workInProgress(data);
  if (pending.length)
    out(`Waiting for the work in progress (at most ${Math.round(opts.timeoutMs / 1000)} s): ${pending.join('; ')}`);
  const idle = await waitForStore(stateDir, (d) => (workInProgress(d).length === 0 ? d : undefined), opts.timeoutMs);
  if (!idle) {
    throw new OrchestratorError(
      `session "${s.name}" still has work in progress after ${Math.round(opts.timeoutMs / 1000)} s: ${workInProgress(readStore(stateDir)).join('; ')}. Nothing was stopped. --force cancels it; --timeout S waits longer.`,
    );
  }
}

/** Ends every agent and waits until the recorder has recorded each end; SIGTERM for those that do not end in the grace time. */
async function endAgents(opts: EndOptions, pids: Map<string, number>): Promise<void> {
  const { stateDir, out } = opts;
  const data = readStore(stateDir);
  const how = await Promise.all(
    Object.values(data.agents)
      .filter((a) => a.status !== 'exited')
      .map(async (a) => `${a.name} (${await endAgent(agentServer(data, a), a, pids.get(a.pane))})`),
  );
  if (how.length) out(`Ending ${how.join(', ')}.`);
  const grace = opts.exitGraceMs ?? 15_000;
  if (await waitForStore(stateDir, (d) => (allRecorded(d, stateDir) ? d : undefined), grace)) return;
  const stuck = Object.values(readStore(stateDir).agents).filter((a) => a.status !== 'exited');
  if (stuck.length) out(`No end recorded after ${grace / 1000} s for ${stuck.map((a) => a.name).join(', ')}: SIGTERM.`);
  for (const a of stuck) {
    if (driverFor(a).place.stop === 'host-session') {
      await agentServer(data, a)
        .cmd(['kill-session', '-t', `=${a.name}`])
        .catch(() => {});
      continue;
    }
    const pid = pids.get(a.pane);
    if (pid) signal(childrenOf(pid), 'SIGTERM');
  }
  if (!(await waitForStore(stateDir, (d) => (allRecorded(d, stateDir) ? d : undefined), 10_000)))
    out('The recorder did not record every end; what the status files hold is recorded below.');
}

/** Stops the recorder (SIGTERM: it finishes its pass and exits 0, which ends its loop); one that does not go is killed, its loop first. */
async function stopRecorder(stateDir: string, s: SessionRecord, pids: Map<string, number>): Promise<void> {
  const recorderPid = readStore(stateDir).recorder?.pid;
  if (!recorderPid || !isRecorderOf(recorderPid, stateDir)) return;
  signal([recorderPid], 'SIGTERM');
  if (!(await waitGone([recorderPid], 10_000)).length) return;
  // A recorder killed hard would be restarted by its loop: stop the loop first.
  const loop = s.control?.recorderPane ? pids.get(s.control.recorderPane) : undefined;
  if (loop) signal([loop], 'SIGKILL');
  await stopAll([recorderPid], 0);
}

/** Kills the tmux session and what ran in it (the board and the dashboard get a SIGTERM of their own), and a private server it was the last session of. */
async function stopTmux(server: Server, session: Session, s: SessionRecord, pids: Map<string, number>): Promise<void> {
  const everything = withDescendants([...pids.values()]);
  const control = s.control
    ? [...(await session.panes().catch(() => []))]
        .filter((p) => p.window_id === s.control!.window)
        .map((p) => Number(p.pane_pid))
    : [];
  signal(control, 'SIGTERM');
  await session.kill().catch(() => {});
  const left = await waitGone(everything, 5000);
  if (left.length) await stopAll(left, 2000);
  if (s.socket && (await server.sessionIds().catch(() => ['?'])).length === 0) {
    await server.kill();
    rmSync(socketPath(s.socket), { force: true });
  }
}

/** With the recorder gone this process is the store's writer: records the end, then removes the worktrees with nothing to lose (the others stay, and say why). */
async function closeRecords(stateDir: string, out: (line: string) => void): Promise<void> {
  const store = await Store.open(stateDir);
  let closed: string[] = [];
  await store.mutate((d) => {
    closed = recordSessionEnd(d, stateDir, 'ended', new Date().toISOString(), 'the session ended');
  });
  if (closed.length)
    out(`Closed ${closed.length} unfinished task${closed.length === 1 ? '' : 's'}: ${closed.join(', ')}.`);
  for (const a of worktreeAgents(readStore(stateDir))) {
    const done = await removeWorktree(a, stateDir).catch((error: Error) => ({
      removed: false,
      text: `kept ${a.worktree!.path}: ${error.message}`,
    }));
    out(`Worktree of ${a.name}: ${done.text}`);
  }
}

/** Closes the hosts' shared connections last (the worktrees there were looked at through them), then stops any process of the session still running. */
async function stopLeftovers(stateDir: string, s: SessionRecord, out: (line: string) => void): Promise<void> {
  if (s.hosts) {
    const { closeConnection } = await import('../ssh/ssh.js');
    const { targetOf } = await import('../hosts/remote.js');
    await Promise.all(Object.values(s.hosts).map((h) => closeConnection(targetOf(h))));
  }
  const stray = processesOf(stateDir);
  if (!stray.length) return;
  out(
    `Stopping ${stray.length} leftover process${stray.length === 1 ? '' : 'es'} of the session: ${stray.map((p) => `${p.pid} ${p.command.slice(0, 80)}`).join('; ')}`,
  );
  await stopAll(
    stray.map((p) => p.pid),
    3000,
  );
}
