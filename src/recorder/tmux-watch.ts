// What only tmux can tell the recorder: dead panes and screens (a look, recorded unless the agent's
// record changed meanwhile), and the loss of the whole session. tmux's pane-died hook makes a look
// at once; between looks, the processes of the live panes and of the server are checked every tick
// (no process started), since the hook sometimes does not fire on a loaded machine.
import type { Store } from '../store/store.js';
import type { SessionRecord, StatusLine } from '../store/types.js';
import { tmuxEventsFile } from '../store/paths.js';
import type { Server } from '../tmux/objects.js';
import { formatOf } from '../tmux/format.js';
import { tmuxDoubleQuoted } from '../tmux/command.js';
import { quote } from '../util/shell-quote.js';
import { alive } from '../util/pid.js';
import { coalescing } from '../util/coalesce.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyLines } from './apply.js';
import { lookAtPanes, sessionGone } from './pane-checks.js';
import type { HostLinks } from './host-links.js';
import type { RecorderLife } from './work-watch.js';
import { placeOf } from '../drivers/place.js';

/** How long after a look that found the session gone the second look is made. */
const LOSS_CONFIRM_MS = 300;

export interface TmuxWatchParts {
  server: Server;
  session: SessionRecord;
  store: Store;
  life: RecorderLife;
  hosts: HostLinks;
  log: (line: string) => void;
  drain: () => Promise<void>;
  show: () => void;
  /** Called once the session is seen gone (recorded as lost). */
  onLost?: () => void;
}

export class TmuxWatch {
  private panePids: number[] = [];
  private serverPid = 0;
  private recordingLoss: Promise<void> | undefined;
  /** Looks at tmux now (one look at a time). */
  readonly check: () => Promise<void>;

  constructor(private readonly p: TmuxWatchParts) {
    this.check = coalescing(() => this.look());
  }

  /** Makes tmux tell of each pane death (its pane-died hook appends to a file the recorder watches), and notes the server's pid. */
  async start(stateDir: string): Promise<void> {
    const { server, session, log } = this.p;
    try {
      await server.cmd([
        'set-hook',
        '-t',
        session.tmux_id,
        'pane-died',
        `run-shell -b ${tmuxDoubleQuoted(`echo >> ${quote(tmuxEventsFile(stateDir))}`)}`,
      ]);
    } catch (error) {
      log(`cannot set the pane-died hook (${(error as Error).message}); relying on the 10 s check`);
    }
    this.serverPid =
      Number((await server.cmd(['display-message', '-p', formatOf(['pid'])]).catch(() => '0')).trim()) || 0;
  }

  /** Whether a live pane's process or the server died since the last look (a cheap test, every tick). */
  somethingDied(): boolean {
    return (this.serverPid > 0 && !alive(this.serverPid)) || this.panePids.some((pid) => !alive(pid));
  }

  /** After a SIGHUP: records what the status files say and, when the tmux session is gone, that it was lost; whether it was. */
  async hangup(): Promise<boolean> {
    await this.p.drain();
    const gone = this.recordingLoss
      ? 'already recorded'
      : await sessionGone(this.p.server, this.p.session).catch(() => undefined);
    if (gone && !this.recordingLoss) await this.recordLost(gone);
    await this.recordingLoss;
    return Boolean(gone);
  }

  private async look(): Promise<void> {
    const { server, session, store, life, log } = this.p;
    if (life.lost || life.stopped) return;
    try {
      const seen = new Map(Object.values(store.data.agents).map((a) => [a.name, a.updated_at]));
      const look = await lookAtPanes(server, store.data, session.tmux_id, Date.now()).catch((error: Error) => {
        log(`cannot look at tmux: ${error.message}`);
        return undefined;
      });
      if (!look) return;
      if ('pids' in look) this.panePids = look.pids;
      if ('lost' in look && look.lost) {
        // One look is not proof (a tmux too busy to answer in time): a second one, a moment later, must agree.
        await sleep(LOSS_CONFIRM_MS);
        const gone = await sessionGone(server, session).catch(() => undefined);
        if (gone) await this.recordLost(gone);
      } else if ('updates' in look) {
        const updates = [...look.updates, ...(await this.p.hosts.look())];
        if (updates.length) await this.recordLooked(updates, seen);
      }
    } catch (error) {
      log(`error while looking at tmux: ${(error as Error).stack ?? String(error)}`);
    }
  }

  /** Records events found by looking at tmux, dropping any about an agent whose record changed since the look. */
  private async recordLooked(updates: [string, StatusLine][], seen: Map<string, string | undefined>): Promise<void> {
    const { store, log } = this.p;
    // Read what the hooks said meanwhile first.
    await this.p.drain();
    await store.mutate((data) => {
      for (const [name, line] of updates)
        if (data.agents[name]?.updated_at === seen.get(name)) applyLines(data, name, [line], log);
    });
    this.p.show();
    for (const [name, line] of updates)
      log(
        `${name}: ${String(line.event.hook_event_name)} -> ${store.data.agents[name]?.status} (${String(line.event.reason ?? '')})`,
      );
  }

  /**
   * The session's tmux session (or its whole server) is gone: every agent went with it. Nothing is
   * delivered and no task fails until ./start.mts --resume brings the session back.
   */
  private recordLost(reason: string): Promise<void> {
    const { store, log } = this.p;
    this.p.life.lost = true;
    this.recordingLoss ??= (async () => {
      try {
        await this.p.drain();
        const at = Date.now();
        await store.mutate((data) => {
          if (data.session) data.session.lost_at = new Date(at).toISOString();
          // Agents on other hosts live on in their tmux servers there; --resume shows them again.
          for (const a of Object.values(data.agents))
            if (placeOf(a).paneHere)
              applyLines(data, a.name, [{ at, event: { hook_event_name: 'SessionLost', reason } }], log);
        });
        log(`session lost: ${reason}; ./start.mts --resume brings it back`);
      } catch (error) {
        // A state directory that is gone (deleted with its session) cannot record the loss; the recorder ends all the same.
        log(`session lost (${reason}), and it could not be recorded: ${(error as Error).message}`);
      } finally {
        this.p.onLost?.();
      }
    })();
    return this.recordingLoss;
  }
}
