// Workflow loading: read with positions -> schema -> defaults -> graph rules (unknown tasks, cycles
// named as a -> b -> a, placeholders only for tasks that are needed) -> agents of the session.
// Every problem is reported at once as file:line:col path: what is wrong (what would be right).
import { basename, extname, relative, resolve } from 'node:path';
import { check, unique, type Issue } from '../config/schema.js';
import { offsetAt, readSource, type Problem } from '../config/source.js';
import { closest } from '../config/suggest.js';
import { TASK_NAME, workflowSchema } from './schema.js';
import type { WorkflowSpec, WorkflowTaskSpec } from './types.js';
import type { TaskTarget } from '../store/types.js';

type Raw = Record<string, unknown>;
type Path = (string | number)[];

/** {{ tasks.NAME.FIELD }} */
export const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const REFERENCE = /^tasks\.([A-Za-z][\w-]*)\.(result|agent)$/;

export interface WorkflowLoadResult {
  workflow?: WorkflowSpec;
  problems: Problem[];
}

/** The session's agents, to check names and roles against (omit to skip that check). */
export interface AgentRef {
  name: string;
  role: string;
  worktree?: boolean;
}

export function loadWorkflow(file: string, agents?: AgentRef[]): WorkflowLoadResult {
  const abs = resolve(file);
  const label = relative(process.cwd(), abs).startsWith('..') ? abs : relative(process.cwd(), abs) || abs;
  const source = readSource(abs, label);
  if (source.problems.length) return { problems: source.problems };
  const issues: Issue[] = [];
  const raw = check(workflowSchema, source.doc.contents as never, '', 0, issues) as Raw | undefined;
  const problem = (path: Path, message: string): void => {
    issues.push({
      offset: offsetAt(source.doc, path),
      path: path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), ''),
      message,
    });
  };
  const workflow = raw && issues.length === 0 ? resolveWorkflow(raw, abs, agents, problem) : undefined;
  const problems = unique(issues)
    .sort((a, b) => a.offset - b.offset)
    .map(source.place);
  return problems.length ? { problems } : { workflow, problems };
}

function resolveWorkflow(
  raw: Raw,
  file: string,
  agents: AgentRef[] | undefined,
  problem: (path: Path, message: string) => void,
): WorkflowSpec {
  const defaults = (raw.defaults as Raw | undefined) ?? {};
  const rawTasks = raw.tasks as Record<string, Raw>;
  const names = Object.keys(rawTasks);
  if (!names.length) problem(['tasks'], 'has no tasks (expected at least one task)');
  const tasks: WorkflowTaskSpec[] = names.map((name) => {
    const t = rawTasks[name]!;
    const at = (...rest: Path): Path => ['tasks', name, ...rest];
    if (!TASK_NAME.test(name))
      problem(at(), `${JSON.stringify(name)} is not a task name (expected a letter, then letters, digits, "_" or "-")`);
    const target: TaskTarget = {};
    if (t.agent !== undefined && t.role !== undefined)
      problem(at('role'), 'has both "agent" and "role" (a task names one agent or one role)');
    const agent = (t.agent ?? (t.role === undefined ? defaults.agent : undefined)) as string | undefined;
    const role = (t.role ?? (t.agent === undefined ? defaults.role : undefined)) as string | undefined;
    if (agent !== undefined) target.agent = agent;
    else if (role !== undefined) target.role = role;
    else problem(at(), 'says neither "agent" nor "role" (expected one of them here or in defaults)');
    if (agents && agent !== undefined && !agents.some((a) => a.name === agent)) {
      const guess = closest(
        agent,
        agents.map((a) => a.name),
      );
      problem(
        t.agent !== undefined ? at('agent') : ['defaults', 'agent'],
        `no agent named ${JSON.stringify(agent)} in this session (${guess ? `did you mean ${JSON.stringify(guess)}? ` : ''}agents: ${agents.map((a) => a.name).join(', ')})`,
      );
    }
    if (agents && agent === undefined && role !== undefined && !agents.some((a) => a.role === role)) {
      const roles = [...new Set(agents.map((a) => a.role))];
      const guess = closest(role, roles);
      problem(
        t.role !== undefined ? at('role') : ['defaults', 'role'],
        `no agent has role ${JSON.stringify(role)} in this session (${guess ? `did you mean ${JSON.stringify(guess)}? ` : ''}roles: ${roles.join(', ')})`,
      );
    }
    if (t.merge === true && agents) {
      const could = agents.filter((a) => (agent !== undefined ? a.name === agent : a.role === role));
      const without = could.filter((a) => !a.worktree).map((a) => a.name);
      if (could.length && without.length)
        problem(
          at('merge'),
          `merge: true needs agents with their own worktree, and ${without.join(', ')} ${without.length === 1 ? 'has' : 'have'} none (expected worktree: true for ${without.length === 1 ? 'it' : 'them'} in the layout)`,
        );
    }
    const needs = (t.needs as string[] | undefined) ?? [];
    needs.forEach((need, i) => {
      if (need === name) problem(at('needs', i), `task ${JSON.stringify(name)} needs itself (expected other tasks)`);
      else if (!names.includes(need)) {
        const guess = closest(need, names);
        problem(
          at('needs', i),
          `unknown task ${JSON.stringify(need)} (${guess ? `did you mean ${JSON.stringify(guess)}? ` : ''}tasks: ${names.join(', ')})`,
        );
      }
    });
    if (new Set(needs).size !== needs.length) problem(at('needs'), 'names a task twice');
    return {
      name,
      prompt: t.prompt as string,
      needs,
      target,
      timeout_s: (t.timeout ?? defaults.timeout ?? 0) as number,
      retries: (t.retries ?? defaults.retries ?? 0) as number,
      ...(t.merge === true ? { merge: true } : {}),
    };
  });

  const byName = new Map(tasks.map((t) => [t.name, t]));
  const cycle = findCycle(tasks);
  if (cycle)
    problem(
      ['tasks', cycle[0]!, 'needs'],
      `the tasks' needs form a cycle: ${cycle.join(' -> ')} (expected a graph without cycles)`,
    );
  else {
    for (const task of tasks) {
      const placeholders = [...task.prompt.matchAll(PLACEHOLDER)];
      if (!placeholders.length) continue;
      const upstream = ancestors(task.name, byName);
      for (const [, expr] of placeholders) {
        const ref = REFERENCE.exec(expr ?? '');
        if (!ref)
          problem(
            ['tasks', task.name, 'prompt'],
            `unknown placeholder {{ ${expr} }} (expected {{ tasks.NAME.result }} or {{ tasks.NAME.agent }})`,
          );
        else if (!upstream.has(ref[1]!)) {
          problem(
            ['tasks', task.name, 'prompt'],
            `{{ ${expr} }} uses task ${JSON.stringify(ref[1])}, which ${byName.has(ref[1]!) ? 'this task does not need' : 'does not exist'} (expected a task listed in needs, directly or through another task)`,
          );
        }
      }
    }
  }
  const name = (raw.name as string | undefined) ?? basename(file, extname(file));
  return { name, file, description: (raw.description as string | undefined) ?? null, tasks };
}

/**
 * A cycle as names (first repeated at the end), or undefined. Iterative (a chain of thousands of
 * tasks must not exhaust the stack); a task that needs itself is reported on its own, not here.
 */
export function findCycle(tasks: Pick<WorkflowTaskSpec, 'name' | 'needs'>[]): string[] | undefined {
  const needs = new Map(tasks.map((t) => [t.name, t.needs.filter((n) => n !== t.name)]));
  const state = new Map<string, 'open' | 'closed'>();
  for (const t of tasks) {
    if (state.has(t.name)) continue;
    // Depth-first with an explicit stack of [task, index of the next need to follow].
    const path: string[] = [t.name];
    const next: number[] = [0];
    state.set(t.name, 'open');
    while (path.length) {
      const name = path.at(-1)!;
      const list = needs.get(name) ?? [];
      const i = next.at(-1)!;
      if (i >= list.length) {
        state.set(name, 'closed');
        path.pop();
        next.pop();
        continue;
      }
      next[next.length - 1] = i + 1;
      const need = list[i]!;
      if (!needs.has(need) || state.get(need) === 'closed') continue;
      if (state.get(need) === 'open') return [...path.slice(path.indexOf(need)), need];
      state.set(need, 'open');
      path.push(need);
      next.push(0);
    }
  }
  return undefined;
}

/** Every task that name needs, directly or through others (iterative, as findCycle). */
function ancestors(name: string, byName: Map<string, WorkflowTaskSpec>): Set<string> {
  const seen = new Set<string>();
  const todo = [name];
  while (todo.length) {
    for (const need of byName.get(todo.pop()!)?.needs ?? []) {
      if (seen.has(need)) continue;
      seen.add(need);
      todo.push(need);
    }
  }
  return seen;
}

/** A task's prompt with the results of the tasks it needs filled in. */
export function renderPrompt(
  prompt: string,
  results: Record<string, { result: string | null; agent: string | null }>,
): string {
  return prompt.replace(PLACEHOLDER, (whole, expr: string) => {
    const ref = REFERENCE.exec(expr);
    const done = ref ? results[ref[1]!] : undefined;
    if (!ref || !done) return whole;
    return (ref[2] === 'agent' ? done.agent : done.result) ?? '';
  });
}
