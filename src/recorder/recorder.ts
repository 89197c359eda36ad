// The recorder: one process per session, the store's only writer while the session runs. It
// follows every agent's status file and the inbox (inotify via fs.watch, no tight poll), applies
// each new event in one pass (src/recorder/pass.ts), and writes the store once per pass together
// with the byte cursors of what it has read, so a recorder killed at any moment resumes exactly
// where the store says: nothing lost, nothing twice. Only then does it act in tmux (effects.ts).
// tmux tells it of dead panes through a pane-died hook; a slow look is the net (pane-checks.ts).
import { mkdirSync, statSync, watch, type FSWatcher, type Stats } from 'node:fs';
import { Store } from '../store/store.js';
import { shownIn, type StoreData } from '../store/types.js';
import { agentDir, agentFiles, inboxDir, TMUX_EVENTS } from '../store/paths.js';
import { Server } from '../tmux/objects.js';
import { applyTmuxStatus, type TmuxPicture } from '../tmux/status-line.js';
import { done as takenIn } from '../inbox/inbox.js';
import { pendingInterrupts } from '../tasks/tasks.js';
import { OrchestratorError } from '../core/errors.js';
import { coalescing } from '../util/coalesce.js';
import { recordPass, waitingOnTime } from './pass.js';
import { performDecisions, performEffects, type EffectContext } from './effects.js';
import { atDialog, findControlWindow } from './pane-checks.js';
import { budgetLines } from '../fleet/budget.js';
import { emptySeen, newNotices, notifier } from '../notify/notify.js';
import { LateUsage } from './late-usage.js';
import { WorkWatch, type RecorderLife } from './work-watch.js';
import { HostLinks } from './host-links.js';
import { TmuxWatch } from './tmux-watch.js';
import { EffectQueue } from './effect-queue.js';
import { decisionCourier } from '../hosts/decisions.js';

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

/** What tmux shows of the store: the live session's agents (nothing once it ended). */
export function tmuxPicture(data: StoreData): TmuxPicture {
  const s = data.session;
  const alerts = budgetLines(data)
    .filter((l) => l.state !== 'ok')
    .map((l) => ({ text: `${l.scope} ${Math.round((l.spent / l.cap) * 100)}%`, over: l.state === 'over' }));
  return {
    session: s && !s.ended_at && s.tmux_id ? s.tmux_id : null,
    agents: Object.values(data.agents).map((a) => ({ ...a, pane: shownIn(a) })),
    alerts,
  };
}

/** The store of a state directory, refused when it holds no live session to record. */
async function openForRecording(stateDir: string): Promise<Store> {
  const store = await Store.open(stateDir);
  const session = store.data.session;
  if (!session) throw new OrchestratorError(`no session recorded in ${stateDir}; ./start.mts records one`, 2);
  if (session.ended_at)
    throw new OrchestratorError(
      `session "${session.name}" in ${stateDir} ended at ${session.ended_at}; nothing to record`,
      2,
    );
  return store;
}

/** Starts recording the session whose state is in stateDir: the store, then the parts that feed its passes, wired together. */
export async function startRecorder(opts: RecorderOptions): Promise<Recorder> {
  const log = opts.log ?? (() => {});
  const { stateDir } = opts;
  const store = await openForRecording(stateDir);
  // The state directory as it was at the start: one deleted and made again (a late dashboard writing
  // its address, a dispatch into it) is not this session's any more.
  const home = statSync(stateDir);
  const session = store.data.session!;
  const server = Server.of(session.socket);
  const names = Object.keys(store.data.agents);
  const life: RecorderLife = { stopped: false, lost: false };

  // tmux shows every agent's state (status line, pane borders) after each change; an unchanged
  // picture costs no tmux call, and a tmux that cannot be reached is not the recorder's problem.
  const show = (): void => {
    void applyTmuxStatus(server, tmuxPicture(store.data)).catch(() => {});
  };
  const usage = new LateUsage(() => void drain());
  const work = new WorkWatch(store, life, log, () => drain());
  const hosts = new HostLinks(store, stateDir, log, {
    show,
    drain: () => void drain(),
    transcriptsGrew: (agents) => usage.grew(agents),
  });
  const tmux = new TmuxWatch({
    server,
    session,
    store,
    life,
    hosts,
    log,
    drain: () => drain(),
    show,
    ...(opts.onLost ? { onLost: opts.onLost } : {}),
  });
  const effectContext: EffectContext = {
    stateDir,
    store,
    log,
    again: () => {
      show();
      void drain();
    },
    look: () => {
      void tmux.check();
    },
    hostSilent: (host) => hosts.reconnect(host),
  };
  const effects = new EffectQueue(effectContext);
  // Decisions on remote agents' permission requests go to their hosts, where their hooks wait.
  const courier = decisionCourier(stateDir, log, (host) => hosts.reconnect(host));
  // What needs a person, told once per change, in debounced bursts (src/notify/notify.ts).
  const seen = emptySeen();
  newNotices(store.data, seen, true);
  const notices = notifier({
    session: session.name,
    settings: store.data.notify ?? {},
    server,
    tmuxSession: () => (store.data.session?.ended_at ? null : session.tmux_id),
    log,
  });

  // One pass at a time; changes that arrive meanwhile make one more. The store is written once per
  // pass, and only then are the requests deleted and the effects performed.
  const drain: () => Promise<void> = coalescing(async () => {
    if (life.stopped) return;
    try {
      let result = { taken: [], effects: [], decisions: [], changed: false } as ReturnType<typeof recordPass>;
      const cursors = { ...store.data.cursors };
      await store.update((data) => {
        const late = usage.readInto(data);
        result = recordPass(data, stateDir, names, log);
        return result.changed || late;
      });
      usage.followEnded(store.data, cursors);
      takenIn(result.taken);
      show();
      effects.perform(result.effects);
      performDecisions(effectContext, result.decisions);
      courier.send(store.data);
      notices.add(newNotices(store.data, seen));
      work.afterPass();
    } catch (error) {
      // A bug must not take the recorder down in a loop (its restart would meet the same input):
      // say it and go on; the next event or tick tries again.
      log(`error while recording: ${(error as Error).stack ?? String(error)}`);
    }
  });

  await recordSelf(store, server);
  const watchers = watchFiles(stateDir, names, { drain: () => void drain(), check: () => void tmux.check() }, log);
  await drain();
  await tmux.start(stateDir);
  void tmux.check();
  hosts.start();
  const timer = startTicks(
    {
      stateDir,
      home,
      store,
      life,
      tmux,
      drain,
      lookAtWork: work.look,
      log,
      ...(opts.onLost ? { onLost: opts.onLost } : {}),
    },
    opts.paneCheckMs ?? 1000,
  );

  // Interrupts a killed recorder did not finish are done now (a turn already stopped only has its box cleared).
  await performEffects(effectContext, pendingInterrupts(store.data));

  return {
    drain,
    hangup: () => tmux.hangup(),
    async stop() {
      life.stopped = true;
      clearInterval(timer);
      usage.stop();
      for (const w of watchers) w.close();
      await hosts.stop();
      await drain();
      await effects.done();
      await notices.flush();
    },
  };
}

/**
 * Records the recorder (its pid) and the control window's ids: the starter cannot know them before
 * the recorder runs in it, and must not write the store once the recorder does.
 */
async function recordSelf(store: Store, server: Server): Promise<void> {
  const control = await findControlWindow(server);
  await store.mutate((data) => {
    data.recorder = { pid: process.pid, started_at: new Date().toISOString() };
    if (control && data.session) data.session.control = control;
  });
}

/**
 * Watches what makes a pass (the inbox, the agents' folders with their status files, decisions on
 * their permission requests) and tmux's pane-died file, which makes a look (inotify, no tight poll).
 */
function watchFiles(
  stateDir: string,
  names: readonly string[],
  on: { drain: () => void; check: () => void },
  log: (line: string) => void,
): FSWatcher[] {
  const watchers: FSWatcher[] = [];
  mkdirSync(inboxDir(stateDir), { recursive: true });
  watchers.push(
    watch(inboxDir(stateDir), (_, file) => {
      if (file && String(file).endsWith('.json') && !String(file).startsWith('.')) on.drain();
    }),
  );
  for (const name of names) {
    try {
      // Decisions on its permission requests arrive as files there (approve, deny, dashboard, lead).
      const decisions = agentFiles(stateDir, name).approvals;
      mkdirSync(decisions, { recursive: true });
      watchers.push(
        watch(decisions, (_, file) => {
          if (file && String(file).endsWith('.claim')) on.drain();
        }),
      );
      watchers.push(watch(agentDir(stateDir, name), () => on.drain()));
    } catch (error) {
      log(`${name}: cannot watch its status file (${(error as Error).message})`);
    }
  }
  watchers.push(
    watch(stateDir, (_, file) => {
      if (file === TMUX_EVENTS) on.check();
    }),
  );
  return watchers;
}

interface Ticking {
  stateDir: string;
  home: Stats;
  store: Store;
  life: RecorderLife;
  tmux: TmuxWatch;
  log: (line: string) => void;
  drain: () => Promise<void>;
  lookAtWork: () => Promise<void>;
  onLost?: () => void;
}

/**
 * The recorder's clock: a pass when time alone will change something, a look at tmux when a
 * process died, an agent is at a dialog or every 10 ticks (the net for what no hook reports), the
 * worktrees every 30, and the end when its state directory is gone (deleted, or made again: not
 * this session's any more).
 */
function startTicks(t: Ticking, everyMs: number): NodeJS.Timeout {
  const homeGone = (): boolean => {
    try {
      const now = statSync(t.stateDir);
      return now.ino !== t.home.ino || now.dev !== t.home.dev;
    } catch {
      return true;
    }
  };
  let tick = 0;
  return setInterval(() => {
    tick++;
    // Its state directory deleted: nothing is left to record into, and nothing would ever end it.
    if (tick % 5 === 0 && homeGone()) {
      t.log(`${t.stateDir} is gone; the recorder stops`);
      t.life.lost = true;
      t.onLost?.();
      return;
    }
    if (waitingOnTime(t.store.data)) void t.drain();
    if (tick % 10 === 0 || t.tmux.somethingDied() || Object.values(t.store.data.agents).some(atDialog))
      void t.tmux.check();
    if (tick % 30 === 0) void t.lookAtWork();
  }, everyMs);
}
