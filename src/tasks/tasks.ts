// Tasks as pure changes to the store data: taking requests from the inbox, choosing which queued
// task goes to which idle agent, and following each task through the agent's neutral events. The
// recorder applies these inside one store write and only then performs the returned effects
// (pasting a prompt, interrupting an agent): a recorder killed between the two finds the task
// "delivering" and either sees its turn start (turn-started) or retries it, so no task is lost or run twice.
import type { AgentRecord, StoreData, TaskRecord, TaskTarget } from '../store/types.js';
import type { InboxRequest } from '../inbox/inbox.js';
import { EXIT_EVENTS, type AgentEvent } from '../core/events.js';
import {
  cancel,
  complete,
  confirm,
  cutShort,
  cutShortPending,
  fail,
  isFinal,
  markInterrupting,
  newTask,
  retryDelivery,
  startDelivery,
} from './lifecycle.js';
import { limitAllows, startProbe } from '../fleet/limits.js';
import { budgetBlock, overOwnCap } from '../fleet/budget.js';
import { RETRY_NOTE } from '../drivers/claude/retry.js';
import { transportOf } from '../drivers/transport.js';

export { isFinal, newTask, openTasks } from './lifecycle.js';

/** What the recorder must do after the store is written. */
export type TaskEffect =
  | { kind: 'deliver'; task: string; agent: string; attempt: number }
  | { kind: 'resubmit'; task: string; agent: string; attempt: number }
  | { kind: 'interrupt'; task: string; agent: string };

/** Delivery attempts before a task fails as unconfirmed. */
export const MAX_ATTEMPTS = 3;

const submitted = (prompt: string): string => prompt.replace(/\r\n?/g, '\n').trimEnd();

/** Whether a submitted prompt is this task's: its prompt as the agent's transport delivered it, or after a limit, the note. */
function isTaskPrompt(task: TaskRecord, agent: AgentRecord, prompt: string): boolean {
  if (task.limited?.length && submitted(prompt) === RETRY_NOTE) return true;
  return transportOf(agent).isSubmissionOf(prompt, task.prompt);
}

const tasksOf = (data: StoreData): Record<string, TaskRecord> => (data.tasks ??= {});
const iso = (ms: number): string => new Date(ms).toISOString();

/** Applies one inbox request. Returns a line for the log. */
export function intake(data: StoreData, request: InboxRequest, now: number): string {
  const tasks = tasksOf(data);
  switch (request.kind) {
    case 'dispatch': {
      if (Object.hasOwn(tasks, request.id)) return `task ${request.id} already taken in`;
      const task = newTask(data, {
        id: request.id,
        target: request.target,
        prompt: request.prompt,
        created_at: request.at ?? iso(now),
        run: request.run ?? null,
        run_task: request.run_task ?? null,
        ...(request.by ? { by: request.by } : {}),
        ...(request.budget_usd !== undefined ? { budget_usd: request.budget_usd } : {}),
      });
      const problem = targetProblem(data, request.target);
      if (problem) fail(data, task, now, problem);
      const named = request.target.agent;
      return `task ${task.id} ${task.state}${named ? ` for ${named}` : request.target.role ? ` for role ${request.target.role}` : ' for any agent'}${problem ? `: ${problem}` : ''}`;
    }
    case 'cancel': {
      const task = Object.hasOwn(tasks, request.task) ? tasks[request.task] : undefined;
      if (!task) return `cancel: no task ${request.task}`;
      if (isFinal(task)) return `cancel: task ${task.id} already ${task.state}`;
      if (task.state === 'queued') {
        cancel(data, task, iso(now), 'cancelled before delivery');
        return `task ${task.id} cancelled (was queued)`;
      }
      task.cancel_requested = true;
      return `task ${task.id} cancel requested (${task.state})`;
    }
    default:
      return `request ${request.kind} is not a task request`;
  }
}

/** Why no agent can ever take this target, or null. */
export function targetProblem(data: StoreData, target: TaskTarget): string | null {
  const agents = Object.values(data.agents);
  if (target.agent)
    return Object.hasOwn(data.agents, target.agent)
      ? null
      : `no agent named "${target.agent}" (agents: ${agents.map((a) => a.name).join(', ')})`;
  const candidates = agents.filter((a) => matches(a, target));
  if (candidates.length) return null;
  return target.role
    ? `no agent with role "${target.role}"${target.not ? ` other than ${target.not}` : ''}`
    : 'no agent to run it';
}

function matches(agent: AgentRecord, target: TaskTarget): boolean {
  if (target.agent) return agent.name === target.agent;
  if (target.not && agent.name === target.not) return false;
  return target.role ? agent.role === target.role : true;
}

/** An agent can take a task when its prompt is ready and nothing of ours is on it. */
const ready = (agent: AgentRecord): boolean =>
  (agent.status === 'idle' || agent.status === 'error' || agent.status === 'limited') &&
  !agent.task_id &&
  !agent.interrupting &&
  !setupFailed(agent);

/** Its worktree's setup failed: claude never started, and it takes nothing until a restart. */
export const setupFailed = (agent: AgentRecord): boolean => agent.worktree?.setup === 'failed';

/**
 * Hands queued tasks to ready agents (oldest first; a named task waits for its agent), retries
 * deliveries that were not confirmed in time, and turns cancel requests and timeouts into
 * interrupts. A lost session (its tmux server gone) delivers nothing until it is resumed.
 */
export function schedule(data: StoreData, now: number): { effects: TaskEffect[]; changed: boolean } {
  const effects: TaskEffect[] = [];
  let changed = false;
  if (data.session?.lost_at) return { effects, changed };
  const tasks = Object.values(tasksOf(data))
    .filter((t) => !isFinal(t))
    .sort((a, b) => a.seq - b.seq);
  // Tasks on their agents first: an agent being interrupted in this pass takes nothing new.
  for (const task of tasks.filter((t) => t.state !== 'queued')) {
    const agent = task.agent ? data.agents[task.agent] : undefined;
    if (!agent) continue;
    const over = overOwnCap(data, task);
    if (over) {
      fail(data, task, now, over, agent);
      markInterrupting(agent, task.id);
      effects.push({ kind: 'interrupt', task: task.id, agent: agent.name });
      continue;
    }
    if (task.cancel_requested || timedOut(task, now)) {
      if (task.cancel_requested) cancel(data, task, iso(now), `cancelled while ${task.state}`);
      else fail(data, task, now, `timed out after ${task.timeout_s} s`, agent);
      // Until its turn is stopped (the recorder does it before its next pass, or after a restart).
      markInterrupting(agent, task.id);
      effects.push({ kind: 'interrupt', task: task.id, agent: agent.name });
      continue;
    }
    const transport = transportOf(agent);
    if (
      task.state === 'delivering' &&
      now - Date.parse(task.delivered_at ?? iso(now)) >
        transport.confirmWithinMs(task.prompt, task.attempts >= MAX_ATTEMPTS)
    ) {
      if (!transport.retries || task.attempts >= MAX_ATTEMPTS) {
        changed = true;
        fail(
          data,
          task,
          now,
          `not confirmed: ${agent.name} never reported this prompt as submitted after ${task.attempts} attempt(s) (agent ${agent.status}${agent.reason ? `: ${agent.reason}` : ''}); attach to its pane to look`,
        );
        continue;
      }
      retryDelivery(task, now);
      effects.push({ kind: 'resubmit', task: task.id, agent: agent.name, attempt: task.attempts });
    }
  }
  // Agents at work now, for the busy caps (max_busy, max_busy_per_role).
  const working = new Set(
    Object.values(data.agents)
      .filter((a) => a.task_id || a.status === 'busy')
      .map((a) => a.name),
  );
  const fleet = data.fleet;
  const busyBlock = (a: AgentRecord): string | null => {
    if (working.has(a.name)) return null;
    if (fleet?.max_busy && working.size >= fleet.max_busy)
      return `max_busy: ${fleet.max_busy} agents are working already`;
    const roleCap = fleet?.max_busy_per_role?.[a.role];
    if (roleCap && [...working].filter((n) => data.agents[n]?.role === a.role).length >= roleCap)
      return `max_busy_per_role: ${roleCap} agents of role ${a.role} are working already`;
    return null;
  };
  const wait = (task: TaskRecord, why: string | null): void => {
    if ((task.waiting ?? null) !== why) {
      task.waiting = why;
      changed = true;
    }
  };
  for (const task of tasks.filter((t) => t.state === 'queued')) {
    if (failIfNobodyCanTake(data, task, now)) {
      changed = true;
      continue;
    }
    // Under a limit, nothing goes to an agent of that account until its time passed, and then to one
    // agent first; a task sent back by a limit goes to the same agent (its conversation).
    // Budgets and busy caps hold a task back, saying why.
    const held = (a: AgentRecord): string | null => budgetBlock(data, task, a) ?? busyBlock(a);
    const free = (a: AgentRecord): boolean => ready(a) && limitAllows(data, a, now) && !held(a);
    const agent =
      task.resume_on && data.agents[task.resume_on]
        ? data.agents[task.resume_on]
        : task.target.agent
          ? data.agents[task.target.agent]
          : Object.values(data.agents).find((a) => matches(a, task.target) && free(a));
    const candidate = agent ?? Object.values(data.agents).find((a) => matches(a, task.target) && ready(a));
    wait(task, candidate ? held(candidate) : null);
    if (!agent || !free(agent)) continue;
    startProbe(data, agent);
    startDelivery(task, agent, now);
    task.waiting = null;
    working.add(agent.name);
    effects.push({ kind: 'deliver', task: task.id, agent: agent.name, attempt: 1 });
  }
  return { effects, changed: changed || effects.length > 0 };
}

/** Fails a queued task no agent can ever take: its agent exited for good or its worktree setup failed, or every agent of its role exited for good. Whether it did. */
function failIfNobodyCanTake(data: StoreData, task: TaskRecord, now: number): boolean {
  const named = task.target.agent ? data.agents[task.target.agent] : undefined;
  if (named && gone(named, now)) {
    // Its agent exited and did not come back (restart: on-failure would have restarted it by now).
    const what = cutShortPending(task)
      ? 'while it ran this task and did not come back'
      : 'before it could take this task';
    fail(
      data,
      task,
      now,
      `${named.name} exited (${named.reason ?? 'no reason recorded'}) ${what}; start it again (./start.mts --resume) and dispatch again`,
    );
    return true;
  }
  if (named && setupFailed(named)) {
    fail(data, task, now, `${named.name} cannot take tasks: ${named.reason ?? 'its worktree setup failed'}`);
    return true;
  }
  const candidates = named ? [] : Object.values(data.agents).filter((a) => matches(a, task.target));
  if (candidates.length && candidates.every((a) => gone(a, now))) {
    // A task for a role (or any agent) whose every agent exited and did not come back.
    fail(
      data,
      task,
      now,
      `every agent that could take it exited and did not come back (${candidates.map((a) => `${a.name}: ${a.reason ?? 'no reason recorded'}`).join('; ')}); start them again (./start.mts --resume) and dispatch again`,
    );
    return true;
  }
  return false;
}

/** Interrupts that a recorder killed before it finished them left behind: do them again. */
export function pendingInterrupts(data: StoreData): TaskEffect[] {
  return Object.values(data.agents)
    .filter((a) => a.interrupting)
    .map((a) => ({ kind: 'interrupt', task: a.interrupting!, agent: a.name }));
}

/** Follows an agent's neutral event (already applied to the agent record) into its task. */
export function taskOnEvent(data: StoreData, agentName: string, event: AgentEvent): string | undefined {
  const agent = data.agents[agentName];
  const task = agent?.task_id ? tasksOf(data)[agent.task_id] : undefined;
  if (!agent || !task) return undefined;
  const now = event.at;
  // The whole answer is the event's: the agent's record keeps only its start.
  const answer = event.answer ?? agent.last_result;
  switch (event.type) {
    case 'turn-started': {
      if (task.state !== 'delivering') return undefined;
      const prompt = event.prompt ?? '';
      // A prompt someone typed into the pane is not ours: keep waiting for ours.
      if (!isTaskPrompt(task, agent, prompt)) return undefined;
      confirm(task, agent, now, event.promptId);
      // Sent as the note, it is still the task the agent works on.
      if (submitted(prompt) === RETRY_NOTE) agent.task = task.prompt.slice(0, 2000);
      return `task ${task.id} running on ${agent.name} (attempt ${task.attempts})`;
    }
    case 'turn-ended':
    case 'task-process-exited':
      // (A headless run whose turn ended is finished already; one that died without it ends here.)
      if (task.state !== 'running') return undefined;
      if (agent.status === 'error') fail(data, task, now, agent.reason, agent);
      else complete(data, task, agent, now, answer);
      return `task ${task.id} ${task.state} on ${agent.name}`;
    case 'turn-failed':
      if (task.state !== 'running') return undefined;
      fail(data, task, now, agent.reason, agent, answer);
      return `task ${task.id} failed on ${agent.name}`;
    default: {
      if (!EXIT_EVENTS.has(event.type)) return undefined;
      const became = cutShort(data, task, iso(now), agent.reason ?? `${agent.name} exited`);
      return `task ${task.id} ${became === 'queued' ? 'cut short and queued again' : became} (${agent.name} exited: ${agent.reason ?? 'no reason'})`;
    }
  }
}

/** How long an exited agent may take to come back (a restart policy relaunches it within seconds). */
export const EXITED_GRACE_MS = 15_000;
/** An agent that exited and has not come back within the grace time. */
export const gone = (agent: AgentRecord, now: number): boolean =>
  agent.status === 'exited' && now - Date.parse(agent.updated_at) > EXITED_GRACE_MS;

/** A running task past its timeout. */
export function timedOut(task: TaskRecord, now: number): boolean {
  return Boolean(
    task.timeout_s &&
      task.state === 'running' &&
      task.started_at &&
      now - Date.parse(task.started_at) > task.timeout_s * 1000,
  );
}
