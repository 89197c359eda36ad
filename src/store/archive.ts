// The archive: finished tasks, runs and events that left the live store, in append-only files of
// the state directory (archive/<kind>.jsonl, one JSON record a line), never rewritten. Each record
// file has an index (archive/<kind>.idx: "id offset length order ." a line; order is a task's seq
// or a run's start time, for listing newest first) so that a record is found by
// id without reading the whole file. The recorder is the only writer. A kill at any byte leaves at
// most a torn last line: it is not JSON (or has no closing " ."), readers skip it, and the next
// append starts on a new line. The store holds how many bytes of each file it knows of
// (data.archive), so records written by a recorder killed before its store write are found in the
// tail, not written twice. The index is a cache: data past its last entry is scanned.
import { closeSync, fstatSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import type { ArchiveCounts, StoreData } from './types.js';
import { archiveDir, archiveFile, indexFile, type ArchiveKind, type IndexedKind } from './paths.js';

export type { ArchiveKind, IndexedKind } from './paths.js';

/** One index entry: where a record's line is (its length without the newline), and its place in time. */
export interface IndexEntry {
  id: string;
  offset: number;
  length: number;
  order: number;
}

/** Where a record sorts among its kind: a task's seq, a run's start time. */
export function orderOf(record: Record<string, unknown>): number {
  if (typeof record.seq === 'number') return record.seq;
  const at = Date.parse(String(record.created_at ?? ''));
  return Number.isFinite(at) ? at : 0;
}

const emptyCounts = (): ArchiveCounts => ({ bytes: 0, count: 0 });

/** The archive's counters in the store, created when missing. */
export function archiveCounts(data: StoreData, kind: ArchiveKind): ArchiveCounts {
  data.archive ??= {};
  data.archive[kind] ??= emptyCounts();
  return data.archive[kind];
}

/** Reads bytes [from, to) of a file (short when the file is shorter; empty when it is missing). */
function readRange(file: string, from: number, to?: number): Buffer {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const end = Math.min(to ?? Number.MAX_SAFE_INTEGER, fstatSync(fd).size);
    if (end <= from) return Buffer.alloc(0);
    const buffer = Buffer.alloc(end - from);
    const read = readSync(fd, buffer, 0, buffer.length, from);
    return buffer.subarray(0, read);
  } finally {
    closeSync(fd);
  }
}

/**
 * The complete JSON records of a buffer read from offset base, with where each line is. A last
 * line without its newline counts only when asked (the writer, which is about to end it).
 */
function recordsIn(
  buffer: Buffer,
  base: number,
  unterminated = false,
): { offset: number; length: number; value: Record<string, unknown> }[] {
  const out: { offset: number; length: number; value: Record<string, unknown> }[] = [];
  let start = 0;
  for (;;) {
    let end = buffer.indexOf(0x0a, start);
    if (end < 0 && unterminated && start < buffer.length) end = buffer.length;
    if (end < 0) break;
    if (end > start) {
      try {
        const value = JSON.parse(buffer.subarray(start, end).toString('utf8')) as unknown;
        if (value && typeof value === 'object' && !Array.isArray(value))
          out.push({ offset: base + start, length: end - start, value: value as Record<string, unknown> });
      } catch {
        /* a torn line: skipped */
      }
    }
    start = end + 1;
    if (start >= buffer.length) break;
  }
  return out;
}

/** Appends text to a file so that it starts on a new line (after a torn one); returns the new size. */
function appendLines(file: string, text: string): number {
  const fd = openSync(file, 'a+');
  try {
    const size = fstatSync(fd).size;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    const bytes = Buffer.from(prefix + text, 'utf8');
    writeSync(fd, bytes);
    return size + bytes.length;
  } finally {
    closeSync(fd);
  }
}

const idOf = (record: Record<string, unknown>): string => String(record.id ?? '');

/**
 * Appends records of a kind to the archive and moves the store's byte count: records already there
 * (written by a recorder killed before it could record that) are not written again. Call it before
 * the store write that records them as archived. (No fsync: a killed process loses nothing the
 * kernel took; like store.json, the archive does not claim to survive a power cut.)
 */
export function appendToArchive(
  data: StoreData,
  stateDir: string,
  kind: ArchiveKind,
  records: readonly Record<string, unknown>[],
): void {
  if (!records.length) return;
  mkdirSync(archiveDir(stateDir), { recursive: true });
  const counts = archiveCounts(data, kind);
  const file = archiveFile(stateDir, kind);
  const indexed = kind !== 'events';
  // What a killed recorder appended after the last store write (a whole record cut just before its
  // newline is one: the newline written before the next append completes it).
  const tail = recordsIn(readRange(file, counts.bytes), counts.bytes, true);
  const already = new Set(tail.map((r) => idOf(r.value)));
  const fresh = indexed ? records.filter((r) => !already.has(idOf(r))) : records;
  const lines = fresh.map((r) => `${JSON.stringify(indexed ? { id: r.id, ...r } : r)}\n`);
  const text = lines.join('');
  const size = text ? appendLines(file, text) : counts.bytes + readRange(file, counts.bytes).length;
  const start = size - Buffer.byteLength(text);
  counts.bytes = size;
  if (!indexed) return;
  const wanted = new Set(records.map(idOf));
  const entries: string[] = tail
    .filter((r) => wanted.has(idOf(r.value)))
    .map((r) => `${idOf(r.value)} ${r.offset} ${r.length} ${orderOf(r.value)} .\n`);
  let at = start;
  for (const [i, r] of fresh.entries()) {
    const length = Buffer.byteLength(lines[i]!) - 1;
    entries.push(`${idOf(r)} ${at} ${length} ${orderOf(r)} .\n`);
    at += length + 1;
  }
  appendLines(indexFile(stateDir, kind as IndexedKind), entries.join(''));
}

/**
 * Every index entry of a kind, oldest first (in file order); data the index does not cover is
 * scanned: past its last entry, and any stretch between entries (a garbled index line, or a torn
 * record). A later entry of an id wins.
 */
export function readIndex(stateDir: string, kind: IndexedKind): IndexEntry[] {
  const listed: IndexEntry[] = [];
  for (const line of readRange(indexFile(stateDir, kind), 0).toString('utf8').split('\n')) {
    const [id, offset, length, order, end, more] = line.split(' ');
    if (end !== '.' || more !== undefined || !id) continue;
    const entry = { id, offset: Number(offset), length: Number(length), order: Number(order) };
    if (
      !Number.isSafeInteger(entry.offset) ||
      !Number.isSafeInteger(entry.length) ||
      entry.offset < 0 ||
      entry.length <= 0 ||
      !Number.isFinite(entry.order)
    )
      continue;
    listed.push(entry);
  }
  const file = archiveFile(stateDir, kind);
  const entries: IndexEntry[] = [];
  let covered = 0;
  const scan = (from: number, to?: number): void => {
    for (const r of recordsIn(readRange(file, from, to), from))
      entries.push({ id: idOf(r.value), offset: r.offset, length: r.length, order: orderOf(r.value) });
  };
  for (const entry of listed.sort((a, b) => a.offset - b.offset)) {
    if (entry.offset < covered) continue;
    if (entry.offset > covered) scan(covered, entry.offset);
    entries.push(entry);
    covered = entry.offset + entry.length + 1;
  }
  scan(covered);
  return entries;
}

/** Reads one record where an index entry says it is, or undefined when it is not there (a stale entry). */
export function readEntry<T>(stateDir: string, kind: IndexedKind, entry: IndexEntry): T | undefined {
  const bytes = readRange(archiveFile(stateDir, kind), entry.offset, entry.offset + entry.length);
  try {
    const value = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    return idOf(value) === entry.id ? (value as T) : undefined;
  } catch {
    return undefined;
  }
}

/** Entries of every record the archive file holds, read from the file itself (not the index). */
export function scanArchive(stateDir: string, kind: IndexedKind): IndexEntry[] {
  return recordsIn(readRange(archiveFile(stateDir, kind), 0), 0).map((r) => ({
    id: idOf(r.value),
    offset: r.offset,
    length: r.length,
    order: orderOf(r.value),
  }));
}

/** The entries of id, or else of the ids that end or start with it: the newest entry of each. */
function entriesOf(index: readonly IndexEntry[], id: string): IndexEntry[] {
  const exact = index.filter((e) => e.id === id);
  const matches = exact.length ? exact : index.filter((e) => e.id.startsWith(id) || e.id.endsWith(id));
  const newest = new Map<string, IndexEntry>();
  for (const e of matches) newest.set(e.id, e);
  return [...newest.values()];
}

/**
 * Archived records of a kind whose id is id, or ends or starts with it (newest entry of each id).
 * The index is a cache: when it has no entry, or one that does not lead to its record (a garbled
 * line), the file itself is read.
 */
export function findArchived<T>(
  stateDir: string,
  kind: IndexedKind,
  id: string,
  index = readIndex(stateDir, kind),
): T[] {
  const found = entriesOf(index, id).map((e) => readEntry<T>(stateDir, kind, e));
  if (found.length && found.every((r) => r !== undefined)) return found as T[];
  return entriesOf(scanArchive(stateDir, kind), id)
    .map((e) => readEntry<T>(stateDir, kind, e))
    .filter((r) => r !== undefined) as T[];
}

/** The newest entry of each archived id not in skip (still live), newest first by order. */
export function archivedNewestFirst(
  stateDir: string,
  kind: IndexedKind,
  skip: ReadonlySet<string> = new Set(),
  index = readIndex(stateDir, kind),
): IndexEntry[] {
  const newest = new Map<string, IndexEntry>();
  for (const e of index) if (!skip.has(e.id)) newest.set(e.id, e);
  return [...newest.values()].sort((a, b) => b.order - a.order);
}
