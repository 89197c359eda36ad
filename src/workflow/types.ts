// A workflow: named tasks with prompts, dependencies and who runs them; and a run of one, as the
// recorder keeps it in the store.
import type { TaskTarget } from '../store/types.js';

/** One task of a workflow file, resolved. */
export interface WorkflowTaskSpec {
  name: string;
  prompt: string;
  needs: string[];
  target: TaskTarget;
  /** Seconds a try may run before it is interrupted and counts as failed (0: no limit). */
  timeout_s: number;
  /** Further tries after a failure. */
  retries: number;
}

/** A validated workflow, as sent to the recorder. */
export interface WorkflowSpec { name: string; file: string; description: string | null; tasks: WorkflowTaskSpec[] }

/** waiting: needs not done yet. skipped: a task it needs failed. */
export type RunTaskState = 'waiting' | 'queued' | 'running' | 'done' | 'failed' | 'skipped' | 'cancelled';
export type RunState = 'running' | 'done' | 'failed' | 'cancelled';

export interface RunTaskRecord {
  name: string;
  state: RunTaskState;
  needs: string[];
  target: TaskTarget;
  /** The store task of each try, oldest first. */
  tries: string[];
  agent: string | null;
  started_at: string | null;
  ended_at: string | null;
  result: string | null;
  error: string | null;
  cost_usd: number;
}

export interface RunRecord {
  id: string;
  name: string;
  file: string;
  state: RunState;
  created_at: string;
  ended_at: string | null;
  /** The workflow as submitted (prompts are rendered from it when a task's needs are done). */
  spec: WorkflowSpec;
  tasks: Record<string, RunTaskRecord>;
  /** Each `run --resume` taken in (the request's id), so that its submitter waits for that run. */
  resumes?: { id: string; at: string }[];
}
