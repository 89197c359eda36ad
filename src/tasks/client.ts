// The submitter's side of tasks, shared by the CLI, the lead's MCP server and the dashboard: ask
// the recorder for a task (an inbox request) and follow it in the store until it is finished.
import { watch } from 'node:fs';
import { alive } from '../util/pid.js';
import { readStore } from '../store/state-dir.js';
import { OrchestratorError } from '../core/errors.js';
import { newId, submit } from '../inbox/inbox.js';
import type { RunRecord, StoreData, TaskRecord, TaskTarget } from '../store/types.js';
import { isFinal, targetProblem } from './tasks.js';
import { own } from '../util/own.js';
import {
  archivedNewestFirst,
  findArchived,
  readEntry,
  scanArchive,
  type IndexEntry,
  type IndexedKind,
} from '../store/archive.js';

/** Whether the session can take requests now: a recorded, not ended session whose recorder runs. */
export function assertLive(data: StoreData, stateDir: string): void {
  if (!data.session)
    throw new OrchestratorError(
      `no session recorded in ${stateDir}: start one with ./start.mts --state ${stateDir}`,
      2,
    );
  if (data.session.ended_at)
    throw new OrchestratorError(
      `session "${data.session.name}" ended at ${data.session.ended_at}; start it again with ./start.mts`,
    );
  const pid = data.recorder?.pid;
  if (!pid || !alive(pid)) {
    throw new OrchestratorError(
      `the recorder of session "${data.session.name}" is not running, so nothing would deliver the task. Is the session up? (tmux${data.session.socket ? ` -L ${data.session.socket}` : ''} ls; ./start.mts --resume brings it back)`,
    );
  }
}

/** Submits a task; returns its id. Throws when the target can never take it or nobody records it. */
export function dispatchTask(
  stateDir: string,
  prompt: string,
  target: TaskTarget,
  extra: { run?: string; run_task?: string; by?: string; budget_usd?: number } = {},
): string {
  if (!prompt.trim()) throw new OrchestratorError('the prompt is empty');
  const data = readStore(stateDir);
  assertLive(data, stateDir);
  const problem = targetProblem(data, target);
  if (problem) throw new OrchestratorError(problem);
  const id = newId('t');
  submit(stateDir, { kind: 'dispatch', id, at: new Date().toISOString(), prompt, target, ...extra });
  return id;
}

/** Asks for a task to be cancelled (dropped when queued, interrupted when running). */
export function cancelTask(stateDir: string, taskId: string): void {
  const data = readStore(stateDir);
  const task = findTask(data, taskId, stateDir);
  if (isFinal(task)) throw new OrchestratorError(`task ${task.id} is already ${task.state}`);
  assertLive(data, stateDir);
  submit(stateDir, { kind: 'cancel', id: newId('c'), at: new Date().toISOString(), task: task.id });
}

/** The fewest characters a part of a task or run id must have to name it (ids all start alike: "t-<time>"). */
export const MIN_ID_PART = 4;

/** A task by id or unique id prefix or suffix (of MIN_ID_PART characters or more): in the live store, else (given its state directory) in the archive. */
export function findTask(data: StoreData, id: string, stateDir?: string): TaskRecord {
  if (typeof id !== 'string' || !id.trim())
    throw new OrchestratorError('no task id given (orchestrate tasks lists them)');
  const tasks = data.tasks ?? {};
  const live = own(tasks, id);
  if (live) return stateDir ? wholeTask(stateDir, live) : live;
  const part = id.length >= MIN_ID_PART;
  let found = part ? Object.values(tasks).filter((t) => t.id.startsWith(id) || t.id.endsWith(id)) : [];
  if (!found.length && stateDir && data.archive?.tasks?.count)
    found = findArchived<TaskRecord>(stateDir, 'tasks', id).filter((t) => t.id === id || part);
  const exact = found.length === 1 ? found[0] : found.find((t) => t.id === id);
  if (exact) return stateDir ? wholeTask(stateDir, exact) : exact;
  throw new OrchestratorError(
    found.length
      ? `"${id}" matches ${found.length} tasks; give more of the id`
      : `no task "${id}" in this session${part ? '' : ` (a part of an id needs at least ${MIN_ID_PART} characters)`} (orchestrate tasks lists them)`,
  );
}

/** The whole task: the archive's copy when the live store keeps only the start of its prompt or answer. */
export function wholeTask(stateDir: string, task: TaskRecord): TaskRecord {
  if (!task.clipped) return task;
  return findArchived<TaskRecord>(stateDir, 'tasks', task.id).find((t) => t.id === task.id) ?? task;
}

/** A workflow run by id or id suffix: in the live store, else in the archive; undefined when there is none. */
export function findRun(data: StoreData, id: string, stateDir: string): RunRecord | undefined {
  if (typeof id !== 'string' || !id.trim()) return undefined;
  const part = id.length >= MIN_ID_PART;
  const live = own(data.runs, id) ?? (part ? Object.values(data.runs ?? {}).find((r) => r.id.endsWith(id)) : undefined);
  if (live || !data.archive?.runs?.count) return live;
  const found = findArchived<RunRecord>(stateDir, 'runs', id).filter((r) => r.id === id || part);
  return found.find((r) => r.id === id) ?? (found.length === 1 ? found[0] : undefined);
}

/**
 * A page (1 = newest) of live and archived records of a kind, merged newest first, each id once. An
 * index entry that does not lead to its record (a garbled line) makes it read the archive file itself.
 */
function historyPage<T extends { id: string }>(
  stateDir: string,
  kind: IndexedKind,
  live: readonly T[],
  order: (r: T) => number,
  archived: boolean,
  page: number,
  perPage: number,
  keep: (r: T) => boolean = () => true,
  filtered = false,
  scanned = false,
): { items: T[]; page: number; pages: number; total: number } {
  type Row = { order: number; record?: T; entry?: IndexEntry };
  const rows: Row[] = live.filter(keep).map((r) => ({ order: order(r), record: r }));
  let stale = false;
  if (archived) {
    for (const entry of archivedNewestFirst(
      stateDir,
      kind,
      new Set(live.map((r) => r.id)),
      scanned ? scanArchive(stateDir, kind) : undefined,
    )) {
      // A filter the index cannot answer reads every archived record (rare: a page of one agent's tasks).
      const record = filtered ? readEntry<T>(stateDir, kind, entry) : undefined;
      if (filtered && !record) stale = true;
      if (!filtered || (record && keep(record)))
        rows.push({ order: entry.order, ...(record ? { record } : { entry }) });
    }
  }
  rows.sort((a, b) => b.order - a.order);
  const read = rows
    .slice((page - 1) * perPage, page * perPage)
    .map((r) => r.record ?? readEntry<T>(stateDir, kind, r.entry!));
  if (!scanned && (stale || read.includes(undefined)))
    return historyPage(stateDir, kind, live, order, archived, page, perPage, keep, filtered, true);
  const items = read.filter((r): r is Awaited<T> => r !== undefined) as T[];
  return { items, page, pages: Math.max(1, Math.ceil(rows.length / perPage)), total: rows.length };
}

/** One page of every run of the session, newest first: the live store's and the archive's. */
export function runPage(
  data: StoreData,
  stateDir: string,
  page: number,
  perPage: number,
): { runs: RunRecord[]; page: number; pages: number; total: number } {
  const { items, ...rest } = historyPage(
    stateDir,
    'runs',
    Object.values(data.runs ?? {}),
    (r) => Date.parse(r.created_at) || 0,
    Boolean(data.archive?.runs?.count),
    page,
    perPage,
  );
  return { runs: items, ...rest };
}

/** One page of every task of the session (or of one agent), newest first: the live store's and the archive's. */
export function taskPage(
  data: StoreData,
  stateDir: string,
  page: number,
  perPage: number,
  agent?: string,
): { tasks: TaskRecord[]; page: number; pages: number; total: number } {
  const mine = (t: TaskRecord): boolean => !agent || t.agent === agent || t.target.agent === agent;
  const { items, ...rest } = historyPage(
    stateDir,
    'tasks',
    Object.values(data.tasks ?? {}),
    (t) => t.seq,
    Boolean(data.archive?.tasks?.count),
    page,
    perPage,
    mine,
    Boolean(agent),
  );
  return { tasks: items, ...rest };
}

/**
 * Waits until check(store) returns a value (re-checked on every store write: the recorder replaces
 * store.json by rename, so the directory is watched) or the timeout passes (undefined).
 */
export function waitForStore<T>(
  stateDir: string,
  check: (data: StoreData) => T | undefined,
  timeoutMs: number,
): Promise<T | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const watcher = watch(stateDir, () => look());
    // A safety net for file systems whose events get lost; the watcher does the real work.
    const slow = setInterval(() => look(), 1000);
    // setTimeout takes at most 2^31-1 ms (~24.8 days); longer is no limit.
    const timer =
      Number.isFinite(timeoutMs) && timeoutMs <= 2 ** 31 - 1 ? setTimeout(() => end(undefined), timeoutMs) : undefined;
    function end(value: T | undefined): void {
      if (settled) return;
      settled = true;
      watcher.close();
      clearInterval(slow);
      if (timer) clearTimeout(timer);
      resolve(value);
    }
    function look(): void {
      if (settled) return;
      let data: StoreData;
      try {
        data = readStore(stateDir);
      } catch {
        return;
      }
      const value = check(data);
      if (value !== undefined) end(value);
    }
    look();
  });
}

/** Waits for a task to finish; undefined on timeout. A task never taken in by the recorder counts as waiting. */
export function waitForTask(stateDir: string, taskId: string, timeoutMs: number): Promise<TaskRecord | undefined> {
  // A task that finished and moved to the archive between two looks is read there (only when the archive grew).
  let archivedSeen = -1;
  return waitForStore(
    stateDir,
    (data) => {
      const task = own(data.tasks, taskId);
      if (task) return isFinal(task) ? wholeTask(stateDir, task) : undefined;
      const archived = data.archive?.tasks?.count ?? 0;
      if (archived === archivedSeen || !archived) return undefined;
      archivedSeen = archived;
      return findArchived<TaskRecord>(stateDir, 'tasks', taskId).find((t) => t.id === taskId);
    },
    timeoutMs,
  );
}
