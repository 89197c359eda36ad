// Workflow runs as pure changes to the store data, applied by the recorder (the store's only
// writer) in the same pass as tasks: a run is a small state machine per workflow task, and each
// try of a task is an ordinary store task. Because every step is recorded before anything is
// delivered, a recorder killed mid-run picks the run up from the store: no try is started twice.
import type { StoreData } from '../store/types.js';
import { isFinal, newTask } from '../tasks/tasks.js';
import { newId, type ResumeRunRequest, type RunRequest } from '../inbox/inbox.js';
import { renderPrompt } from './load.js';
import type { RunRecord, RunTaskRecord, WorkflowSpec } from './types.js';

const iso = (ms: number): string => new Date(ms).toISOString();
const FINAL_RUN_TASK = new Set(['done', 'failed', 'skipped', 'cancelled']);

/** Records a new run (its tasks start on the next advance). */
export function startRun(data: StoreData, request: RunRequest, now: number): string {
  data.runs ??= {};
  const runs = data.runs;
  if (Object.hasOwn(runs, request.id)) return `run ${request.id} already taken in`;
  const spec = request.workflow as WorkflowSpec;
  const tasks = Object.fromEntries(
    spec.tasks.map((t): [string, RunTaskRecord] => [
      t.name,
      {
        name: t.name,
        state: 'waiting',
        needs: t.needs,
        target: t.target,
        tries: [],
        agent: null,
        started_at: null,
        ended_at: null,
        result: null,
        error: null,
        cost_usd: 0,
      },
    ]),
  );
  runs[request.id] = {
    id: request.id,
    name: spec.name,
    file: spec.file,
    state: 'running',
    created_at: request.at ?? iso(now),
    ended_at: null,
    spec,
    tasks,
  };
  if (request.budget_usd !== undefined) {
    data.fleet ??= {};
    data.fleet.budget ??= {};
    data.fleet.budget.runs = { ...data.fleet.budget.runs, [request.id]: request.budget_usd };
  }
  return `run ${request.id} of workflow ${spec.name} started (${spec.tasks.length} tasks)`;
}

/** Puts a finished run's failed, skipped and cancelled tasks back to waiting; done ones stay done. */
export function resumeRun(
  data: StoreData,
  request: ResumeRunRequest,
  archived: (id: string) => RunRecord | undefined = () => undefined,
): string {
  let run = data.runs && Object.hasOwn(data.runs, request.run) ? data.runs[request.run] : undefined;
  // A run that moved to the archive comes back to the live store to run again.
  if (!run) {
    run = archived(request.run);
    if (run) {
      data.runs ??= {};
      data.runs[run.id] = run;
    }
  }
  if (!run) return `resume: no run ${request.run}`;
  if (run.resumes?.some((r) => r.id === request.id)) return `resume ${request.id} of run ${run.id} already taken in`;
  run.resumes = [...(run.resumes ?? []), { id: request.id, at: request.at ?? new Date().toISOString() }];
  let again = 0;
  for (const task of Object.values(run.tasks)) {
    if (task.state === 'failed' || task.state === 'skipped' || task.state === 'cancelled') {
      task.state = 'waiting';
      task.error = null;
      task.ended_at = null;
      task.tries = [];
      again++;
    }
  }
  run.state = 'running';
  run.ended_at = null;
  return `run ${run.id} resumed: ${again} task(s) to run again`;
}

/** Moves every running run forward as far as it goes now. Returns log lines (empty: no change). */
export function advanceRuns(data: StoreData, now: number): string[] {
  const log: string[] = [];
  for (const run of Object.values(data.runs ?? {})) {
    if (run.state !== 'running') continue;
    // Repeat: a task finishing can unlock others in the same pass.
    for (let changed = true; changed; ) {
      changed = false;
      for (const task of Object.values(run.tasks)) {
        const line = step(data, run, task, now);
        if (line) {
          log.push(line);
          changed = true;
        }
      }
    }
    const tasks = Object.values(run.tasks);
    if (tasks.every((t) => FINAL_RUN_TASK.has(t.state))) {
      run.state = tasks.every((t) => t.state === 'done')
        ? 'done'
        : tasks.some((t) => t.state === 'failed' || t.state === 'skipped')
          ? 'failed'
          : 'cancelled';
      run.ended_at = iso(now);
      log.push(`run ${run.id} ${run.state}`);
    }
  }
  return log;
}

function step(data: StoreData, run: RunRecord, task: RunTaskRecord, now: number): string | undefined {
  const spec = run.spec.tasks.find((t) => t.name === task.name);
  if (!spec) return undefined;
  if (task.state === 'waiting') {
    const needs = task.needs.map((n) => run.tasks[n]);
    const blocked = needs.find((n) => n && n.state !== 'done' && FINAL_RUN_TASK.has(n.state));
    if (blocked) {
      task.state = 'skipped';
      task.error = `${blocked.name} ${blocked.state}`;
      task.ended_at = iso(now);
      return `run ${run.id}: ${task.name} skipped (${task.error})`;
    }
    if (!needs.every((n) => n?.state === 'done')) return undefined;
    return startTry(data, run, task, now);
  }
  if (task.state !== 'queued' && task.state !== 'running') return undefined;
  const current = data.tasks?.[task.tries.at(-1) ?? ''];
  if (!current) return undefined;
  if (!isFinal(current)) {
    if (current.state === 'running' && task.state !== 'running') {
      task.state = 'running';
      task.agent = current.agent;
      task.started_at ??= current.started_at;
      return `run ${run.id}: ${task.name} running on ${current.agent}`;
    }
    return undefined;
  }
  task.cost_usd = Math.round((task.cost_usd + current.cost_usd) * 1e6) / 1e6;
  task.agent = current.agent;
  if (current.state === 'done') {
    task.result = current.result;
    if (spec.merge) {
      // Done once its work is merged: the recorder merges it (src/workflow/merges.ts) and records the outcome.
      task.state = 'merging';
      return `run ${run.id}: ${task.name} done on ${current.agent}; merging its branch`;
    }
    task.state = 'done';
    task.ended_at = current.ended_at ?? iso(now);
    return `run ${run.id}: ${task.name} done`;
  }
  if (current.state === 'cancelled') {
    task.state = 'cancelled';
    task.error = current.error;
    task.ended_at = iso(now);
    return `run ${run.id}: ${task.name} cancelled`;
  }
  if (task.tries.length <= spec.retries) return startTry(data, run, task, now, current.error);
  task.state = 'failed';
  task.error = current.error;
  task.ended_at = iso(now);
  return `run ${run.id}: ${task.name} failed after ${task.tries.length} tr${task.tries.length === 1 ? 'y' : 'ies'}: ${current.error ?? ''}`;
}

function startTry(data: StoreData, run: RunRecord, task: RunTaskRecord, now: number, after?: string | null): string {
  const spec = run.spec.tasks.find((t) => t.name === task.name)!;
  const results = Object.fromEntries(
    Object.values(run.tasks).map((t) => [t.name, { result: t.result, agent: t.agent }]),
  );
  const created = newTask(data, {
    id: newId('t'),
    target: spec.target,
    prompt: renderPrompt(spec.prompt, results),
    created_at: iso(now),
    run: run.id,
    run_task: task.name,
    by: `run ${run.id}`,
    ...(spec.timeout_s ? { timeout_s: spec.timeout_s } : {}),
  });
  task.tries.push(created.id);
  task.state = 'queued';
  return `run ${run.id}: ${task.name} queued as ${created.id}${after ? ` (try ${task.tries.length}, after: ${after})` : ''}`;
}

/** Run tasks whose work is to be merged now (merge: true, their try done). */
export function mergesDue(data: StoreData): { run: string; task: string; agent: string | null }[] {
  return Object.values(data.runs ?? {})
    .filter((r) => r.state === 'running')
    .flatMap((r) =>
      Object.values(r.tasks)
        .filter((t) => t.state === 'merging')
        .map((t) => ({ run: r.id, task: t.name, agent: t.agent })),
    );
}

/** Records how a merge of a run task went: done, or failed with why (the run moves on at the next advance). */
export function mergeDone(
  data: StoreData,
  runId: string,
  taskName: string,
  outcome: { ok: boolean; text: string },
  now: number,
): void {
  const task = data.runs?.[runId]?.tasks[taskName];
  if (task?.state !== 'merging') return;
  task.state = outcome.ok ? 'done' : 'failed';
  task.ended_at = iso(now);
  if (outcome.ok) task.result = `${task.result ?? ''}\n\n[merge: ${outcome.text}]`.trim();
  else task.error = outcome.text;
}
