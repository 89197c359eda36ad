// The submitter's side of tasks, shared by the CLI, the lead's MCP server and the dashboard: ask
// the recorder for a task (an inbox request) and follow it in the store until it is finished.
import { watch } from 'node:fs';
import { alive } from '../util/pid.js';
import { readStore } from '../store/state-dir.js';
import { OrchestratorError } from '../core/errors.js';
import { newId, submit } from '../inbox/inbox.js';
import type { StoreData, TaskRecord, TaskTarget } from '../store/types.js';
import { isFinal, targetProblem } from './tasks.js';

/** Whether the session can take requests now: a recorded, not ended session whose recorder runs. */
export function assertLive(data: StoreData, stateDir: string): void {
  if (!data.session) throw new OrchestratorError(`no session recorded in ${stateDir}: start one with ./start.mts --state ${stateDir}`, 2);
  if (data.session.ended_at) throw new OrchestratorError(`session "${data.session.name}" ended at ${data.session.ended_at}; start it again with ./start.mts`);
  const pid = data.recorder?.pid;
  if (!pid || !alive(pid)) {
    throw new OrchestratorError(`the recorder of session "${data.session.name}" is not running, so nothing would deliver the task. Is the session up? (tmux${data.session.socket ? ` -L ${data.session.socket}` : ''} ls; ./start.mts --resume brings it back)`);
  }
}

/** Submits a task; returns its id. Throws when the target can never take it or nobody records it. */
export function dispatchTask(stateDir: string, prompt: string, target: TaskTarget, extra: { run?: string; run_task?: string; by?: string; budget_usd?: number } = {}): string {
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
  const task = findTask(data, taskId);
  if (isFinal(task)) throw new OrchestratorError(`task ${task.id} is already ${task.state}`);
  assertLive(data, stateDir);
  submit(stateDir, { kind: 'cancel', id: newId('c'), at: new Date().toISOString(), task: task.id });
}

/** A task by id or unique id prefix. */
export function findTask(data: StoreData, id: string): TaskRecord {
  const tasks = data.tasks ?? {};
  if (tasks[id]) return tasks[id];
  const found = Object.values(tasks).filter((t) => t.id.startsWith(id) || t.id.endsWith(id));
  if (found.length === 1) return found[0]!;
  throw new OrchestratorError(found.length ? `"${id}" matches ${found.length} tasks; give more of the id` : `no task "${id}" in this session (orchestrate tasks lists them)`);
}

/**
 * Waits until check(store) returns a value (re-checked on every store write: the recorder replaces
 * store.json by rename, so the directory is watched) or the timeout passes (undefined).
 */
export function waitForStore<T>(stateDir: string, check: (data: StoreData) => T | undefined, timeoutMs: number): Promise<T | undefined> {
  return new Promise((resolve) => {
    let settled = false;
    const watcher = watch(stateDir, () => look());
    // A safety net for file systems whose events get lost; the watcher does the real work.
    const slow = setInterval(() => look(), 1000);
    // setTimeout takes at most 2^31-1 ms (~24.8 days); longer is no limit.
    const timer = Number.isFinite(timeoutMs) && timeoutMs <= 2 ** 31 - 1 ? setTimeout(() => end(undefined), timeoutMs) : undefined;
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
      try { data = readStore(stateDir); } catch { return; }
      const value = check(data);
      if (value !== undefined) end(value);
    }
    look();
  });
}

/** Waits for a task to finish; undefined on timeout. A task never taken in by the recorder counts as waiting. */
export function waitForTask(stateDir: string, taskId: string, timeoutMs: number): Promise<TaskRecord | undefined> {
  return waitForStore(stateDir, (data) => {
    const task = data.tasks?.[taskId];
    return task && isFinal(task) ? task : undefined;
  }, timeoutMs);
}
