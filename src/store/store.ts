// A thin typed layer over lowdb with named mutations. One process writes a store at a time (the
// starter before the recorder runs, the recorder after); lowdb writes atomically (temp + rename).
import { Low } from 'lowdb';
import { DataFile } from 'lowdb/node';
import { emptyStore, type StoreData, type SessionRecord, type AgentRecord } from './types.js';
import { loadForWriting, prepareStateDir } from './state-dir.js';
import { storeFile } from './paths.js';

/** A session's store. */
export class Store {
  private constructor(private readonly db: Low<StoreData>) {}

  /** Opens (or creates) the store of a state directory; a damaged store.json is refused, never overwritten. */
  static async open(stateDir: string): Promise<Store> {
    prepareStateDir(stateDir);
    // Compact JSON: every event rewrites the file, and indentation costs a third more bytes to write and to read.
    const db = new Low<StoreData>(
      new DataFile<StoreData>(storeFile(stateDir), { parse: JSON.parse, stringify: (data) => JSON.stringify(data) }),
      emptyStore(),
    );
    db.data = loadForWriting(stateDir);
    return new Store(db);
  }

  get data(): Readonly<StoreData> {
    return this.db.data;
  }

  /** Records a newly built session and its agents, replacing what an earlier session left. */
  async recordSession(session: SessionRecord, agents: AgentRecord[], more: Partial<StoreData> = {}): Promise<void> {
    this.db.data.session = session;
    this.db.data.agents = Object.fromEntries(agents.map((a) => [a.name, a]));
    Object.assign(this.db.data, more);
    await this.db.write();
  }

  /** Applies a named change in memory and writes the store once (atomically). */
  async mutate(change: (data: StoreData) => void): Promise<void> {
    change(this.db.data);
    await this.db.write();
  }

  /** Applies a change in memory and writes the store only when the change says it changed something. */
  async update(change: (data: StoreData) => boolean): Promise<boolean> {
    const changed = change(this.db.data);
    if (changed) await this.db.write();
    return changed;
  }
}
