// The inbox: how processes other than the recorder ask for a change to the store. A submitter
// writes one request file (temp file + rename, so the recorder never sees half a request); the
// recorder, the store's only writer, takes every request in name order, applies it and deletes
// the file after the store is written. Requests carry their own ids, so one applied twice (a
// recorder killed between writing the store and deleting the file) is recognised and skipped.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { TaskTarget } from '../store/types.js';
import { inboxDir, inboxRequestFile } from '../store/paths.js';

/** Give a prompt to an agent (by name, role or any). */
export interface DispatchRequest {
  kind: 'dispatch';
  id: string;
  at: string;
  prompt: string;
  target: TaskTarget;
  run?: string;
  run_task?: string;
  by?: string;
  budget_usd?: number;
}
/** Cancel a task: dropped from the queue, or interrupted when running. */
export interface CancelRequest {
  kind: 'cancel';
  id: string;
  at: string;
  task: string;
}
/** Start a workflow run (the recorder schedules its tasks). */
export interface RunRequest {
  kind: 'run';
  id: string;
  at: string;
  workflow: unknown;
  budget_usd?: number;
}
/** Set (or with usd null remove) a budget cap: `orchestrate budget set SCOPE USD`. */
export interface BudgetRequest {
  kind: 'budget';
  id: string;
  at: string;
  scope: string;
  usd: number | null;
}
/** Resume a workflow run that was stopped. */
export interface ResumeRunRequest {
  kind: 'resume-run';
  id: string;
  at: string;
  run: string;
}

/** Add an allow rule to an agent's policy for this session (approve --always). */
export interface PolicyRequest {
  kind: 'policy';
  id: string;
  at: string;
  agent: string;
  allow: string;
}

export type InboxRequest =
  | DispatchRequest
  | CancelRequest
  | RunRequest
  | ResumeRunRequest
  | BudgetRequest
  | PolicyRequest;

/** A new id that sorts by creation time: `<prefix>-<ms base36>-<random>`. */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36).padStart(9, '0')}-${randomBytes(4).toString('hex')}`;
}

let submitted = 0;

/** Writes a request for the recorder; returns the request's file name. */
export function submit(stateDir: string, request: InboxRequest): string {
  // Named by time, then this process's count: the recorder takes requests in the order they were
  // made (exactly so for one process's requests, even several in one millisecond).
  const name = `${Date.now().toString(36).padStart(9, '0')}-${String(submitted++).padStart(8, '0')}-${request.id}.json`;
  writeFileAtomic(inboxRequestFile(stateDir, name), JSON.stringify(request));
  return name;
}

export interface TakenRequest {
  file: string;
  request: InboxRequest | null;
  error?: string;
}

/** Every complete request waiting in the inbox, oldest first (unreadable ones have request null). */
export function pending(stateDir: string): TakenRequest[] {
  const dir = inboxDir(stateDir);
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => n.endsWith('.json') && !n.startsWith('.'))
      .sort();
  } catch {
    return [];
  }
  return names.map((name) => {
    const file = join(dir, name);
    try {
      return { file, request: JSON.parse(readFileSync(file, 'utf8')) as InboxRequest };
    } catch (error) {
      return { file, request: null, error: (error as Error).message };
    }
  });
}

/** Removes requests once the store that applied them is written. */
export function done(taken: TakenRequest[]): void {
  for (const t of taken) rmSync(t.file, { force: true });
}
