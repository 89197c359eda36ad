// The dashboard follows the store: it watches the state directory (the recorder replaces
// store.json by rename on every write) and the handovers folder, rebuilds the view once per burst
// of changes (at most five times a second), and hands on the sections that changed.
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { readStore } from '../store/state-dir.js';
import { handoversDir, storeFile } from '../store/paths.js';
import type { StoreData } from '../store/types.js';
import { coalescing } from '../util/coalesce.js';
import { buildView, ViewDiffer, type View } from './view.js';
import { listHandovers } from '../handover/read.js';

/** The shortest time between two rebuilds of the view. */
const REFRESH_GAP_MS = 200;

/** The store as last read, its view, and why it could not be read (when it could not). */
export class StoreFollower {
  data: StoreData | undefined;
  view: View = buildView({ version: 1, session: null, agents: {} }, []);
  error: string | null = null;
  private readonly differ = new ViewDiffer();
  private readonly watchers: FSWatcher[] = [];
  private handovers: FSWatcher | undefined;
  private lastRefresh = 0;
  // A change is shown at once after a quiet spell; in a burst (32 busy agents write the store tens
  // of times a second) at most every REFRESH_GAP_MS, so neither this process nor the browser
  // redraws more often than a person can see.
  private readonly schedule = coalescing(async () => {
    const wait = this.lastRefresh + REFRESH_GAP_MS - Date.now();
    await new Promise((resolve) => (wait > 0 ? setTimeout(resolve, wait) : setImmediate(resolve)));
    this.lastRefresh = Date.now();
    this.refresh();
  });

  /** After every read, changed gets the sections of the view that differ from the last ones (often none). */
  constructor(
    private readonly stateDir: string,
    private readonly changed: (sections: Partial<View>) => void,
  ) {
    this.refresh();
    this.watchers.push(
      watch(stateDir, (_, file) => {
        const name = String(file ?? '');
        if (name === basename(storeFile(stateDir))) void this.schedule();
        else if (name === basename(handoversDir(stateDir))) {
          this.watchHandovers();
          void this.schedule();
        }
      }),
    );
    this.watchHandovers();
  }

  private watchHandovers(): void {
    if (this.handovers || !existsSync(handoversDir(this.stateDir))) return;
    try {
      this.handovers = watch(handoversDir(this.stateDir), () => void this.schedule());
      this.handovers.on('error', () => {
        this.handovers?.close();
        this.handovers = undefined;
      });
    } catch {
      /* appears later: the state directory's watcher tries again */
    }
  }

  private refresh(): void {
    try {
      this.data = readStore(this.stateDir);
      this.error = null;
    } catch (error) {
      // A store that cannot be read now (not written yet) is read again on the next change.
      this.error = (error as Error).message;
      return;
    }
    this.view = buildView(this.data, listHandovers(this.stateDir));
    this.changed(this.differ.changed(this.view));
  }

  close(): void {
    for (const w of this.watchers) w.close();
    this.handovers?.close();
  }
}
