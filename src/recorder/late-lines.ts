// Claude writes a turn's last transcript lines a moment after its Stop hook (about 0.3 s with the
// pinned CLI), so the usage read at the Stop misses them: a task's cost was one message short. After
// a local agent's turn ends, its transcript is watched for a while, and each time it grows the
// recorder reads it again, as it does when the copy of a remote agent's transcript grows; the late
// lines count for the task whose turn they are of (src/recorder/transcript.ts).
import { watch, type FSWatcher } from 'node:fs';

/** How long after a turn ends its transcript is watched. */
export const LATE_LINES_MS = 10_000;

interface Watch {
  path: string;
  watcher: FSWatcher | undefined;
  timer: NodeJS.Timeout;
}

export class LateLines {
  private readonly watching = new Map<string, Watch>();

  /** grew(agent): the agent's transcript may have grown (read it again). */
  constructor(
    private readonly grew: (agent: string) => void,
    private readonly windowMs = LATE_LINES_MS,
  ) {}

  /** Watches the agent's transcript for the window from now (again for one already watched). */
  follow(agent: string, path: string): void {
    let w = this.watching.get(agent);
    if (w && w.path !== path) {
      this.end(agent, false);
      w = undefined;
    }
    if (w) w.timer.refresh();
    else {
      w = { path, watcher: undefined, timer: setTimeout(() => this.end(agent, true), this.windowMs) };
      this.watching.set(agent, w);
    }
    // (A transcript not there yet, at the session's start, is watched from a later follow on.)
    w.watcher ??= this.watch(agent, w);
  }

  /** Stops every watch. */
  stop(): void {
    for (const agent of [...this.watching.keys()]) this.end(agent, false);
  }

  private watch(agent: string, w: Watch): FSWatcher | undefined {
    try {
      const watcher = watch(w.path, (event) => {
        // A file replaced is not this one any more: the next follow watches the new one.
        if (event === 'rename') {
          watcher.close();
          w.watcher = undefined;
        }
        this.grew(agent);
      });
      watcher.on('error', () => {
        watcher.close();
        w.watcher = undefined;
      });
      return watcher;
    } catch {
      return undefined;
    }
  }

  private end(agent: string, lastLook: boolean): void {
    const w = this.watching.get(agent);
    if (!w) return;
    clearTimeout(w.timer);
    w.watcher?.close();
    this.watching.delete(agent);
    // One more read at the end, for a change the watch did not report.
    if (lastLook) this.grew(agent);
  }
}
