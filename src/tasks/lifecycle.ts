// Every change of a task's state, and nothing else: queued -> delivering -> running -> done |
// failed, with cancelled, interrupted (final) and "cut short" (back to queued under the same id)
// on the side. The recorder, recovery and `session end` all change tasks through these, so a
// rule about how a task ends is written once.
import type { AgentRecord, StoreData, TaskRecord } from '../store/types.js';
import { FINAL_TASK_STATES } from '../store/types.js';

/** How often a task may be cut short (its agent or session died under it) before it fails. */
export const MAX_INTERRUPTIONS = 3;

const iso = (ms: number): string => new Date(ms).toISOString();
const round = (n: number): number => Math.round(n * 1e6) / 1e6;
const tasksOf = (data: StoreData): Record<string, TaskRecord> => (data.tasks ??= {});

export const isFinal = (task: Pick<TaskRecord, 'state'>): boolean => FINAL_TASK_STATES.includes(task.state);

/** Adds a queued task to the store (the next seq) and returns it. */
export function newTask(
  data: StoreData,
  fields: Pick<TaskRecord, 'id' | 'target' | 'prompt' | 'created_at'> & Partial<TaskRecord>,
): TaskRecord {
  const seq = (data.task_seq ?? 0) + 1;
  data.task_seq = seq;
  const task: TaskRecord = {
    seq,
    agent: fields.target.agent ?? null,
    state: 'queued',
    delivered_at: null,
    started_at: null,
    ended_at: null,
    result: null,
    error: null,
    attempts: 0,
    cost_usd: 0,
    run: null,
    run_task: null,
    ...fields,
  };
  tasksOf(data)[task.id] = task;
  return task;
}

/** The agent no longer holds the task. */
export function release(data: StoreData, task: TaskRecord): void {
  const agent = task.agent ? data.agents[task.agent] : undefined;
  if (agent && agent.task_id === task.id) agent.task_id = null;
}

function end(data: StoreData, task: TaskRecord, state: TaskRecord['state'], at: string, error: string | null): void {
  task.state = state;
  task.ended_at = at;
  if (error !== null) task.error = error;
  release(data, task);
}

/** queued -> delivering: the agent holds the task from now on. */
export function startDelivery(task: TaskRecord, agent: AgentRecord, now: number): void {
  task.agent = agent.name;
  task.state = 'delivering';
  task.attempts = 1;
  task.delivered_at = iso(now);
  agent.task_id = task.id;
}

/** One more delivery attempt of a task not confirmed in time. */
export function retryDelivery(task: TaskRecord, now: number): void {
  task.attempts++;
  task.delivered_at = iso(now);
}

/** How many times a delivery may find its agent still in a turn (about 4 s each) before it counts as an attempt again. */
export const MAX_TURN_WAITS = 150;

/**
 * A retry that found the agent still in a turn (Claude queues a prompt pasted meanwhile and takes
 * it after that turn): the attempt does not count, the confirmation window starts again. Returns
 * false when it has waited too long already (the attempt then counts).
 */
export function waitForTurn(task: TaskRecord, now: number): boolean {
  if ((task.turn_waits ?? 0) >= MAX_TURN_WAITS) return false;
  task.turn_waits = (task.turn_waits ?? 0) + 1;
  task.attempts = Math.max(1, task.attempts - 1);
  task.delivered_at = iso(now);
  return true;
}

/** delivering -> running: the agent's UserPromptSubmit reported the prompt (with its prompt_id, when Claude gives one). */
export function confirm(task: TaskRecord, agent: AgentRecord, now: number, promptId?: string): void {
  task.state = 'running';
  task.started_at = iso(now);
  task.cost_start = agent.cost_usd;
  if (promptId) task.prompt_costs = { ...task.prompt_costs, [promptId]: 0 };
}

/** Its cost: its turns' (kept up to date from the transcript), or without prompt ids, its agent's since it started. */
const costOf = (task: TaskRecord, agent: AgentRecord | undefined): number =>
  task.prompt_costs
    ? task.cost_usd
    : agent
      ? round(agent.cost_usd - (task.cost_start ?? agent.cost_usd))
      : task.cost_usd;

/**
 * Its turns' costs as the transcript says now; whether they changed. A turn's last lines come after
 * its Stop: what a finished task gains that way reaches its workflow run's task (which took its
 * cost when it finished), and the archive (written again with it).
 */
export function setTurnCosts(data: StoreData, task: TaskRecord, costs: ReadonlyMap<string, number>): boolean {
  const turns = task.prompt_costs;
  if (!turns || ![...costs].some(([id, usd]) => turns[id] !== undefined && turns[id] !== round(usd))) return false;
  for (const [id, usd] of costs) if (turns[id] !== undefined) turns[id] = round(usd);
  const before = task.cost_usd;
  task.cost_usd = round(Object.values(turns).reduce((s, usd) => s + usd, 0));
  if (!isFinal(task)) return true;
  const runTask = task.run && task.run_task ? data.runs?.[task.run]?.tasks[task.run_task] : undefined;
  if (runTask && (runTask.tries.at(-1) !== task.id || (runTask.state !== 'queued' && runTask.state !== 'running')))
    runTask.cost_usd = round(runTask.cost_usd + task.cost_usd - before);
  task.archived = false;
  return true;
}

/** running -> done, with the agent's last answer (whole, from its Stop event) as the result. */
export function complete(
  data: StoreData,
  task: TaskRecord,
  agent: AgentRecord,
  now: number,
  answer = agent.last_result,
): void {
  task.result = answer ?? '';
  task.cost_usd = costOf(task, agent);
  end(data, task, 'done', iso(now), null);
}

/** -> failed, with the reason (and, when its agent ran it, the cost and last answer). */
export function fail(
  data: StoreData,
  task: TaskRecord,
  now: number,
  error: string | null,
  agent?: AgentRecord,
  result?: string | null,
): void {
  if (agent && task.state === 'running') task.cost_usd = costOf(task, agent);
  if (result !== undefined) task.result = result;
  end(data, task, 'failed', iso(now), error);
}

/** -> cancelled. */
export function cancel(data: StoreData, task: TaskRecord, at: string, error: string): void {
  end(data, task, 'cancelled', at, error);
}

/** -> interrupted (final): cut short and not run again (on_recover: report, a session ended). */
export function interrupt(data: StoreData, task: TaskRecord, at: string, error: string): void {
  end(data, task, 'interrupted', at, error);
}

/**
 * A task whose agent or session died under it (delivering or running) goes back to the head of its
 * queue under the same id, so whoever waits for it gets its result and a workflow spends no retry;
 * the interruption is noted. One asked to be cancelled ends cancelled; one cut short too often fails.
 * Returns what became of it.
 */
export function cutShort(
  data: StoreData,
  task: TaskRecord,
  at: string,
  reason: string,
): 'queued' | 'cancelled' | 'failed' {
  const was = task.state;
  if (was !== 'delivering' && was !== 'running') return task.state as 'queued';
  const why = `${reason} while it was ${was}${task.agent ? ` on ${task.agent}` : ''}`;
  if (task.cancel_requested) {
    cancel(data, task, at, `cancel asked for; ${why}`);
    return 'cancelled';
  }
  task.interruptions = [...(task.interruptions ?? []), { at, reason: why }];
  if (task.interruptions.length >= MAX_INTERRUPTIONS) {
    end(data, task, 'failed', at, `cut short ${task.interruptions.length} times, not run again (last: ${why})`);
    return 'failed';
  }
  release(data, task);
  Object.assign(task, {
    state: 'queued',
    agent: task.target.agent ?? null,
    delivered_at: null,
    started_at: null,
    attempts: 0,
  });
  delete task.cost_start;
  return 'queued';
}

/** A task cut short and not delivered again since: the last interruption is still pending. */
export const cutShortPending = (task: TaskRecord): boolean =>
  task.state === 'queued' && task.attempts === 0 && Boolean(task.interruptions?.length);

/** The agent was sent an interrupt for this task; it takes nothing new until that is done. */
export function markInterrupting(agent: AgentRecord, taskId: string): void {
  agent.interrupting = taskId;
}

/** The interrupt sent for a cancelled or timed-out task is done (or given up). */
export function interruptDone(agent: AgentRecord, taskId: string): void {
  if (agent.interrupting === taskId) agent.interrupting = null;
}

/**
 * Ends every unfinished task of a session that ends or is given up: queued ones are cancelled,
 * ones being delivered or running are interrupted. Returns "<id> <state>" per task.
 */
export function closeOpen(data: StoreData, at: string, why: string): string[] {
  const closed: string[] = [];
  for (const task of Object.values(data.tasks ?? {})) {
    if (isFinal(task)) continue;
    if (cutShortPending(task))
      interrupt(data, task, at, `${why} while it waited to run again (${task.interruptions!.at(-1)!.reason})`);
    else if (task.state === 'queued') cancel(data, task, at, `${why} before it was delivered`);
    else interrupt(data, task, at, `${why} while it was ${task.state}`);
    closed.push(`${task.id} ${task.state}`);
  }
  for (const agent of Object.values(data.agents)) {
    agent.task_id = null;
    agent.interrupting = null;
  }
  return closed;
}

/** Tasks not finished, in order (of one agent when given). */
export function openTasks(data: StoreData, agent?: string): TaskRecord[] {
  return Object.values(data.tasks ?? {})
    .filter((t) => !isFinal(t) && (!agent || t.agent === agent))
    .sort((a, b) => a.seq - b.seq);
}
