// Budgets: caps in USD for the session, each agent, each task and each workflow run. Spend is what
// the store records (agents' costs from their transcripts; a running task's cost is its agent's
// cost since the task started). At 80% a cap warns in every view; at the cap no new task starts in
// its scope (the queued ones say why), and a running task over its own cap is interrupted and
// failed. Pure functions of the store data; the recorder applies them in its pass.
import type { AgentRecord, BudgetCaps, StoreData, TaskRecord } from '../store/types.js';
import { formatUsd } from '../core/looks.js';
import { own } from '../util/own.js';

/** A cap warns from this share of it on. */
export const WARN_AT = 0.8;

export interface BudgetLine {
  /** session, agent:NAME, run:ID or task:ID */
  scope: string;
  spent: number;
  cap: number;
  state: 'ok' | 'warn' | 'over';
}

const round = (n: number): number => Math.round(n * 1e6) / 1e6;
const caps = (data: StoreData): BudgetCaps => data.fleet?.budget ?? {};
const isOpen = (t: TaskRecord): boolean => t.state === 'queued' || t.state === 'delivering' || t.state === 'running';

/** What a task has cost so far: its turns' cost, or (without prompt ids) its agent's cost since it started while it runs. */
export function liveCost(data: StoreData, task: TaskRecord): number {
  const agent = task.agent ? data.agents[task.agent] : undefined;
  if (task.state === 'running' && agent && task.cost_start !== undefined && !task.prompt_costs)
    return round(agent.cost_usd - task.cost_start);
  return task.cost_usd ?? 0;
}

export const sessionSpent = (data: StoreData): number =>
  round(Object.values(data.agents).reduce((s, a) => s + (a.cost_usd || 0), 0));

/** A run's spend: every try of every one of its tasks. */
export function runSpent(data: StoreData, runId: string): number {
  const run = data.runs?.[runId];
  if (!run) return 0;
  const tries = Object.values(run.tasks).flatMap((t) => t.tries);
  return round(tries.reduce((s, id) => s + (data.tasks?.[id] ? liveCost(data, data.tasks[id]!) : 0), 0));
}

export const agentCap = (data: StoreData, agent: string): number | null =>
  own(caps(data).agents, agent) ?? caps(data).agent_usd ?? null;
export const runCap = (data: StoreData, run: string): number | null =>
  own(caps(data).runs, run) ?? caps(data).run_usd ?? null;
export const taskCap = (data: StoreData, task: TaskRecord): number | null =>
  task.budget_usd ?? caps(data).task_usd ?? null;

const line = (scope: string, spent: number, cap: number): BudgetLine => ({
  scope,
  spent,
  cap,
  state: spent >= cap ? 'over' : spent >= cap * WARN_AT ? 'warn' : 'ok',
});

/** Every cap in force and its spend: the session, each agent, each run that has one, each open task that has one. */
export function budgetLines(data: StoreData): BudgetLine[] {
  const out: BudgetLine[] = [];
  const c = caps(data);
  if (c.session_usd) out.push(line('session', sessionSpent(data), c.session_usd));
  for (const a of Object.values(data.agents)) {
    const cap = agentCap(data, a.name);
    if (cap) out.push(line(`agent:${a.name}`, round(a.cost_usd || 0), cap));
  }
  for (const run of Object.values(data.runs ?? {})) {
    const cap = runCap(data, run.id);
    if (cap && (run.state === 'running' || c.runs?.[run.id]))
      out.push(line(`run:${run.id}`, runSpent(data, run.id), cap));
  }
  for (const t of Object.values(data.tasks ?? {})) {
    const cap = taskCap(data, t);
    if (cap && isOpen(t)) out.push(line(`task:${t.id}`, liveCost(data, t), cap));
  }
  return out;
}

/** A budget line in words: "session: $4.1000 of $5.0000 (82%)". */
export const budgetText = (l: BudgetLine): string =>
  `${l.scope}: ${formatUsd(l.spent)} of ${formatUsd(l.cap)} (${Math.round((l.spent / l.cap) * 100)}%)${l.state === 'over' ? ', reached' : ''}`;

/** The lines at 80% or more, for the views. */
export const budgetWarnings = (data: StoreData): string[] =>
  budgetLines(data)
    .filter((l) => l.state !== 'ok')
    .map(budgetText);

const raise = (scope: string): string => `orchestrate budget set ${scope} USD raises it`;

/** Why no new task may start for this agent (and this task's run) now, or null. */
export function budgetBlock(data: StoreData, task: TaskRecord, agent: AgentRecord): string | null {
  const c = caps(data);
  if (c.session_usd && sessionSpent(data) >= c.session_usd)
    return `the session's budget is reached (${formatUsd(sessionSpent(data))} of ${formatUsd(c.session_usd)}); ${raise('session')}`;
  const cap = agentCap(data, agent.name);
  if (cap && (agent.cost_usd || 0) >= cap)
    return `${agent.name}'s budget is reached (${formatUsd(agent.cost_usd)} of ${formatUsd(cap)}); ${raise(`agent:${agent.name}`)}`;
  if (task.run) {
    const rc = runCap(data, task.run);
    if (rc && runSpent(data, task.run) >= rc)
      return `run ${task.run}'s budget is reached (${formatUsd(runSpent(data, task.run))} of ${formatUsd(rc)}); ${raise(`run:${task.run}`)}`;
  }
  return null;
}

/** A running task past its own cap: the reason it fails, or null. */
export function overOwnCap(data: StoreData, task: TaskRecord): string | null {
  const cap = taskCap(data, task);
  if (!cap || task.state !== 'running') return null;
  const spent = liveCost(data, task);
  return spent > cap
    ? `over its budget: ${formatUsd(spent)} spent, its cap is ${formatUsd(cap)} (${task.budget_usd !== undefined ? 'dispatch --budget' : 'budget.task_usd'})`
    : null;
}

/** Whether spend must be known within a turn (a cap is set), so usage is read after each tool too. */
export const budgetsActive = (data: StoreData): boolean => {
  const c = caps(data);
  return Boolean(
    c.session_usd ||
      c.agent_usd ||
      c.task_usd ||
      c.run_usd ||
      Object.keys(c.agents ?? {}).length ||
      Object.keys(c.runs ?? {}).length ||
      Object.values(data.tasks ?? {}).some((t) => t.budget_usd !== undefined && isOpen(t)),
  );
};

/** Sets (or with null removes) a cap: SCOPE session, agent:NAME, run:ID, task (every task), agent (every agent), run (every run). */
export function setCap(data: StoreData, scope: string, usd: number | null): string {
  data.fleet ??= {};
  data.fleet.budget ??= {};
  const c = data.fleet.budget;
  const [kind, name] = scope.includes(':')
    ? [scope.slice(0, scope.indexOf(':')), scope.slice(scope.indexOf(':') + 1)]
    : [scope, undefined];
  const text = usd === null ? 'removed' : formatUsd(usd);
  if (kind === 'session' && !name) c.session_usd = usd;
  else if (kind === 'task' && !name) c.task_usd = usd;
  else if (kind === 'agent' && !name) c.agent_usd = usd;
  else if (kind === 'run' && !name) c.run_usd = usd;
  else if (kind === 'agent' && name && own(data.agents, name)) {
    c.agents ??= {};
    if (usd === null) delete c.agents[name];
    else c.agents[name] = usd;
  } else if (kind === 'run' && name && own(data.runs, name)) {
    c.runs ??= {};
    if (usd === null) delete c.runs[name];
    else c.runs[name] = usd;
  } else if (kind === 'task' && name && own(data.tasks, name)) {
    if (usd === null) delete data.tasks![name]!.budget_usd;
    else data.tasks![name]!.budget_usd = usd;
  } else return `budget: unknown scope ${JSON.stringify(scope)}`;
  return `budget ${scope}: ${text}`;
}

/** Checks a scope given on the command line; returns an error or null. */
export function scopeProblem(data: StoreData, scope: string): string | null {
  if (['session', 'task', 'agent', 'run'].includes(scope)) return null;
  const m = /^(agent|run|task):(.+)$/.exec(scope);
  if (!m)
    return `${JSON.stringify(scope)} is not a budget scope (expected session, task, agent, run, agent:NAME, run:ID or task:ID)`;
  const [, kind, name] = m;
  if (kind === 'agent' && !own(data.agents, name!))
    return `no agent named "${name}": agent:NAME wants one of this session's agents (${Object.keys(data.agents)
      .map((a) => `agent:${a}`)
      .join(', ')}), or agent for every agent's cap`;
  if (kind === 'run' && !own(data.runs, name!))
    return `no run "${name}" in this session: run:ID wants a run's whole id (orchestrate runs lists them), or run for every run's cap`;
  if (kind === 'task' && !own(data.tasks, name!))
    return `no task "${name}" in this session: task:ID wants an open task's whole id (orchestrate tasks lists them), or task for every task's cap`;
  return null;
}
