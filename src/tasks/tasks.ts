// Tasks as pure changes to the store data: taking requests from the inbox, choosing which queued
// task goes to which idle agent, and following each task through the agent's hook events. The
// recorder applies these inside one store write and only then performs the returned effects
// (pasting a prompt, interrupting an agent): a recorder killed between the two finds the task
// "delivering" and either sees its UserPromptSubmit or retries it, so no task is lost or run twice.
import type { AgentRecord, StoreData, TaskRecord, TaskTarget } from '../store/types.js';
import { FINAL_TASK_STATES } from '../store/types.js';
import type { InboxRequest } from '../inbox/inbox.js';
import type { StatusLine } from '../recorder/reduce.js';

/** What the recorder must do after the store is written. */
export type TaskEffect =
  | { kind: 'deliver'; task: string; agent: string; attempt: number }
  | { kind: 'resubmit'; task: string; agent: string; attempt: number }
  | { kind: 'interrupt'; task: string; agent: string };

/** Delivery attempts before a task fails as unconfirmed. */
export const MAX_ATTEMPTS = 3;

/** How long to wait for an interactive agent's UserPromptSubmit after an attempt. */
export function confirmWindowMs(agent: Pick<AgentRecord, 'mode'>, prompt: string, attempt: number): number {
  // A headless agent starts a whole `claude -p` first; a big paste takes Claude longer to take in.
  if (agent.mode === 'headless') return 60_000;
  const base = 4000 + Math.ceil(prompt.length / 10_000) * 1000;
  return attempt >= MAX_ATTEMPTS ? base * 4 : base;
}

export const isFinal = (task: Pick<TaskRecord, 'state'>): boolean => FINAL_TASK_STATES.includes(task.state);

/**
 * Claude Code's prompt box runs a line that starts with "!" as a shell command and one that starts
 * with "/" as a slash command ("/exit" quits). Such a prompt is sent with one leading space, which
 * keeps it a prompt (Claude passes the space on). Everything else is sent as it is.
 */
export function interactiveText(prompt: string): string {
  return /^[!/]/.test(prompt) ? ` ${prompt}` : prompt;
}

/**
 * The text an interactive agent's UserPromptSubmit reports for a prompt we pasted: Claude's box
 * turns each tab into four spaces, drops trailing white space and carriage returns.
 */
export function expectedSubmission(prompt: string, mode: AgentRecord['mode']): string {
  if (mode === 'headless') return prompt;
  return interactiveText(prompt).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').trimEnd();
}

const submitted = (prompt: string): string => prompt.replace(/\r\n?/g, '\n').trimEnd();

const tasksOf = (data: StoreData): Record<string, TaskRecord> => (data.tasks ??= {});
const iso = (ms: number): string => new Date(ms).toISOString();

/** Applies one inbox request. Returns a line for the log. */
export function intake(data: StoreData, request: InboxRequest, now: number): string {
  const tasks = tasksOf(data);
  switch (request.kind) {
    case 'dispatch': {
      if (tasks[request.id]) return `task ${request.id} already taken in`;
      const task = newTask(data, { id: request.id, target: request.target, prompt: request.prompt, created_at: request.at ?? iso(now), run: request.run ?? null, run_task: request.run_task ?? null, ...(request.by ? { by: request.by } : {}) });
      const problem = targetProblem(data, request.target);
      if (problem) finish(task, 'failed', now, problem);
      const named = request.target.agent;
      return `task ${task.id} ${task.state}${named ? ` for ${named}` : request.target.role ? ` for role ${request.target.role}` : ' for any agent'}${problem ? `: ${problem}` : ''}`;
    }
    case 'cancel': {
      const task = tasks[request.task];
      if (!task) return `cancel: no task ${request.task}`;
      if (isFinal(task)) return `cancel: task ${task.id} already ${task.state}`;
      if (task.state === 'queued') {
        finish(task, 'cancelled', now, 'cancelled before delivery');
        return `task ${task.id} cancelled (was queued)`;
      }
      task.cancel_requested = true;
      return `task ${task.id} cancel requested (${task.state})`;
    }
    default:
      return `request ${request.kind} is not a task request`;
  }
}

/** Adds a queued task to the store (the next seq) and returns it. */
export function newTask(data: StoreData, fields: Pick<TaskRecord, 'id' | 'target' | 'prompt' | 'created_at'> & Partial<TaskRecord>): TaskRecord {
  const seq = (data.task_seq ?? 0) + 1;
  data.task_seq = seq;
  const task: TaskRecord = {
    seq, agent: fields.target.agent ?? null, state: 'queued', delivered_at: null, started_at: null, ended_at: null,
    result: null, error: null, attempts: 0, cost_usd: 0, run: null, run_task: null, ...fields,
  };
  tasksOf(data)[task.id] = task;
  return task;
}

/** Why no agent can ever take this target, or null. */
export function targetProblem(data: StoreData, target: TaskTarget): string | null {
  const agents = Object.values(data.agents);
  if (target.agent) return data.agents[target.agent] ? null : `no agent named "${target.agent}" (agents: ${agents.map((a) => a.name).join(', ')})`;
  const candidates = agents.filter((a) => matches(a, target));
  if (candidates.length) return null;
  return target.role ? `no agent with role "${target.role}"${target.not ? ` other than ${target.not}` : ''}` : 'no agent to run it';
}

function matches(agent: AgentRecord, target: TaskTarget): boolean {
  if (target.agent) return agent.name === target.agent;
  if (target.not && agent.name === target.not) return false;
  return target.role ? agent.role === target.role : true;
}

/** An agent can take a task when its prompt is ready and nothing of ours is on it. */
const ready = (agent: AgentRecord): boolean => (agent.status === 'idle' || agent.status === 'error') && !agent.task_id;

function finish(task: TaskRecord, state: TaskRecord['state'], now: number, error: string | null = null): void {
  task.state = state;
  task.ended_at = iso(now);
  if (error !== null) task.error = error;
}

function release(data: StoreData, task: TaskRecord): void {
  const agent = task.agent ? data.agents[task.agent] : undefined;
  if (agent && agent.task_id === task.id) agent.task_id = null;
}

/**
 * Hands queued tasks to ready agents (oldest first; a named task waits for its agent), retries
 * deliveries that were not confirmed in time, and turns cancel requests into interrupts.
 */
export function schedule(data: StoreData, now: number): { effects: TaskEffect[]; changed: boolean } {
  const effects: TaskEffect[] = [];
  let changed = false;
  const tasks = Object.values(tasksOf(data)).filter((t) => !isFinal(t)).sort((a, b) => a.seq - b.seq);
  // An agent being interrupted in this pass takes nothing new until the interrupt is done (the
  // recorder performs it before its next pass).
  const interrupting = new Set<string>();
  for (const task of tasks) {
    if (task.agent && (task.cancel_requested || timedOut(task, now))) interrupting.add(task.agent);
  }
  for (const task of tasks) {
    if (task.state === 'queued') {
      const named = task.target.agent ? data.agents[task.target.agent] : undefined;
      if (named && gone(named, now)) {
        // Its agent exited and did not come back (restart: on-failure would have restarted it by now).
        finish(task, 'failed', now, `${named.name} exited (${named.reason ?? 'no reason recorded'}) before it could take this task; start it again (./start.mts --resume) and dispatch again`);
        changed = true;
        continue;
      }
      const agent = task.target.agent
        ? data.agents[task.target.agent]
        : Object.values(data.agents).find((a) => matches(a, task.target) && ready(a) && !interrupting.has(a.name));
      if (!agent || !ready(agent) || interrupting.has(agent.name)) continue;
      task.agent = agent.name;
      task.state = 'delivering';
      task.attempts = 1;
      task.delivered_at = iso(now);
      agent.task_id = task.id;
      effects.push({ kind: 'deliver', task: task.id, agent: agent.name, attempt: 1 });
      continue;
    }
    const agent = task.agent ? data.agents[task.agent] : undefined;
    if (!agent) continue;
    if (task.cancel_requested) {
      finish(task, 'cancelled', now, `cancelled while ${task.state}`);
      release(data, task);
      effects.push({ kind: 'interrupt', task: task.id, agent: agent.name });
      continue;
    }
    if (timedOut(task, now)) {
      finish(task, 'failed', now, `timed out after ${task.timeout_s} s`);
      release(data, task);
      effects.push({ kind: 'interrupt', task: task.id, agent: agent.name });
      continue;
    }
    if (task.state === 'delivering' && now - Date.parse(task.delivered_at ?? iso(now)) > confirmWindowMs(agent, task.prompt, task.attempts)) {
      if (agent.mode === 'headless' || task.attempts >= MAX_ATTEMPTS) {
        changed = true;
        finish(task, 'failed', now, `not confirmed: ${agent.name} never reported this prompt as submitted after ${task.attempts} attempt(s) (agent ${agent.status}${agent.reason ? `: ${agent.reason}` : ''}); attach to its pane to look`);
        release(data, task);
        continue;
      }
      task.attempts++;
      task.delivered_at = iso(now);
      effects.push({ kind: 'resubmit', task: task.id, agent: agent.name, attempt: task.attempts });
    }
  }
  return { effects, changed: changed || effects.length > 0 };
}

/** Follows an agent's hook event (already applied to the agent record) into its task. */
export function taskOnEvent(data: StoreData, agentName: string, line: StatusLine): string | undefined {
  const agent = data.agents[agentName];
  const task = agent?.task_id ? tasksOf(data)[agent.task_id] : undefined;
  if (!agent || !task) return undefined;
  const now = line.at;
  switch (line.event.hook_event_name) {
    case 'UserPromptSubmit': {
      if (task.state !== 'delivering') return undefined;
      const prompt = typeof line.event.prompt === 'string' ? line.event.prompt : '';
      // A prompt someone typed into the pane is not ours: keep waiting for ours.
      const mine = agent.mode === 'headless' ? prompt === task.prompt : submitted(prompt) === expectedSubmission(task.prompt, agent.mode);
      if (!mine) return undefined;
      task.state = 'running';
      task.started_at = iso(now);
      task.cost_start = agent.cost_usd;
      return `task ${task.id} running on ${agent.name} (attempt ${task.attempts})`;
    }
    case 'Stop':
    case 'HeadlessTaskExit':
      // (A headless run that ended with Stop is finished already; one that died without it ends here.)
      if (task.state !== 'running') return undefined;
      if (agent.status === 'error') {
        finish(task, 'failed', now, agent.reason);
      } else {
        finish(task, 'done', now);
        task.result = agent.last_result ?? '';
      }
      task.cost_usd = round(agent.cost_usd - (task.cost_start ?? agent.cost_usd));
      release(data, task);
      return `task ${task.id} ${task.state} on ${agent.name}`;
    case 'StopFailure':
      if (task.state !== 'running') return undefined;
      finish(task, 'failed', now, agent.reason);
      task.result = agent.last_result;
      task.cost_usd = round(agent.cost_usd - (task.cost_start ?? agent.cost_usd));
      release(data, task);
      return `task ${task.id} failed on ${agent.name}`;
    case 'SessionEnd':
    case 'ProcessExit':
    case 'PaneDied':
      finish(task, 'interrupted', now, `${agent.name} stopped while the task was ${task.state}: ${agent.reason ?? 'exited'}`);
      release(data, task);
      return `task ${task.id} interrupted (${agent.name} exited)`;
    default:
      return undefined;
  }
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;

/** How long an exited agent may take to come back (a restart policy relaunches it within seconds). */
export const EXITED_GRACE_MS = 15_000;
/** An agent that exited and has not come back within the grace time. */
export const gone = (agent: AgentRecord, now: number): boolean => agent.status === 'exited' && now - Date.parse(agent.updated_at) > EXITED_GRACE_MS;

/** A running task past its timeout. */
export function timedOut(task: TaskRecord, now: number): boolean {
  return Boolean(task.timeout_s && task.state === 'running' && task.started_at && now - Date.parse(task.started_at) > task.timeout_s * 1000);
}

/** Tasks of one agent that are not finished, in order. */
export function openTasks(data: StoreData, agent?: string): TaskRecord[] {
  return Object.values(data.tasks ?? {}).filter((t) => !isFinal(t) && (!agent || t.agent === agent)).sort((a, b) => a.seq - b.seq);
}
