// Task commands: dispatch, wait, result, tasks, cancel. They only read the store and write inbox
// requests; the recorder delivers and records (see src/tasks/).
import { readFileSync } from 'node:fs';
import chalk from 'chalk';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { OrchestratorError, UsageError } from '../../core/errors.js';
import { cancelTask, dispatchTask, findTask, taskPage, waitForStore, waitForTask } from '../../tasks/client.js';
import { isFinal } from '../../tasks/tasks.js';
import type { StoreData, TaskRecord, TaskTarget } from '../../store/types.js';
import { oneLine } from '../../util/text.js';
import { liveness, lostLine } from '../../session/liveness.js';
import { formatUsd } from '../../core/looks.js';

export const dispatchUsage = `Usage: orchestrate dispatch AGENT PROMPT [--wait] [--timeout S] [--json] [--state DIR]
       orchestrate dispatch --role ROLE PROMPT [...]   the first idle agent of ROLE
       orchestrate dispatch --any PROMPT [...]         the first idle agent (not the caller)
PROMPT "-" reads the prompt from stdin; put "--" before a prompt that starts with "-".
A busy agent's tasks wait in a queue (first in, first out).
--wait prints the agent's answer: exit 0 when done, 1 when the task failed, 124 on --timeout.
--budget USD caps what this task may cost: past it, it is interrupted and fails.`;

const waitUsage = 'Usage: orchestrate wait TASK|AGENT [--timeout S] [--json] [--state DIR]';
const resultUsage = 'Usage: orchestrate result TASK [--json] [--state DIR]';
const tasksUsage = `Usage: orchestrate tasks [--agent NAME] [--page N] [--per-page N] [--json] [--state DIR]
Without --page: the live store's tasks (open ones and the newest finished). --page pages through
every task of the session, newest first, the archived ones too.`;
const cancelUsage = 'Usage: orchestrate cancel TASK [--state DIR]';

/** Says on stderr when the session is lost: its open tasks wait for ./start.mts --resume. */
async function noteIfLost(data: StoreData, stateDir: string): Promise<void> {
  const line = lostLine(await liveness(data, stateDir));
  if (line) process.stderr.write(`${line}\n`);
}

/** Exit code of a finished task: done 0, anything else 1. */
const exitOf = (task: TaskRecord): number => (task.state === 'done' ? 0 : 1);
export const TIMEOUT_EXIT = 124;

/** An amount in USD given on the command line (greater than 0); a usage error otherwise. */
export function usdOf(value: string, flag: string): number {
  const usd = Number(value.replace(/^\$/, ''));
  if (!Number.isFinite(usd) || usd <= 0)
    throw new UsageError(`${flag} wants an amount in USD greater than 0, e.g. 0.50, not ${JSON.stringify(value)}`);
  return usd;
}

/** --timeout S as milliseconds (Infinity when not given); a usage error when it is not a positive number. */
export function timeoutMs(value: string | undefined): number {
  if (value === undefined) return Infinity;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0)
    throw new UsageError(`--timeout wants a number of seconds greater than 0, not ${JSON.stringify(value)}`);
  return s * 1000;
}

function readPrompt(arg: string | undefined, usage: string): string {
  if (arg === undefined) throw new UsageError(`missing PROMPT\n\n${usage}`);
  return arg === '-' ? readFileSync(0, 'utf8') : arg;
}

/** Prints a finished task: its answer (or the reason it failed) and returns the exit code. */
function report(task: TaskRecord, json: boolean): number {
  if (json) process.stdout.write(`${JSON.stringify(task, null, 2)}\n`);
  else if (task.state === 'done') process.stdout.write(`${task.result ?? ''}\n`);
  else
    process.stderr.write(
      `task ${task.id} ${task.state}${task.agent ? ` on ${task.agent}` : ''}: ${task.error ?? 'no reason recorded'}\n`,
    );
  return exitOf(task);
}

function timedOut(task: TaskRecord | undefined, id: string, json: boolean): number {
  const state = task?.state ?? 'not yet taken in';
  if (json) process.stdout.write(`${JSON.stringify({ id, state, timed_out: true })}\n`);
  process.stderr.write(`timed out waiting for task ${id} (${state}); it goes on: orchestrate wait ${id}\n`);
  return TIMEOUT_EXIT;
}

export async function dispatchCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      state: { type: 'string' },
      role: { type: 'string' },
      any: { type: 'boolean' },
      budget: { type: 'string' },
    },
    dispatchUsage,
    true,
  );
  if (values.help) {
    process.stdout.write(`${dispatchUsage}\n`);
    return 0;
  }
  const me = process.env.ORCH_AGENT;
  let target: TaskTarget;
  let promptArg: string | undefined;
  if (values.role !== undefined || values.any) {
    if (values.role !== undefined && values.any)
      throw new UsageError(`--role and --any exclude each other\n\n${dispatchUsage}`);
    if (positionals.length !== 1) throw new UsageError(`with --role or --any give only the PROMPT\n\n${dispatchUsage}`);
    target = values.any ? { any: true } : { role: values.role! };
    if (me) target.not = me;
    promptArg = positionals[0];
  } else {
    if (positionals.length !== 2)
      throw new UsageError(`give an AGENT and a PROMPT (quote the prompt)\n\n${dispatchUsage}`);
    target = { agent: positionals[0]! };
    promptArg = positionals[1];
  }
  const limit = timeoutMs(values.timeout);
  const prompt = readPrompt(promptArg, dispatchUsage);
  const stateDir = resolveStateDir(values.state);
  const budget = values.budget === undefined ? undefined : usdOf(values.budget, '--budget');
  const id = dispatchTask(stateDir, prompt, target, {
    by: me ?? 'cli',
    ...(budget !== undefined ? { budget_usd: budget } : {}),
  });
  if (!values.wait) {
    process.stdout.write(values.json ? `${JSON.stringify({ id, target })}\n` : `${id}\n`);
    return 0;
  }
  const task = await waitForTask(stateDir, id, limit);
  return task
    ? report(task, Boolean(values.json))
    : timedOut(readStore(stateDir).tasks?.[id], id, Boolean(values.json));
}

export async function waitCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { timeout: { type: 'string' }, json: { type: 'boolean' }, state: { type: 'string' } },
    waitUsage,
    true,
  );
  if (values.help) {
    process.stdout.write(`${waitUsage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`give one TASK id or AGENT name\n\n${waitUsage}`);
  const stateDir = resolveStateDir(values.state);
  const what = positionals[0]!;
  const limit = timeoutMs(values.timeout);
  const data = readStore(stateDir);
  await noteIfLost(data, stateDir);
  if (Object.hasOwn(data.agents, what)) {
    // An agent: wait until every task given to it so far is finished, then report the last one.
    const ids = Object.values(data.tasks ?? {})
      .filter((t) => t.agent === what || t.target.agent === what)
      .map((t) => t.id);
    if (!ids.length) {
      const idle = await waitForStore(
        stateDir,
        (d) =>
          d.agents[what]?.status !== 'busy' && d.agents[what]?.status !== 'starting' ? d.agents[what] : undefined,
        limit,
      );
      if (!idle) return timedOut(undefined, what, Boolean(values.json));
      process.stdout.write(values.json ? `${JSON.stringify(idle, null, 2)}\n` : `${idle.last_result ?? ''}\n`);
      return idle.status === 'idle' ? 0 : 1;
    }
    // A task no longer in the live store finished and was archived.
    const last = await waitForStore(
      stateDir,
      (d) => {
        const tasks = ids.map((id) => d.tasks?.[id]).filter((t): t is TaskRecord => Boolean(t));
        if (!tasks.every(isFinal)) return undefined;
        const newest = ids.at(-1)!;
        try {
          return findTask(d, newest, stateDir);
        } catch {
          return undefined;
        }
      },
      limit,
    );
    return last ? report(last, Boolean(values.json)) : timedOut(undefined, what, Boolean(values.json));
  }
  const id = findTask(data, what, stateDir).id;
  const task = await waitForTask(stateDir, id, limit);
  return task
    ? report(task, Boolean(values.json))
    : timedOut(readStore(stateDir).tasks?.[id], id, Boolean(values.json));
}

export async function resultCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { json: { type: 'boolean' }, state: { type: 'string' } },
    resultUsage,
    true,
  );
  if (values.help) {
    process.stdout.write(`${resultUsage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`give one TASK id\n\n${resultUsage}`);
  const stateDir = resolveStateDir(values.state);
  const task = findTask(readStore(stateDir), positionals[0]!, stateDir);
  if (!isFinal(task)) {
    if (values.json) process.stdout.write(`${JSON.stringify(task, null, 2)}\n`);
    throw new OrchestratorError(
      `task ${task.id} is ${task.state}${task.agent ? ` on ${task.agent}` : ''}; orchestrate wait ${task.id} waits for it`,
      3,
    );
  }
  return report(task, Boolean(values.json));
}

export async function cancelCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { state: { type: 'string' } }, cancelUsage, true);
  if (values.help) {
    process.stdout.write(`${cancelUsage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`give one TASK id\n\n${cancelUsage}`);
  const stateDir = resolveStateDir(values.state);
  const task = findTask(readStore(stateDir), positionals[0]!, stateDir);
  cancelTask(stateDir, task.id);
  const after = await waitForTask(stateDir, task.id, 10_000);
  if (!after)
    throw new OrchestratorError(`asked to cancel task ${task.id}, but the recorder has not confirmed it within 10 s`);
  process.stdout.write(`task ${task.id} ${after.state}${after.error ? ` (${after.error})` : ''}\n`);
  return after.state === 'cancelled' ? 0 : 1;
}

const STATE_COLOURS: Record<TaskRecord['state'], (s: string) => string> = {
  queued: chalk.cyan,
  delivering: chalk.blue,
  running: chalk.yellow,
  done: chalk.green,
  failed: chalk.red,
  cancelled: chalk.gray,
  interrupted: chalk.magenta,
};

/** Seconds a task ran (or has been running). */
export function taskSeconds(task: TaskRecord, now = Date.now()): number | null {
  if (!task.started_at) return null;
  return Math.round(((task.ended_at ? Date.parse(task.ended_at) : now) - Date.parse(task.started_at)) / 100) / 10;
}

export function tasksTable(data: StoreData, agent?: string, width = process.stdout.columns || 120): string {
  const tasks = Object.values(data.tasks ?? {})
    .filter((t) => !agent || t.agent === agent || t.target.agent === agent)
    .sort((a, b) => a.seq - b.seq);
  if (!tasks.length) return 'no tasks';
  const rows = tasks.map((t) => {
    const secs = taskSeconds(t);
    const detail =
      t.state === 'done'
        ? t.result
        : t.state === 'queued' && t.waiting
          ? `waiting: ${t.waiting}`
          : (t.error ?? t.prompt);
    const fixed = `${t.id.padEnd(22)}  ${(t.agent ?? (t.target.role ? `role:${t.target.role}` : 'any')).padEnd(10)}  ${STATE_COLOURS[t.state](t.state.padEnd(11))}  ${(secs === null ? '' : `${secs}s`).padStart(7)}  ${formatUsd(t.cost_usd)}  `;
    return fixed + oneLine(detail, Math.max(20, width - 70));
  });
  return [
    `${'task'.padEnd(22)}  ${'agent'.padEnd(10)}  ${'state'.padEnd(11)}  ${'time'.padStart(7)}  cost     result / error / prompt`,
    ...rows,
  ].join('\n');
}

/** A --page or --per-page number (a whole number of at least 1). */
export function pageNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1)
    throw new UsageError(`${flag} wants a whole number of at least 1, not ${JSON.stringify(value)}`);
  return n;
}

export async function tasksCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      json: { type: 'boolean' },
      state: { type: 'string' },
      agent: { type: 'string' },
      page: { type: 'string' },
      'per-page': { type: 'string' },
    },
    tasksUsage,
  );
  if (values.help) {
    process.stdout.write(`${tasksUsage}\n`);
    return 0;
  }
  const dir = resolveStateDir(values.state);
  const data = readStore(dir);
  await noteIfLost(data, dir);
  const archived = data.archive?.tasks?.count ?? 0;
  if (values.page !== undefined || values['per-page'] !== undefined) {
    const perPage = pageNumber(values['per-page'], '--per-page', 50);
    const found = taskPage(data, dir, pageNumber(values.page, '--page', 1), perPage, values.agent);
    if (values.json)
      process.stdout.write(`${JSON.stringify({ session: data.session?.name ?? null, ...found }, null, 2)}\n`);
    else
      process.stdout.write(
        `${tasksTable({ ...data, tasks: Object.fromEntries(found.tasks.map((t) => [t.id, t])) })}\npage ${found.page} of ${found.pages} (${found.total} tasks; page 1 is the newest${found.page < found.pages ? `; --page ${found.page + 1} for older` : ''})\n`,
      );
    return 0;
  }
  if (values.json) {
    const tasks = Object.values(data.tasks ?? {})
      .filter((t) => !values.agent || t.agent === values.agent)
      .sort((a, b) => a.seq - b.seq);
    process.stdout.write(`${JSON.stringify({ session: data.session?.name ?? null, tasks }, null, 2)}\n`);
  } else {
    process.stdout.write(
      `${tasksTable(data, values.agent)}\n${archived ? `${archived} older finished task(s) are in the archive: orchestrate tasks --page 1 lists every task, newest first\n` : ''}`,
    );
  }
  return 0;
}
