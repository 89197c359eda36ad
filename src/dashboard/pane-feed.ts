// The live screen of an agent's pane for the pages that show it. tmux tells nobody when a pane's
// screen changes, so while (and only while) some page views an agent its pane is captured a few
// times a second, and at once after every store change; a page is sent a screen only when it
// differs from the last one.
import type { Server } from '../tmux/objects.js';
import { ansiToSegments, type Segment } from './ansi.js';
import { coalescing } from '../util/coalesce.js';

/** One screen as sent to a page. */
export interface PaneScreen {
  agent: string;
  pane: string | null;
  width: number;
  height: number;
  dead: boolean;
  segments: Segment[];
  error: string | null;
  at: string;
}

interface Watched {
  subscribers: Set<(screen: PaneScreen) => void>;
  last: PaneScreen | undefined;
  key: string;
  capture: () => Promise<void>;
}

export interface PaneFeedOptions {
  /** The server the session runs on, and the pane of an agent, from the current store. */
  locate(agent: string): { server: Server; pane: string } | undefined;
  redact(text: string): string;
  intervalMs?: number;
}

/** Pane screens for subscribers, captured while anyone watches. */
export class PaneFeed {
  private watched = new Map<string, Watched>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: PaneFeedOptions) {}

  /** Starts sending an agent's screen to send(); returns the unsubscribe function. */
  subscribe(agent: string, send: (screen: PaneScreen) => void): () => void {
    let w = this.watched.get(agent);
    if (!w) {
      const entry: Watched = {
        subscribers: new Set(),
        last: undefined,
        key: '',
        capture: coalescing(() => this.capture(agent, entry)),
      };
      w = entry;
      this.watched.set(agent, w);
    }
    w.subscribers.add(send);
    if (w.last) send(w.last);
    void w.capture();
    this.timer ??= setInterval(() => this.poke(), this.opts.intervalMs ?? 250);
    return () => {
      w.subscribers.delete(send);
      if (!w.subscribers.size) this.watched.delete(agent);
      if (!this.watched.size && this.timer) {
        clearInterval(this.timer);
        this.timer = undefined;
      }
    };
  }

  /** Captures every watched pane now (after a store change, and on the timer). */
  poke(): void {
    for (const w of this.watched.values()) void w.capture();
  }

  /** How many agents are being watched (for tests). */
  get size(): number {
    return this.watched.size;
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.watched.clear();
  }

  /** One look at an agent's pane; its watchers get the screen when it changed. */
  private async capture(agent: string, w: Watched): Promise<void> {
    if (this.watched.get(agent) !== w) return;
    const screen = await this.screen(agent);
    const key = JSON.stringify({ ...screen, at: '' });
    if (key === w.key) return;
    w.key = key;
    w.last = screen;
    for (const send of w.subscribers) send(screen);
  }

  private async screen(agent: string): Promise<PaneScreen> {
    const at = new Date().toISOString();
    const where = this.opts.locate(agent);
    if (!where)
      return {
        agent,
        pane: null,
        width: 0,
        height: 0,
        dead: false,
        segments: [],
        error: `no agent "${agent}" in this session`,
        at,
      };
    try {
      const { width, height, dead, text } = await where.server.pane(where.pane).screen();
      return {
        agent,
        pane: where.pane,
        width,
        height,
        dead,
        segments: ansiToSegments(this.opts.redact(text)),
        error: null,
        at,
      };
    } catch (error) {
      const message = /can't find pane|no server running|error connecting/.test(String((error as Error).message))
        ? `pane ${where.pane} is gone (the session or the agent's pane was closed)`
        : `cannot read pane ${where.pane}: ${(error as Error).message}`;
      return { agent, pane: where.pane, width: 0, height: 0, dead: true, segments: [], error: message, at };
    }
  }
}
