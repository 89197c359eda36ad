// What the page is sent: a whitelisted, clipped view of the store (never the store itself, so
// paths to scripts, cursors and whatever is added to the store later stay on the server), split
// into sections so that a change re-sends only the sections it touched.
import { shownIn, type StoreData, type TaskRecord } from '../store/types.js';
import type { HandoverInfo } from '../handover/read.js';
import { conflictLines, worktreeLine, worktreeSummary } from '../worktrees/summary.js';
import { limitReason } from '../fleet/limits.js';
import { attachArgv } from '../session/attach.js';
import { pendingApprovals } from '../approvals/approvals.js';
import { quoteArgv } from '../util/shell-quote.js';
import { budgetWarnings } from '../fleet/budget.js';

const clip = (v: unknown, n: number): string | null => {
  if (v === null || v === undefined) return null;
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > n ? `${s.slice(0, n)}…` : s;
};
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null);

export interface AgentView {
  name: string;
  role: string;
  mode: string;
  status: string;
  reason: string | null;
  pane: string;
  task: string | null;
  task_id: string | null;
  busy_since: string | null;
  last_result: string | null;
  last_tool: string | null;
  cost_usd: number;
  session_id: string;
  model: string | null;
  turns: number;
  restarts: number;
  exit_code: number | null;
  updated_at: string;
  /** Its worktree in one line (branch, ahead/behind its base, files changed), or null without one. */
  worktree: string | null;
  /** Its block of ports, e.g. "20000-20009", or null. */
  ports: string | null;
  /** The command that shows its pane, zoomed, from any shell (also over SSH). */
  attach: string | null;
  /** The host it runs on (hosts: of the layout), or absent for this machine. */
  host?: string;
}

export interface TaskView {
  id: string;
  seq: number;
  agent: string | null;
  target: string;
  prompt: string;
  state: string;
  by: string | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  result: string | null;
  error: string | null;
  cost_usd: number;
  attempts: number;
  run: string | null;
  run_task: string | null;
}

export interface RunTaskView {
  id: string;
  state: string;
  agent: string | null;
  needs: string[];
  task: string | null;
}
export interface RunView {
  id: string;
  name: string;
  state: string;
  created_at: string | null;
  tasks: RunTaskView[];
}

/** The whole view; each key is a section sent (and re-sent on change) on its own. */
export interface View {
  session: {
    name: string;
    socket: string | null;
    created_at: string;
    ended_at: string | null;
    recorder_pid: number | null;
  } | null;
  agents: AgentView[];
  tasks: TaskView[];
  runs: RunView[];
  events: { at: string; agent: string; event: string; status: string; detail: string | null }[];
  handovers: HandoverInfo[];
  /** Conflicts between agents' work (or with their base), in words. */
  conflicts: string[];
  /** Limits in force and budgets at 80% or more, in words. */
  alerts: string[];
  /** Permission requests waiting for a decision. */
  approvals: { id: string; agent: string; summary: string; input: string; at: string }[];
  totals: { cost_usd: number; agents: number; by_status: Record<string, number>; tasks: Record<string, number> };
  /** Finished tasks in the archive (the page lists them from /api/tasks?page=N). */
  archived: number;
}

const MAX_TASKS = 200;
const MAX_EVENTS = 60;

function targetText(t: TaskRecord['target'] | undefined): string {
  if (!t) return '';
  if (t.agent) return t.agent;
  if (t.role) return `role ${t.role}`;
  return t.any ? 'any agent' : '';
}

/** A record per key or an array, as a list of [key, value]. */
const entries = (v: unknown): [string, unknown][] => {
  if (Array.isArray(v)) return v.map((x, i) => [String(i), x]);
  if (v && typeof v === 'object') return Object.entries(v);
  return [];
};

/**
 * Workflow runs, read tolerantly: `data.runs` may be a record or a list; a run's tasks too; a
 * task's dependencies are `needs` (or `depends_on`/`after`), its state `state` (or `status`, or
 * that of the store task it points at).
 */
export function runsView(data: StoreData): RunView[] {
  const tasks = data.tasks ?? {};
  return entries((data as { runs?: unknown }).runs)
    .slice(-50)
    .map(([key, value]): RunView => {
      const run = (value && typeof value === 'object' ? value : {}) as Record<string, unknown>;
      const id = str(run.id) ?? key;
      const workflow = run.workflow as Record<string, unknown> | string | undefined;
      const name = str(run.name) ?? (typeof workflow === 'string' ? workflow : str(workflow?.name)) ?? id;
      const runTasks = entries(run.tasks ?? run.steps)
        .slice(0, 200)
        .map(([tKey, tValue]): RunTaskView => {
          const t = (tValue && typeof tValue === 'object' ? tValue : {}) as Record<string, unknown>;
          const taskId = str(t.task) ?? str(t.task_id) ?? (Array.isArray(t.tries) ? str(t.tries.at(-1)) : null);
          const needs = [t.needs, t.depends_on, t.after].find(Array.isArray) as unknown[] | undefined;
          const stored = taskId ? tasks[taskId] : undefined;
          return {
            id: clip(str(t.id) ?? str(t.name) ?? tKey, 80)!,
            state: clip(str(t.state) ?? str(t.status) ?? stored?.state ?? 'pending', 40)!,
            agent: clip(str(t.agent) ?? stored?.agent ?? null, 80),
            needs: (needs ?? (typeof t.needs === 'string' ? [t.needs] : []))
              .map((n) => clip(String(n), 80)!)
              .slice(0, 50),
            task: taskId,
          };
        });
      return {
        id: clip(id, 80)!,
        name: clip(name, 120)!,
        state: clip(str(run.state) ?? str(run.status) ?? '', 40)!,
        created_at: str(run.created_at),
        tasks: runTasks,
      };
    });
}

/** A task as the page shows it (its long texts clipped). */
export function taskView(t: TaskRecord): TaskView {
  return {
    id: t.id,
    seq: num(t.seq),
    agent: t.agent,
    target: targetText(t.target),
    prompt: clip(t.prompt, 2000) ?? '',
    state: t.state,
    by: t.by ?? null,
    created_at: t.created_at,
    started_at: t.started_at,
    ended_at: t.ended_at,
    result: clip(t.result, 2000),
    error: clip(t.error, 600),
    cost_usd: num(t.cost_usd),
    attempts: num(t.attempts),
    run: t.run ?? null,
    run_task: t.run_task ?? null,
  };
}

/** Task counts by state, the archived ones included. */
function taskCounts(data: StoreData, live: readonly TaskRecord[]): Record<string, number> {
  const counts: Record<string, number> = { ...(data.archive?.tasks?.by_state ?? {}) };
  for (const t of live) counts[t.state] = (counts[t.state] ?? 0) + 1;
  return counts;
}

/** The view of a store (and the handovers listed beside it). */
export function buildView(data: StoreData, handovers: HandoverInfo[]): View {
  const agents = Object.values(data.agents ?? {}).map(
    (a): AgentView => ({
      name: a.name,
      role: a.role,
      mode: a.mode,
      status: a.status,
      reason: clip(a.reason, 600),
      pane: shownIn(a),
      ...(a.host ? { host: a.host } : {}),
      task: clip(a.task, 1000),
      task_id: a.task_id ?? null,
      busy_since: a.busy_since ?? null,
      last_result: clip(a.last_result, 4000),
      last_tool: a.last_tool ?? null,
      cost_usd: num(a.cost_usd),
      session_id: a.session_id,
      model: a.model ?? null,
      turns: num(a.turns),
      restarts: num(a.restarts),
      exit_code: a.exit_code ?? null,
      updated_at: a.updated_at,
      worktree: (() => {
        const w = worktreeSummary(data, a);
        return w ? clip(worktreeLine(w), 300) : null;
      })(),
      ports: a.ports?.length ? (a.ports.length === 1 ? String(a.ports[0]) : `${a.ports[0]}-${a.ports.at(-1)}`) : null,
      attach:
        data.session && !data.session.ended_at && a.pane
          ? quoteArgv(['tmux', ...attachArgv(data.session, shownIn(a), false)])
          : null,
    }),
  );
  const allTasks = Object.values(data.tasks ?? {});
  const tasks = allTasks
    .sort((a, b) => num(b.seq) - num(a.seq))
    .slice(0, MAX_TASKS)
    .map(taskView);
  const count = (values: string[]): Record<string, number> =>
    values.reduce<Record<string, number>>((acc, v) => {
      acc[v] = (acc[v] ?? 0) + 1;
      return acc;
    }, {});
  const s = data.session;
  return {
    archived: data.archive?.tasks?.count ?? 0,
    session: s
      ? {
          name: s.name,
          socket: s.socket,
          created_at: s.created_at,
          ended_at: s.ended_at,
          recorder_pid: data.recorder?.pid ?? null,
        }
      : null,
    agents,
    tasks,
    runs: runsView(data),
    events: (data.events ?? [])
      .slice(-MAX_EVENTS)
      .reverse()
      .map((e) => ({ at: e.at, agent: e.agent, event: e.event, status: e.status, detail: clip(e.detail, 300) })),
    handovers,
    conflicts: conflictLines(data)
      .slice(0, 50)
      .map((c) => clip(c, 1000)!),
    approvals: pendingApprovals(data)
      .slice(0, 50)
      .map((r) => ({
        id: r.id,
        agent: r.agent,
        summary: clip(r.summary, 300)!,
        input: clip(r.input, 2000)!,
        at: r.at,
      })),
    alerts: [
      ...Object.values(data.limits ?? {}).map((l) => `limit: ${limitReason(l, Date.now())}`),
      ...budgetWarnings(data).map((w) => `budget: ${w}`),
    ]
      .slice(0, 50)
      .map((a) => clip(a, 600)!),
    totals: {
      cost_usd: agents.reduce((sum, a) => sum + a.cost_usd, 0),
      agents: agents.length,
      by_status: count(agents.map((a) => a.status)),
      tasks: taskCounts(data, allTasks),
    },
  };
}

export type Section = keyof View;
export const SECTIONS: Section[] = [
  'session',
  'agents',
  'tasks',
  'runs',
  'events',
  'handovers',
  'conflicts',
  'alerts',
  'approvals',
  'totals',
  'archived',
];

/** Remembers what was last sent, section by section, and says which sections changed. */
export class ViewDiffer {
  private last = new Map<Section, string>();

  /** The sections of view that differ from the last call's (all of them the first time). */
  changed(view: View): Partial<View> {
    const out: Partial<Record<Section, unknown>> = {};
    for (const key of SECTIONS) {
      const json = JSON.stringify(view[key]);
      if (this.last.get(key) !== json) {
        this.last.set(key, json);
        out[key] = view[key];
      }
    }
    return out as Partial<View>;
  }
}
