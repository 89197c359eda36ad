// The recorder: one process per session, the store's only writer while the session runs. It
// follows every agent's status file and the inbox (inotify via fs.watch, no tight poll), applies
// each new event in one pass (src/recorder/pass.ts), and writes the store once per pass together
// with the byte cursors of what it has read, so a recorder killed at any moment resumes exactly
// where the store says: nothing lost, nothing twice. Only then does it act in tmux (effects.ts).
// tmux tells it of dead panes through a pane-died hook; a slow look is the net (pane-checks.ts).
import { mkdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { Store } from '../store/store.js';
import { shownIn, type StatusLine, type StoreData, type WorktreeState } from '../store/types.js';
import { agentDir, agentFiles, inboxDir, TMUX_EVENTS, tmuxEventsFile } from '../store/paths.js';
import { Server } from '../tmux/objects.js';
import { formatOf } from '../tmux/format.js';
import { alive } from '../util/pid.js';
import { tmuxDoubleQuoted } from '../tmux/command.js';
import { applyTmuxStatus, type TmuxPicture } from '../tmux/status-line.js';
import { done as takenIn } from '../inbox/inbox.js';
import { pendingInterrupts } from '../tasks/tasks.js';
import { OrchestratorError } from '../core/errors.js';
import { quote } from '../util/shell-quote.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { coalescing } from '../util/coalesce.js';
import { applyLines, updateUsage } from './apply.js';
import { recordPass, waitingOnTime } from './pass.js';
import { performDecisions, performEffects, type EffectContext } from './effects.js';
import { atDialog, findControlWindow, lookAtHost, lookAtPanes, sessionGone } from './pane-checks.js';
import { HostLink } from '../hosts/link.js';
import { agentsOn, hostServer } from '../hosts/remote.js';
import { isUnreachable } from '../ssh/ssh.js';
import { describeConflict, findConflicts, lookAtWorktree, type MergeCache } from '../worktrees/look.js';
import { mergeDone, mergesDue } from '../workflow/runs.js';
import { mergeRunTask } from '../workflow/merges.js';
import { budgetLines } from '../fleet/budget.js';
import { emptySeen, newNotices, notifier } from '../notify/notify.js';
import { LateLines } from './late-lines.js';

/** How long after a look that found the session gone the second look is made. */
const LOSS_CONFIRM_MS = 300;

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
  const alerts = budgetLines(data).filter((l) => l.state !== 'ok').map((l) => ({ text: `${l.scope} ${Math.round((l.spent / l.cap) * 100)}%`, over: l.state === 'over' }));
  return { session: s && !s.ended_at && s.tmux_id ? s.tmux_id : null, agents: Object.values(data.agents).map((a) => ({ ...a, pane: shownIn(a) })), alerts };
}

/** The store of a state directory, refused when it holds no live session to record. */
async function openForRecording(stateDir: string): Promise<Store> {
  const store = await Store.open(stateDir);
  const session = store.data.session;
  if (!session) throw new OrchestratorError(`no session recorded in ${stateDir}; ./start.mts records one`, 2);
  if (session.ended_at) throw new OrchestratorError(`session "${session.name}" in ${stateDir} ended at ${session.ended_at}; nothing to record`, 2);
  return store;
}

/** Starts recording the session whose state is in stateDir. */
export async function startRecorder(opts: RecorderOptions): Promise<Recorder> {
  const log = opts.log ?? (() => {});
  const { stateDir } = opts;
  // The state directory as it was at the start: one deleted and made again (a late dashboard writing
  // its address, a dispatch into it) is not this session's any more.
  const store = await openForRecording(stateDir);
  const home = statSync(stateDir);
  const session = store.data.session!;
  const server = Server.of(session.socket);
  const names = Object.keys(store.data.agents);
  const watchers: FSWatcher[] = [];
  let stopped = false;
  let lost = false;

  // tmux shows every agent's state (status line, pane borders) after each change; an unchanged
  // picture costs no tmux call, and a tmux that cannot be reached is not the recorder's problem.
  const show = (): void => { void applyTmuxStatus(server, tmuxPicture(store.data)).catch(() => {}); };

  // Transcripts that grew after their hooks (a local one watched after its turn ended, the copy of a
  // remote one) are read again at the start of the next pass, so its budget checks see the spend.
  const grown = new Set<string>();
  const transcriptsGrew = (agents: readonly string[]): void => { for (const a of agents) grown.add(a); void drain(); };
  const lateLines = new LateLines((agent) => transcriptsGrew([agent]));
  const readGrown = (data: StoreData): boolean => {
    let changed = false;
    for (const name of grown) if (data.agents[name] && updateUsage(data, data.agents[name])) changed = true;
    grown.clear();
    return changed;
  };
  /** Local agents with new status lines whose turn is over: their transcripts are watched for the turn's last lines. */
  const followEnded = (cursors: Record<string, number>): void => {
    for (const a of Object.values(store.data.agents)) {
      if (!a.host && a.transcript_path && a.status !== 'busy' && store.data.cursors?.[a.name] !== cursors[a.name]) lateLines.follow(a.name, a.transcript_path);
    }
  };

  // One pass at a time; changes that arrive meanwhile make one more. The store is written once per
  // pass, and only then are the requests deleted and the effects performed.
  const drain: () => Promise<void> = coalescing(async () => {
    if (stopped) return;
    try {
      let result = { taken: [], effects: [], decisions: [], changed: false } as ReturnType<typeof recordPass>;
      const cursors = { ...store.data.cursors };
      await store.update((data) => { const late = readGrown(data); result = recordPass(data, stateDir, names, log); return result.changed || late; });
      followEnded(cursors);
      takenIn(result.taken);
      show();
      perform(result.effects);
      performDecisions(effectContext, result.decisions);
      notices.add(newNotices(store.data, seen));
      lookAtWorkIfTurned();
      if (mergesDue(store.data).length) void mergeRuns();
    } catch (error) {
      // A bug must not take the recorder down in a loop (its restart would meet the same input):
      // say it and go on; the next event or tick tries again.
      log(`error while recording: ${(error as Error).stack ?? String(error)}`);
    }
  });

  // After each turn of an agent with a worktree (and every 30 s, for commits made by hand): what
  // each worktree holds against its base, and the conflicts between them, found before any merge.
  const mergeCache: MergeCache = new Map();
  let turnsSeen = '';
  const lookAtWork = coalescing(async () => {
    const agents = Object.values(store.data.agents).filter((a) => a.worktree);
    if (stopped || lost || !agents.length) return;
    try {
      const states: Record<string, WorktreeState> = {};
      for (const a of agents) {
        const state = await lookAtWorktree(a).catch((error: Error) => { log(`${a.name}: cannot look at its worktree: ${error.message}`); return undefined; });
        if (state) states[a.name] = state;
      }
      const conflicts = await findConflicts(agents, states, mergeCache);
      const before = new Set((store.data.worktrees?.conflicts ?? []).map(describeConflict));
      for (const c of conflicts) if (!before.has(describeConflict(c))) log(`conflict: ${describeConflict(c)}`);
      await store.mutate((data) => { data.worktrees = { agents: states, conflicts, checked_at: new Date().toISOString() }; });
    } catch (error) {
      log(`error while looking at the worktrees: ${(error as Error).stack ?? String(error)}`);
    }
  });
  // Workflow tasks with merge: true whose try is done: merged one at a time, then the run moves on.
  const mergeRuns = coalescing(async () => {
    for (const due of mergesDue(store.data)) {
      if (stopped) return;
      const outcome = await mergeRunTask(store.data, due);
      log(`run ${due.run}: ${due.task} ${outcome.ok ? 'merged' : 'not merged'}: ${outcome.text}`);
      await store.mutate((data) => mergeDone(data, due.run, due.task, outcome, Date.now()));
    }
    void drain();
    void lookAtWork();
  });
  function lookAtWorkIfTurned(): void {
    const turns = Object.values(store.data.agents).filter((a) => a.worktree).map((a) => `${a.name}:${a.turns ?? 0}:${a.worktree!.setup}`).join(',');
    if (turns === turnsSeen) return;
    turnsSeen = turns;
    void lookAtWork();
  }

  // What needs a person, told once per change, in debounced bursts (src/notify/notify.ts).
  const seen = emptySeen();
  newNotices(store.data, seen, true);
  const notices = notifier({ session: session.name, settings: store.data.notify ?? {}, server, tmuxSession: () => (store.data.session?.ended_at ? null : session.tmux_id), log });

  // Effects run beside the passes, not inside them: a delivery waits for Claude to show its paste
  // (tens of ms, more on a loaded machine), and another agent's Stop must not wait for that. An
  // agent's own effects still run one after another, in the order its passes made them.
  const effectChains = new Map<string, Promise<void>>();
  const perform = (effects: ReturnType<typeof recordPass>['effects']): void => {
    for (const effect of effects) {
      const chain = (effectChains.get(effect.agent) ?? Promise.resolve()).then(() => performEffects(effectContext, [effect])).catch((error: Error) => log(`error in an effect: ${error.stack ?? error.message}`));
      effectChains.set(effect.agent, chain);
      void chain.then(() => { if (effectChains.get(effect.agent) === chain) effectChains.delete(effect.agent); });
    }
  };
  const effectsDone = (): Promise<unknown> => Promise.all([...effectChains.values()]);

  const effectContext: EffectContext = { stateDir, store, log, again: () => { show(); void drain(); }, look: () => { void check(); }, hostSilent: (host) => links.get(host)?.reconnect() };

  // Agents on other hosts: a link per host streams their status lines into their files here, and
  // says when the host stops answering (its agents are then unreachable, not exited) and comes back.
  const links = new Map<string, HostLink>();
  const recordHost = async (host: string, reachable: boolean, why = ''): Promise<void> => {
    await store.mutate((data) => {
      const h = data.session?.hosts?.[host];
      if (!h) return;
      Object.assign(h, { reachable, checked_at: new Date().toISOString(), error: reachable ? null : why });
      const at = Date.now();
      for (const name of agentsOn(data, host)) applyLines(data, name, [{ at, event: reachable ? { hook_event_name: 'HostReachable' } : { hook_event_name: 'HostUnreachable', reason: `host ${host} does not answer: ${why}` } }], log);
    });
    log(`host ${host} ${reachable ? 'answers' : `does not answer: ${why}`}`);
    show();
    void drain();
  };
  for (const host of Object.values(session.hosts ?? {})) {
    links.set(host.name, new HostLink(host, Object.values(store.data.agents).filter((a) => a.host === host.name), stateDir, {
      reachable: (h) => void recordHost(h, true), unreachable: (h, why) => void recordHost(h, false, why),
      // A transcript may be written after its turn's Stop (which read it): its cost is read again when it grows.
      appended: (agents, transcripts) => { if (transcripts.length) transcriptsGrew(transcripts); else if (agents.length) void drain(); },
      log,
    }));
  }

  /** Records events found by looking at tmux, dropping any about an agent whose record changed since the look. */
  const recordLooked = async (updates: [string, StatusLine][], seen: Map<string, string | undefined>): Promise<void> => {
    // Read what the hooks said meanwhile first.
    await drain();
    await store.mutate((data) => {
      for (const [name, line] of updates) if (data.agents[name]?.updated_at === seen.get(name)) applyLines(data, name, [line], log);
    });
    show();
    for (const [name, line] of updates) log(`${name}: ${String(line.event.hook_event_name)} -> ${store.data.agents[name]?.status} (${String(line.event.reason ?? '')})`);
  };

  // The session's tmux session (or its whole server) is gone: every agent went with it. Nothing is
  // delivered and no task fails until ./start.mts --resume brings the session back.
  let recordingLoss: Promise<void> | undefined;
  const recordLost = (reason: string): Promise<void> => {
    lost = true;
    recordingLoss ??= (async () => {
      try {
        await drain();
        const at = Date.now();
        await store.mutate((data) => {
          if (data.session) data.session.lost_at = new Date(at).toISOString();
          // Agents on other hosts live on in their tmux servers there; --resume shows them again.
          for (const a of Object.values(data.agents)) if (!a.host) applyLines(data, a.name, [{ at, event: { hook_event_name: 'SessionLost', reason } }], log);
        });
        log(`session lost: ${reason}; ./start.mts --resume brings it back`);
      } catch (error) {
        // A state directory that is gone (deleted with its session) cannot record the loss; the recorder ends all the same.
        log(`session lost (${reason}), and it could not be recorded: ${(error as Error).message}`);
      } finally {
        opts.onLost?.();
      }
    })();
    return recordingLoss;
  };

  // The processes of the live agent panes and of the tmux server, as the last look found them: a
  // cheap liveness test every tick (no process started) catches a death that no hook reported, as
  // tmux's pane-died hook sometimes does not fire on a loaded machine.
  let panePids: number[] = [];
  let serverPid = 0;
  const somethingDied = (): boolean => (serverPid > 0 && !alive(serverPid)) || panePids.some((pid) => !alive(pid));

  // Each answering host's panes, with the same look as the local ones; a host that does not answer is its link's to record.
  const lookAtHosts = async (): Promise<[string, StatusLine][]> => {
    const now = Date.now();
    const looks = await Promise.all(Object.values(store.data.session?.hosts ?? {}).filter((h) => h.reachable !== false).map(async (h) => {
      const agents = Object.values(store.data.agents).filter((a) => a.host === h.name);
      return lookAtHost(hostServer(h), agents, now).catch((error: Error) => {
        log(`cannot look at host ${h.name}: ${error.message}`);
        if (isUnreachable(error)) links.get(h.name)?.reconnect();
        return [];
      });
    }));
    return looks.flat();
  };

  const check = coalescing(async () => {
    if (lost || stopped) return;
    try {
      const seen = new Map(Object.values(store.data.agents).map((a) => [a.name, a.updated_at]));
      const look = await lookAtPanes(server, store.data, session.tmux_id, Date.now()).catch((error: Error) => { log(`cannot look at tmux: ${error.message}`); return undefined; });
      if (!look) return;
      if ('pids' in look) panePids = look.pids;
      if ('lost' in look && look.lost) {
        // One look is not proof (a tmux too busy to answer in time): a second one, a moment later, must agree.
        await sleep(LOSS_CONFIRM_MS);
        const gone = await sessionGone(server, session).catch(() => undefined);
        if (gone) await recordLost(gone);
      } else if ('updates' in look) {
        const updates = [...look.updates, ...await lookAtHosts()];
        if (updates.length) await recordLooked(updates, seen);
      }
    } catch (error) {
      log(`error while looking at tmux: ${(error as Error).stack ?? String(error)}`);
    }
  });

  // The starter cannot know the control window's ids before the recorder runs in it, and must not
  // write the store once the recorder does: the recorder records them itself.
  const control = await findControlWindow(server);
  await store.mutate((data) => {
    data.recorder = { pid: process.pid, started_at: new Date().toISOString() };
    if (control && data.session) data.session.control = control;
  });
  mkdirSync(inboxDir(stateDir), { recursive: true });
  watchers.push(watch(inboxDir(stateDir), (_, file) => { if (file && String(file).endsWith('.json') && !String(file).startsWith('.')) void drain(); }));
  for (const name of names) {
    try {
      // Decisions on its permission requests arrive as files there (approve, deny, dashboard, lead).
      const decisions = agentFiles(stateDir, name).approvals;
      mkdirSync(decisions, { recursive: true });
      watchers.push(watch(decisions, (_, file) => { if (file && String(file).endsWith('.claim')) void drain(); }));
      watchers.push(watch(agentDir(stateDir, name), () => void drain()));
    } catch (error) {
      log(`${name}: cannot watch its status file (${(error as Error).message})`);
    }
  }
  await drain();

  // A pane whose process dies makes tmux itself tell us (a pane-died hook appends to a file we
  // watch), so a death is seen at once without polling. The screen is read only while an agent
  // is starting or held at a dialog; a slow look every 10 s is the net for what no hook reports
  // (a tmux server killed outright).
  try {
    await server.cmd(['set-hook', '-t', session.tmux_id, 'pane-died', `run-shell -b ${tmuxDoubleQuoted(`echo >> ${quote(tmuxEventsFile(stateDir))}`)}`]);
  } catch (error) {
    log(`cannot set the pane-died hook (${(error as Error).message}); relying on the 10 s check`);
  }
  watchers.push(watch(stateDir, (_, file) => { if (file === TMUX_EVENTS) void check(); }));
  serverPid = Number((await server.cmd(['display-message', '-p', formatOf(['pid'])]).catch(() => '0')).trim()) || 0;
  void check();
  for (const link of links.values()) link.start();
  const homeGone = (): boolean => { try { const now = statSync(stateDir); return now.ino !== home.ino || now.dev !== home.dev; } catch { return true; } };
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    // Its state directory deleted: nothing is left to record into, and nothing would ever end it.
    if (tick % 5 === 0 && homeGone()) { log(`${stateDir} is gone; the recorder stops`); lost = true; opts.onLost?.(); return; }
    if (waitingOnTime(store.data)) void drain();
    if (tick % 10 === 0 || somethingDied() || Object.values(store.data.agents).some(atDialog)) void check();
    if (tick % 30 === 0) void lookAtWork();
  }, opts.paneCheckMs ?? 1000);

  // Interrupts a killed recorder did not finish are done now (a turn already stopped only has its box cleared).
  await performEffects(effectContext, pendingInterrupts(store.data));

  return {
    drain,
    async hangup() {
      await drain();
      const gone = recordingLoss ? 'already recorded' : await sessionGone(server, session).catch(() => undefined);
      if (gone && !recordingLoss) await recordLost(gone);
      await recordingLoss;
      return Boolean(gone);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      lateLines.stop();
      for (const w of watchers) w.close();
      await Promise.all([...links.values()].map((l) => l.stop()));
      await drain();
      await effectsDone();
      await notices.flush();
    },
  };
}
