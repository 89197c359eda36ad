// What stays in the live store: everything open, and a window of the newest finished tasks, runs
// and events. A task is written whole to the archive (src/store/archive.ts) as soon as it
// finishes, and its live copy keeps only the start of a long prompt and answer; past the window it
// leaves the live store. So the cost of a store write, and of every reader, does not grow with the
// session's history, nor with the length of its answers.
import { appendToArchive, archiveCounts, findArchived } from './archive.js';
import { clipText } from '../util/text.js';
import { FINAL_TASK_STATES, type EventRecord, type RunRecord, type StoreData, type TaskRecord } from './types.js';

/** How much finished history the live store keeps (ORCH_KEEP_FINISHED: tasks; runs and events follow from it). */
export interface Retention {
  tasks: number;
  runs: number;
  events: number;
}

/**
 * The window from ORCH_KEEP_FINISHED (tasks; default 50), runs a tenth of it (at least 5), events
 * twice it (at least 100; the dashboard shows 60).
 */
export function retentionFromEnv(env: NodeJS.ProcessEnv = process.env): Retention {
  const given = Number(env.ORCH_KEEP_FINISHED);
  const tasks = Number.isSafeInteger(given) && given > 0 ? given : 50;
  return { tasks, runs: Math.max(5, Math.ceil(tasks / 10)), events: Math.max(100, tasks * 2) };
}

/** How much of a finished task's prompt and answer its live copy keeps (characters). */
export const LIVE_TEXT = 300;

/** A quarter more than the window before a batch moves: most passes move nothing. */
const slack = (keep: number): number => Math.max(1, Math.ceil(keep / 4));

const isFinalTask = (t: TaskRecord): boolean => FINAL_TASK_STATES.includes(t.state);
const isFinalRun = (r: RunRecord): boolean => r.state !== 'running';

/** A live task as the archive must have it: a clipped one (archived before, changed since) with its whole texts from there. */
function wholeForArchive(stateDir: string, t: TaskRecord): Record<string, unknown> {
  const before = t.clipped ? findArchived<TaskRecord>(stateDir, 'tasks', t.id).find((a) => a.id === t.id) : undefined;
  return before
    ? { ...t, prompt: before.prompt, result: before.result, clipped: undefined, archived: true }
    : { ...t, archived: true };
}

/**
 * How long a finished task stays unarchived: its turn's last transcript lines come a moment after
 * its Stop and add to its cost, and the archive is better written once with it.
 */
export const ARCHIVE_AFTER_MS = 5000;

/** A finished task not (or, changed since, no longer) in the archive. */
export const unarchived = (t: TaskRecord): boolean => isFinalTask(t) && !t.archived;

/**
 * Writes every newly finished task whole to the archive (with now: those that ended ARCHIVE_AFTER_MS
 * ago, and those leaving the live store now), in one append, then keeps only the start of its long texts in the
 * live store. A task that changed after it was written (a turn's last lines came later still) is
 * written again. Returns how many were written.
 */
export function archiveFinished(
  data: StoreData,
  stateDir: string,
  now?: number,
  leaving: ReadonlySet<TaskRecord> = new Set(),
): number {
  // A long text is not kept whole in the live store (rewritten on every event) while the late cost
  // settles: such a task is archived at once, and again if its cost changes after.
  const long = (t: TaskRecord): boolean => t.prompt.length > LIVE_TEXT || (t.result?.length ?? 0) > LIVE_TEXT;
  const settled = (t: TaskRecord): boolean =>
    now === undefined || leaving.has(t) || !t.ended_at || long(t) || Date.parse(t.ended_at) <= now - ARCHIVE_AFTER_MS;
  const fresh = Object.values(data.tasks ?? {}).filter((t) => unarchived(t) && settled(t));
  if (!fresh.length) return 0;
  appendToArchive(
    data,
    stateDir,
    'tasks',
    fresh.map((t) => wholeForArchive(stateDir, t)),
  );
  for (const t of fresh) {
    t.archived = true;
    const prompt = clipText(t.prompt, LIVE_TEXT);
    const result = clipText(t.result, LIVE_TEXT);
    if (prompt !== t.prompt || result !== t.result) Object.assign(t, { prompt, result, clipped: true });
  }
  return fresh.length;
}

function countMoved(
  data: StoreData,
  kind: 'tasks' | 'runs' | 'events',
  records: readonly (TaskRecord | RunRecord | EventRecord)[],
): void {
  const counts = archiveCounts(data, kind);
  counts.count += records.length;
  if (kind === 'events') return;
  counts.by_state ??= {};
  for (const r of records as (TaskRecord | RunRecord)[]) counts.by_state[r.state] = (counts.by_state[r.state] ?? 0) + 1;
  if (kind === 'tasks')
    counts.cost_usd =
      Math.round(
        ((counts.cost_usd ?? 0) + (records as TaskRecord[]).reduce((s, t) => s + (t.cost_usd || 0), 0)) * 1e6,
      ) / 1e6;
}

/**
 * Moves finished history beyond the window out of the live store (what is not in the archive yet
 * is written there first). Tasks of a run still going, and an agent's current task, stay. Returns
 * what moved (empty: nothing).
 */
export function archiveHistory(
  data: StoreData,
  stateDir: string,
  keep: Retention = retentionFromEnv(),
  now = Date.now(),
): string[] {
  const moved: string[] = [];
  const tasks = data.tasks ?? {};
  const runs = data.runs ?? {};
  const current = new Set(
    Object.values(data.agents)
      .map((a) => a.task_id)
      .filter(Boolean),
  );
  const finishedTasks = Object.values(tasks).filter(
    (t) => isFinalTask(t) && !current.has(t.id) && !(t.run && runs[t.run] && !isFinalRun(runs[t.run]!)),
  );
  if (finishedTasks.length > keep.tasks + slack(keep.tasks)) {
    const old = finishedTasks.sort((a, b) => a.seq - b.seq).slice(0, finishedTasks.length - keep.tasks);
    // What leaves is written now; what stays, once its time came.
    archiveFinished(data, stateDir, now, new Set(old));
    countMoved(data, 'tasks', old);
    for (const t of old) delete tasks[t.id];
    moved.push(`${old.length} finished task(s)`);
  }
  const finishedRuns = Object.values(runs).filter(isFinalRun);
  if (finishedRuns.length > keep.runs + slack(keep.runs)) {
    const old = finishedRuns
      .sort((a, b) => (a.ended_at ?? a.created_at).localeCompare(b.ended_at ?? b.created_at))
      .slice(0, finishedRuns.length - keep.runs);
    appendToArchive(data, stateDir, 'runs', old as unknown as Record<string, unknown>[]);
    countMoved(data, 'runs', old);
    for (const r of old) delete runs[r.id];
    moved.push(`${old.length} finished run(s)`);
  }
  const events = data.events ?? [];
  if (events.length > keep.events + slack(keep.events)) {
    const old: EventRecord[] = events.splice(0, events.length - keep.events);
    appendToArchive(data, stateDir, 'events', old as unknown as Record<string, unknown>[]);
    countMoved(data, 'events', old);
    moved.push(`${old.length} event(s)`);
  }
  return moved;
}
