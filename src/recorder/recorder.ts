// The recorder: one process per session, the store's only writer while the session runs. It
// follows every agent's status file (inotify via fs.watch, no tight poll), applies each new event,
// and writes the store once per batch together with the byte cursors of what it has read, so a
// recorder killed at any moment resumes exactly where the store says: nothing lost, nothing twice.
// Once a second it asks tmux whether agent panes are alive, which catches deaths no hook reports.
import { watch, type FSWatcher } from 'node:fs';
import { Store } from '../store/store.js';
import type { SessionRecord, StoreData } from '../store/types.js';
import { Server } from '../tmux/objects.js';
import { agentDir } from '../agents/launch.js';
import type { StatusLine } from './reduce.js';
import { applyLines, recordNewLines } from './apply.js';
import { detectDialog } from './dialogs.js';
import { pending, done as takenIn, inboxDir, type TakenRequest } from '../inbox/inbox.js';
import { intake, pendingInterrupts, schedule, type TaskEffect } from '../tasks/tasks.js';
import { advanceRuns, resumeRun, startRun } from '../workflow/runs.js';
import { applyTmuxStatus } from '../tmux/status-line.js';
import { tmuxDoubleQuoted } from '../tmux/command.js';
import { deliver, resubmit, stopTurn } from '../tasks/deliver.js';
import { fail, interruptDone } from '../tasks/lifecycle.js';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { quote } from '../util/shell-quote.js';
import { OrchestratorError } from '../cli/errors.js';


/** How long an agent may show no sign of life before we look for a start-up dialog. */
const DIALOG_AFTER_MS = 2500;

export interface RecorderOptions {
  stateDir: string;
  log?: (line: string) => void;
  paneCheckMs?: number;
  /** Called once the session's tmux session is seen gone (recorded as lost): the recorder has nothing left to do. */
  onLost?: () => void;
}

/** A running recorder; stop() closes watchers and timers. */
export interface Recorder {
  stop(): Promise<void>;
  drain(): Promise<void>;
  /**
   * After a SIGHUP (the recorder's pane or the whole tmux server went away): records what the status
   * files say and, when the tmux session is gone, that the session was lost. Returns whether it was.
   */
  hangup(): Promise<boolean>;
}

/** The control window this recorder runs in (its pane is $TMUX_PANE), or undefined outside tmux. */
async function findControlWindow(server: Server): Promise<SessionRecord['control'] | undefined> {
  const me = process.env.TMUX_PANE;
  if (!me) return undefined;
  try {
    const rows = (await server.cmd(['list-panes', '-t', me, '-F', '#{window_id}\t#{pane_id}\t#{pane_title}'])).trim().split('\n').map((l) => l.split('\t'));
    const window = rows.find((r) => r[1] === me)?.[0];
    const watchPane = rows.find((r) => r[2] === 'status')?.[1] ?? '';
    return window ? { window, recorderPane: me, watchPane } : undefined;
  } catch {
    return undefined;
  }
}

/** Starts recording the session whose state is in stateDir. */
export async function startRecorder(opts: RecorderOptions): Promise<Recorder> {
  const log = opts.log ?? (() => {});
  const store = await Store.open(opts.stateDir);
  const session = store.data.session;
  if (!session) throw new OrchestratorError(`no session recorded in ${opts.stateDir}; ./start.mts records one`, 2);
  if (session.ended_at) throw new OrchestratorError(`session "${session.name}" in ${opts.stateDir} ended at ${session.ended_at}; nothing to record`, 2);
  const server = new Server(session.socket ?? undefined);
  const names = Object.keys(store.data.agents);
  const watchers: FSWatcher[] = [];
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  // One drain at a time; changes that arrive meanwhile trigger one more pass. A pass takes the
  // inbox's requests and every status file's new lines, lets the scheduler hand out tasks, writes
  // the store once, and only then deletes the requests and performs the deliveries.
  const drain = async (): Promise<void> => {
    if (running) { again = true; return running; }
    running = (async () => {
      try {
        await pass();
      } catch (error) {
        // A bug must not take the recorder down in a loop (its restart would meet the same input):
        // say it and go on; the next event or tick tries again.
        log(`error while recording: ${(error as Error).stack ?? String(error)}`);
      }
    })().finally(() => { running = undefined; });
    return running;
  };

  const pass = async (): Promise<void> => {
    do {
      again = false;
      let taken: TakenRequest[] = [];
      let effects: TaskEffect[] = [];
      await store.update((data) => {
        let changed = false;
        taken = pending(opts.stateDir);
        for (const t of taken) {
          if (!t.request) { log(`inbox: skipped unreadable ${t.file} (${t.error})`); continue; }
          const request = t.request;
          try {
            log(`inbox: ${request.kind === 'run' ? startRun(data, request, Date.now()) : request.kind === 'resume-run' ? resumeRun(data, request) : intake(data, request, Date.now())}`);
          } catch (error) {
            // A malformed request is dropped, not retried forever (it would stop every later pass).
            log(`inbox: dropped a bad ${String(request.kind)} request ${t.file}: ${(error as Error).message}`);
          }
          changed = true;
        }
        if (recordNewLines(data, opts.stateDir, names, log, true)) changed = true;
        // Runs queue tasks, the scheduler hands them out (or fails them), which moves runs on.
        for (let round = 0; round < 4; round++) {
          const moved = advanceRuns(data, Date.now());
          for (const line of moved) log(line);
          const scheduled = schedule(data, Date.now());
          effects.push(...scheduled.effects);
          changed ||= moved.length > 0 || scheduled.changed;
          if (!moved.length && !scheduled.changed) break;
        }
        return changed;
      });
      takenIn(taken);
      show();
      await perform(effects);
    } while (again && !stopped);
  };

  // Deliveries run after the store says so; one that tmux refuses fails its task at once.
  const perform = async (effects: TaskEffect[]): Promise<void> => {
    await Promise.all(effects.map(async (effect) => {
      const agent = store.data.agents[effect.agent];
      const task = store.data.tasks?.[effect.task];
      if (!agent || !task) return;
      try {
        if (effect.kind === 'deliver') await deliver(server, opts.stateDir, agent, task);
        else if (effect.kind === 'resubmit') log(`resubmit ${task.id}: ${await resubmit(server, opts.stateDir, agent, task)}`);
        else {
          const stopped = await stopTurn(server, opts.stateDir, agent, task.id, log).catch((error: Error) => { log(`interrupt ${task.id} -> ${agent.name}: ${error.message}`); return false; });
          if (!stopped) log(`${agent.name}: its turn did not stop after Escape; attach to its pane to look`);
          // Done either way: the agent may take tasks again (a turn that did not stop keeps it busy).
          await store.mutate((data) => {
            if (stopped) applyLines(data, agent.name, [{ at: Date.now(), event: { hook_event_name: 'Interrupted', task: task.id } }], log);
            const a = data.agents[agent.name];
            if (a) interruptDone(a, task.id);
          });
          show();
          again = true;
        }
        log(`${effect.kind} ${task.id} -> ${agent.name}${effect.kind === 'interrupt' ? '' : ` (attempt ${effect.attempt})`}`);
      } catch (error) {
        const message = (error as Error).message;
        log(`${effect.kind} ${task.id} -> ${agent.name} failed: ${message}`);
        if (effect.kind === 'interrupt') return;
        await store.mutate((data) => {
          const t = data.tasks?.[effect.task];
          if (t?.state === 'delivering') fail(data, t, Date.now(), `could not deliver to ${agent.name}: ${message}`);
        });
      }
    }));
  };

  // tmux shows every agent's state (status line, pane borders) after each change; an unchanged
  // picture costs no tmux call, and a tmux that cannot be reached is not the recorder's problem.
  const show = (): void => { void applyTmuxStatus(server, store.data).catch(() => {}); };

  // A delivery waiting for its confirmation needs the scheduler to look again when its time is up.
  const stale = (data: StoreData): boolean => Object.values(data.tasks ?? {}).some((t) => t.state === 'delivering' || t.cancel_requested === true
    || (t.state === 'running' && Boolean(t.timeout_s)) || (t.state === 'queued' && data.agents[t.target.agent ?? '']?.status === 'exited'));

  // The starter cannot know the control window's ids before the recorder runs in it, and must not
  // write the store once the recorder does: the recorder records them itself.
  const control = await findControlWindow(server);
  await store.mutate((data) => {
    data.recorder = { pid: process.pid, started_at: new Date().toISOString() };
    if (control && data.session) data.session.control = control;
  });
  mkdirSync(inboxDir(opts.stateDir), { recursive: true });
  watchers.push(watch(inboxDir(opts.stateDir), (_, file) => { if (file && String(file).endsWith('.json') && !String(file).startsWith('.')) void drain(); }));

  for (const name of names) {
    try {
      watchers.push(watch(agentDir(opts.stateDir, name), () => void drain()));
    } catch (error) {
      log(`${name}: cannot watch its status file (${(error as Error).message})`);
    }
  }
  await drain();

  // The session's tmux session (or its whole server) is gone: every agent went with it. Nothing is
  // delivered and no task fails until ./start.mts --resume brings the session back.
  let lost = false;
  const recordLost = async (reason: string): Promise<void> => {
    if (lost) return;
    lost = true;
    await drain();
    const at = Date.now();
    await store.mutate((data) => {
      if (data.session) data.session.lost_at = new Date(at).toISOString();
      for (const name of Object.keys(data.agents)) applyLines(data, name, [{ at, event: { hook_event_name: 'SessionLost', reason } }], log);
    });
    log(`session lost: ${reason}; ./start.mts --resume brings it back`);
    opts.onLost?.();
  };
  const sessionGone = (panes: { session_id: string }[], serverUp: boolean): string | undefined =>
    panes.some((p) => p.session_id === session.tmux_id) ? undefined : serverUp ? 'tmux session gone' : 'tmux server gone';

  // tmux: dead or vanished panes, and agents held at a start-up dialog.
  const checkPanes = async (): Promise<void> => {
    if (lost) return;
    let panes;
    try {
      panes = await server.panes();
    } catch {
      return;
    }
    const gone = sessionGone(panes, panes.length > 0);
    if (gone) { await recordLost(gone); return; }
    const byId = new Map(panes.map((p) => [p.pane_id, p]));
    const now = Date.now();
    const updates: [string, StatusLine][] = [];
    for (const agent of Object.values(store.data.agents)) {
      const pane = byId.get(agent.pane);
      if (agent.status !== 'exited' && (!pane || pane.pane_dead === '1')) {
        const code = pane?.pane_dead_status ? Number(pane.pane_dead_status) : undefined;
        updates.push([agent.name, { at: now, event: { hook_event_name: 'PaneDied', ...(code !== undefined ? { exit_code: code } : {}), reason: pane ? `its pane's process exited${code !== undefined ? ` with code ${code}` : ''}` : 'its tmux pane is gone' } }]);
      } else if (pane && (agent.status === 'starting' || (agent.status === 'waiting' && agent.reason?.includes('dialog'))) && now - Date.parse(agent.updated_at) > DIALOG_AFTER_MS) {
        const screen = await server.cmd(['capture-pane', '-p', '-t', agent.pane]).catch(() => '');
        const dialog = detectDialog(screen);
        if (dialog && agent.reason !== dialog) updates.push([agent.name, { at: Date.parse(agent.updated_at), event: { hook_event_name: 'Dialog', reason: dialog } }]);
      }
    }
    if (updates.length) {
      // Read what the hooks said meanwhile first; a decision about an agent that changed since the
      // look is dropped (the next check looks again).
      const seen = new Map(updates.map(([name]) => [name, store.data.agents[name]?.updated_at]));
      await drain();
      await store.mutate((data) => {
        for (const [name, line] of updates) if (data.agents[name]?.updated_at === seen.get(name)) applyLines(data, name, [line], log);
      });
      show();
      for (const [name, line] of updates) log(`${name}: ${String(line.event.hook_event_name)} -> ${store.data.agents[name]?.status} (${String(line.event.reason ?? '')})`);
    }
  };
  let checking = false;
  const check = (): void => {
    if (checking) return;
    checking = true;
    void checkPanes().finally(() => { checking = false; });
  };
  // A pane whose process dies makes tmux itself tell us (a pane-died hook appends to a file we
  // watch), so a death is seen at once without polling. The screen is read only while an agent
  // is starting or held at a dialog; a slow check every 10 s is the net for what no hook reports
  // (a tmux server killed outright).
  const tmuxEvents = join(opts.stateDir, 'tmux-events');
  try {
    await server.cmd(['set-hook', '-t', session.tmux_id, 'pane-died', `run-shell -b ${tmuxDoubleQuoted(`echo >> ${quote(tmuxEvents)}`)}`]);
  } catch (error) {
    log(`cannot set the pane-died hook (${(error as Error).message}); relying on the 10 s check`);
  }
  watchers.push(watch(opts.stateDir, (_, file) => { if (file === 'tmux-events') check(); }));
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    if (stale(store.data)) void drain();
    const looking = Object.values(store.data.agents).some((a) => a.status === 'starting' || (a.status === 'waiting' && a.reason?.includes('dialog')));
    if (looking || tick % 10 === 0) check();
  }, opts.paneCheckMs ?? 1000);

  // Interrupts a killed recorder did not finish are done now (a turn already stopped only has its box cleared).
  await perform(pendingInterrupts(store.data));

  return {
    drain,
    async hangup() {
      await drain();
      let gone: string | undefined;
      try {
        gone = (await server.findSession(session.name))?.id === session.tmux_id ? undefined : 'tmux session gone';
        if (gone && !(await server.panes()).length) gone = 'tmux server gone';
      } catch {
        gone = undefined;
      }
      if (gone) await recordLost(gone);
      return Boolean(gone);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      for (const w of watchers) w.close();
      await running;
    },
  };
}
