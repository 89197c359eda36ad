// Agents on other hosts, as the recorder follows them: a link per host streams their status lines
// into their files here, and says when the host stops answering (its agents are then unreachable,
// not exited) and comes back; a look at an answering host's panes is the same as at local ones.
import type { Store } from '../store/store.js';
import type { StatusLine } from '../store/types.js';
import { HostLink } from '../hosts/link.js';
import { agentsOn, hostServer } from '../hosts/remote.js';
import { isUnreachable } from '../ssh/ssh.js';
import { applyLines } from './apply.js';
import { lookAtHost } from './pane-checks.js';

/** What the recorder does when a host's state changes: redraw tmux, make a pass, read grown transcripts again. */
export interface HostLinkHooks {
  show(): void;
  drain(): void;
  transcriptsGrew(agents: readonly string[]): void;
}

export class HostLinks {
  private readonly links = new Map<string, HostLink>();

  constructor(
    private readonly store: Store,
    stateDir: string,
    private readonly log: (line: string) => void,
    private readonly hooks: HostLinkHooks,
  ) {
    for (const host of Object.values(store.data.session?.hosts ?? {})) {
      this.links.set(
        host.name,
        new HostLink(
          host,
          Object.values(store.data.agents).filter((a) => a.host === host.name),
          stateDir,
          {
            reachable: (h) => void this.record(h, true),
            unreachable: (h, why) => void this.record(h, false, why),
            // A transcript may be written after its turn's Stop (which read it): its cost is read again when it grows.
            appended: (agents, transcripts) => {
              if (transcripts.length) hooks.transcriptsGrew(transcripts);
              else if (agents.length) hooks.drain();
            },
            log,
          },
        ),
      );
    }
  }

  start(): void {
    for (const link of this.links.values()) link.start();
  }

  async stop(): Promise<void> {
    await Promise.all([...this.links.values()].map((l) => l.stop()));
  }

  /** The host did not answer an effect or a look: its link finds out and records it. */
  reconnect(host: string): void {
    this.links.get(host)?.reconnect();
  }

  /** Each answering host's panes, with the same look as the local ones; a host that does not answer is its link's to record. */
  async look(): Promise<[string, StatusLine][]> {
    const now = Date.now();
    const looks = await Promise.all(
      Object.values(this.store.data.session?.hosts ?? {})
        .filter((h) => h.reachable !== false)
        .map(async (h) => {
          const agents = Object.values(this.store.data.agents).filter((a) => a.host === h.name);
          return lookAtHost(hostServer(h), agents, now).catch((error: Error) => {
            this.log(`cannot look at host ${h.name}: ${error.message}`);
            if (isUnreachable(error)) this.reconnect(h.name);
            return [];
          });
        }),
    );
    return looks.flat();
  }

  private async record(host: string, reachable: boolean, why = ''): Promise<void> {
    await this.store.mutate((data) => {
      const h = data.session?.hosts?.[host];
      if (!h) return;
      Object.assign(h, { reachable, checked_at: new Date().toISOString(), error: reachable ? null : why });
      const at = Date.now();
      for (const name of agentsOn(data, host))
        applyLines(
          data,
          name,
          [
            {
              at,
              event: reachable
                ? { hook_event_name: 'HostReachable' }
                : { hook_event_name: 'HostUnreachable', reason: `host ${host} does not answer: ${why}` },
            },
          ],
          this.log,
        );
    });
    this.log(`host ${host} ${reachable ? 'answers' : `does not answer: ${why}`}`);
    this.hooks.show();
    this.hooks.drain();
  }
}
