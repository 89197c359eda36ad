// The dashboard's open event streams, capped per client rather than for everyone: a client (a
// browser, by the id cookie its page got; anything else shares one "anonymous" client) that opens
// more than its share closes its own oldest stream, and when the whole pool is full the oldest
// stream of the client holding the most makes room. A new page is never turned away.
import type { ServerResponse } from 'node:http';

export interface StreamPoolOptions {
  perClient?: number;
  total?: number;
}

interface Entry {
  res: ServerResponse;
  client: string;
  opened: number;
}

export class StreamPool {
  private readonly entries = new Set<Entry>();
  private seq = 0;
  private readonly perClient: number;
  private readonly total: number;

  constructor(opts: StreamPoolOptions = {}) {
    this.perClient = opts.perClient ?? 16;
    this.total = opts.total ?? 256;
  }

  /** Adds a stream of a client, closing the oldest ones it pushes out. */
  add(res: ServerResponse, client: string): void {
    const own = [...this.entries].filter((e) => e.client === client);
    for (const old of own.slice(0, Math.max(0, own.length - this.perClient + 1))) this.close(old);
    while (this.entries.size >= this.total) {
      const counts = new Map<string, Entry[]>();
      for (const e of this.entries) counts.set(e.client, [...(counts.get(e.client) ?? []), e]);
      const biggest = [...counts.values()].sort((a, b) => b.length - a.length || a[0]!.opened - b[0]!.opened)[0]!;
      this.close(biggest[0]!);
    }
    const entry = { res, client, opened: this.seq++ };
    this.entries.add(entry);
    res.on('close', () => this.entries.delete(entry));
  }

  private close(entry: Entry): void {
    this.entries.delete(entry);
    entry.res.end();
  }

  /** Sends to every open stream. */
  broadcast(chunk: string): void {
    for (const e of this.entries) e.res.write(chunk);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Ends every stream. */
  closeAll(): void {
    for (const e of [...this.entries]) this.close(e);
  }
}
