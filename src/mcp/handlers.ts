// What the lead's MCP tools do: the CLI's task operations (src/tasks/client.ts) with the same
// checks and errors, answered as text for a model. Every failure becomes a tool error with a clear
// message; nothing here throws past callTool.
import { readStore } from '../store/state-dir.js';
import { OrchestratorError } from '../core/errors.js';
import { pending } from '../inbox/inbox.js';
import { cancelTask, dispatchTask, findTask, taskPage, waitForTask } from '../tasks/client.js';
import { isFinal } from '../tasks/tasks.js';
import type { StoreData, TaskRecord, TaskTarget } from '../store/types.js';
import { checkArgs, DEFAULT_WAIT_S, ToolInputError, TOOLS } from './tools.js';
import { agentDiff, agentWithWorktree, lookNow, worktreeAgents } from '../worktrees/ops.js';
import { mergeAgent, type MergeMode } from '../worktrees/merge.js';
import { describeConflict } from '../worktrees/look.js';
import { worktreeSummary } from '../worktrees/summary.js';
import { pendingApprovals } from '../approvals/approvals.js';
import { decideRequest, findRequest } from '../approvals/decide.js';
import { own } from '../util/own.js';

/** Who calls and where: the session's state directory, the calling agent (ORCH_AGENT), a cancel signal. */
export interface ToolContext {
  stateDir: string;
  caller?: string;
  signal?: AbortSignal;
}

/** A tool's answer: text for the model, and whether it is an error. */
export interface ToolOutcome {
  text: string;
  isError: boolean;
}

type Args = Record<string, unknown>;

const trim = (s: string | null | undefined, n: number): string | null => {
  if (s === null || s === undefined) return null;
  return s.length > n ? `${s.slice(0, n)}… (${s.length - n} more characters)` : s;
};
const money = (n: number): number => Math.round((n || 0) * 1e4) / 1e4;

function seconds(task: TaskRecord): number | null {
  if (!task.started_at) return null;
  return (
    Math.round(((task.ended_at ? Date.parse(task.ended_at) : Date.now()) - Date.parse(task.started_at)) / 100) / 10
  );
}

const ok = (text: string): ToolOutcome => ({ text, isError: false });
const fail = (text: string): ToolOutcome => ({ text, isError: true });
const json = (value: unknown): ToolOutcome => ok(JSON.stringify(value, null, 2));

/** A finished task as the model reads it: the answer, or why there is none. */
function finished(task: TaskRecord): ToolOutcome {
  const where = task.agent ? ` on ${task.agent}` : '';
  if (task.state === 'done') {
    const secs = seconds(task);
    return ok(
      `task ${task.id} done${where}${secs === null ? '' : ` in ${secs} s`} ($${money(task.cost_usd)}). Its answer:\n\n${task.result ?? ''}`,
    );
  }
  const last = task.result ? `\nIts last answer: ${trim(task.result, 2000)}` : '';
  return fail(`task ${task.id} ${task.state}${where}: ${task.error ?? 'no reason recorded'}${last}`);
}

/** The task's id: exact, a unique prefix or suffix, or one still waiting in the recorder's inbox. */
function resolveTask(stateDir: string, given: string): string {
  if (!given.trim()) throw new ToolInputError('no task id given: "task" is empty (list_tasks lists them)');
  const data = readStore(stateDir);
  if (own(data.tasks, given)) return given;
  try {
    return findTask(data, given, stateDir).id;
  } catch (error) {
    if (pending(stateDir).some((p) => p.request?.kind === 'dispatch' && p.request.id === given)) return given;
    if (own(readStore(stateDir).tasks, given)) return given;
    throw error;
  }
}

/** Waits for a task in short rounds, so that a call the client cancels stops waiting. */
async function waitFinished(ctx: ToolContext, id: string, seconds: number): Promise<ToolOutcome> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    if (ctx.signal?.aborted) return fail(`stopped waiting for task ${id}: the call was cancelled; the task goes on`);
    const left = deadline - Date.now();
    const task = left > 0 ? await waitForTask(ctx.stateDir, id, Math.min(left, 2000)) : undefined;
    if (task) return finished(task);
    if (left <= 0) {
      const now = own(readStore(ctx.stateDir).tasks, id);
      const state = now ? `${now.state}${now.agent ? ` on ${now.agent}` : ''}` : 'not yet taken in';
      return fail(
        `timed out after ${seconds} s waiting for task ${id} (${state}); it goes on: wait_task {"task":"${id}"} waits again, cancel_task stops it`,
      );
    }
  }
}

function listAgents(ctx: ToolContext): ToolOutcome {
  const data = readStore(ctx.stateDir);
  const queued = (name: string): number =>
    Object.values(data.tasks ?? {}).filter((t) => t.state === 'queued' && t.target.agent === name).length;
  return json({
    session: data.session?.name ?? null,
    agents: Object.values(data.agents).map((a) => ({
      name: a.name,
      role: a.role,
      ...(a.name === ctx.caller ? { you: true } : {}),
      status: a.status,
      reason: a.reason,
      task: trim(a.status === 'busy' ? a.task : null, 300),
      task_id: a.task_id ?? null,
      queued: queued(a.name),
      last_result: trim(a.last_result, 500),
      cost_usd: money(a.cost_usd),
      ...(a.worktree ? { worktree: worktreeSummary(data, a) } : {}),
    })),
  });
}

function target(ctx: ToolContext, args: Args): TaskTarget {
  const given = [args.agent !== undefined, args.role !== undefined, args.any === true].filter(Boolean).length;
  if (given !== 1)
    throw new ToolInputError('dispatch: give exactly one of "agent" (a name), "role" (e.g. "worker") or "any": true');
  if (args.agent !== undefined) {
    if (args.agent === ctx.caller)
      throw new ToolInputError(
        `dispatch: "${ctx.caller}" is you; a task for yourself would only run after your own turn ends. Dispatch to another agent (list_agents names them)`,
      );
    return { agent: args.agent as string };
  }
  const picked: TaskTarget = args.any === true ? { any: true } : { role: args.role as string };
  if (ctx.caller) picked.not = ctx.caller;
  return picked;
}

async function dispatch(ctx: ToolContext, args: Args): Promise<ToolOutcome> {
  const to = target(ctx, args);
  const id = dispatchTask(ctx.stateDir, args.prompt as string, to, { by: ctx.caller ?? 'mcp' });
  if (args.wait === true) return waitFinished(ctx, id, (args.timeout as number | undefined) ?? DEFAULT_WAIT_S);
  const whom = to.agent ?? (to.role ? `the first idle agent of role ${to.role}` : 'the first idle agent');
  return ok(
    `task ${id} queued for ${whom}. wait_task {"task":"${id}"} waits for its answer; task_result {"task":"${id}"} reads it once it is done.`,
  );
}

function taskResult(ctx: ToolContext, args: Args): ToolOutcome {
  const id = resolveTask(ctx.stateDir, args.task as string);
  const data = readStore(ctx.stateDir);
  let task: TaskRecord | undefined;
  try {
    task = findTask(data, id, ctx.stateDir);
  } catch {
    /* not yet taken in */
  }
  if (!task) return fail(`task ${id} is not yet taken in; wait_task {"task":"${id}"} waits for it`);
  if (!isFinal(task))
    return fail(
      `task ${id} is ${task.state}${task.agent ? ` on ${task.agent}` : ''}; wait_task {"task":"${id}"} waits for it`,
    );
  return finished(task);
}

function listTasks(ctx: ToolContext, args: Args): ToolOutcome {
  const data: StoreData = readStore(ctx.stateDir);
  const page = typeof args.page === 'number' && args.page >= 1 ? Math.floor(args.page) : undefined;
  let shown: TaskRecord[];
  let more: Record<string, unknown>;
  if (page !== undefined && args.open !== true) {
    // Every task of the session, newest first, the archived ones too.
    const found = taskPage(data, ctx.stateDir, page, 50, args.agent as string | undefined);
    shown = found.tasks;
    more = { page: found.page, pages: found.pages, total: found.total };
  } else {
    const all = Object.values(data.tasks ?? {})
      .filter(
        (t) =>
          (!args.agent || t.agent === args.agent || t.target.agent === args.agent) &&
          (args.open !== true || !isFinal(t)),
      )
      .sort((a, b) => a.seq - b.seq);
    shown = all.slice(-50);
    const archived = args.open === true ? 0 : (data.archive?.tasks?.count ?? 0);
    more = {
      ...(all.length > shown.length ? { not_shown: `${all.length - shown.length} earlier tasks` } : {}),
      ...(archived ? { archived: `${archived} older finished tasks; "page": 1 lists every task, newest first` } : {}),
    };
  }
  return json({
    ...more,
    tasks: shown.map((t) => ({
      id: t.id,
      agent: t.agent ?? (t.target.role ? `role:${t.target.role}` : 'any'),
      state: t.state,
      by: t.by ?? null,
      prompt: trim(t.prompt, 200),
      result: trim(t.result, 300),
      error: t.error,
      seconds: seconds(t),
      cost_usd: money(t.cost_usd),
      ...(t.state === 'queued' && t.waiting ? { waiting: t.waiting } : {}),
      ...(t.limited?.length ? { limited: t.limited.length } : {}),
    })),
  });
}

async function cancel(ctx: ToolContext, args: Args): Promise<ToolOutcome> {
  if (!(args.task as string).trim())
    throw new ToolInputError('cancel_task: no task id given: "task" is empty (list_tasks lists them)');
  const task = findTask(readStore(ctx.stateDir), args.task as string, ctx.stateDir);
  cancelTask(ctx.stateDir, task.id);
  const after = await waitForTask(ctx.stateDir, task.id, 10_000);
  if (!after) return fail(`asked to cancel task ${task.id}, but the recorder has not confirmed it within 10 s`);
  const text = `task ${task.id} ${after.state}${after.error ? ` (${after.error})` : ''}`;
  return after.state === 'cancelled' ? ok(text) : fail(text);
}

const MAX_DIFF = 60_000;

async function diffAgent(ctx: ToolContext, args: Args): Promise<ToolOutcome> {
  const agent = agentWithWorktree(readStore(ctx.stateDir), args.agent as string);
  const text = await agentDiff(agent, { stat: args.stat === true });
  if (!text) return ok(`${agent.name} has changed nothing against ${agent.worktree!.base}.`);
  return ok(
    text.length > MAX_DIFF
      ? `${text.slice(0, MAX_DIFF)}\n… (the diff goes on for ${text.length - MAX_DIFF} more characters; stat: true gives the whole list of files)`
      : text,
  );
}

async function mergeAgentTool(ctx: ToolContext, args: Args): Promise<ToolOutcome> {
  const agent = agentWithWorktree(readStore(ctx.stateDir), args.agent as string);
  const mode = (args.mode as string | undefined) ?? 'merge';
  if (!['merge', 'squash', 'rebase'].includes(mode))
    throw new ToolInputError(`merge_agent: mode is "${mode}" (expected merge, squash or rebase)`);
  const outcome = await mergeAgent({
    agent,
    mode: mode as MergeMode,
    check: args.check === true,
    ...(args.into ? { into: args.into as string } : {}),
    ...(args.commit_all !== undefined ? { commitAll: args.commit_all as string } : {}),
  });
  const files = outcome.conflicts.map(
    (c) =>
      `- ${c.path} (${c.kind}${c.lines.length ? `, lines ${c.lines.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(', ')} of ${outcome.target}` : ''})`,
  );
  const text = [outcome.message, ...files].join('\n');
  return outcome.result === 'conflict' ? fail(text) : ok(text);
}

async function conflicts(ctx: ToolContext): Promise<ToolOutcome> {
  const data = readStore(ctx.stateDir);
  if (!worktreeAgents(data).length)
    return ok('No agent of this session has a worktree of its own, so there is nothing to compare.');
  const found = await lookNow(data);
  if (!found.conflicts.length)
    return ok("No conflicts: every agent's work merges cleanly with its base and with each other's.");
  return ok(found.conflicts.map((c) => `- ${describeConflict(c)}`).join('\n'));
}

function pendingApprovalsTool(ctx: ToolContext): ToolOutcome {
  const data = readStore(ctx.stateDir);
  return json({
    approvals_by: data.approval_settings?.by ?? 'person',
    pending: pendingApprovals(data).map((r) => ({
      id: r.id,
      agent: r.agent,
      tool: r.tool,
      input: r.input,
      summary: r.summary,
      at: r.at,
      timeout_at: r.timeout_at,
    })),
  });
}

function decideTool(ctx: ToolContext, args: Args): ToolOutcome {
  const data = readStore(ctx.stateDir);
  if (data.approval_settings?.by !== 'lead')
    return fail(
      'decide: the layout does not let the lead decide permission requests (approvals: { by: lead }); a person decides them (orchestrate approve / deny, the dashboard)',
    );
  const behavior = args.behavior as string;
  if (behavior !== 'allow' && behavior !== 'deny')
    throw new ToolInputError(`decide: behavior is "${behavior}" (expected allow or deny)`);
  const request = findRequest(data, args.request as string);
  if (request.agent === ctx.caller) return fail(`decide: request ${request.id} is your own; a person decides it`);
  const won = decideRequest(ctx.stateDir, request, {
    behavior,
    by: ctx.caller ?? 'lead',
    ...(args.message ? { message: args.message as string } : {}),
  });
  return won
    ? ok(
        `${behavior === 'allow' ? 'allowed' : 'denied'} ${request.summary} for ${request.agent} (request ${request.id})`,
      )
    : fail(`request ${request.id} was decided already`);
}

const HANDLERS: Record<string, (ctx: ToolContext, args: Args) => ToolOutcome | Promise<ToolOutcome>> = {
  list_agents: listAgents,
  dispatch,
  wait_task: (ctx, args) =>
    waitFinished(
      ctx,
      resolveTask(ctx.stateDir, args.task as string),
      (args.timeout as number | undefined) ?? DEFAULT_WAIT_S,
    ),
  task_result: taskResult,
  list_tasks: listTasks,
  cancel_task: cancel,
  diff_agent: diffAgent,
  merge_agent: mergeAgentTool,
  conflicts,
  pending_approvals: pendingApprovalsTool,
  decide: decideTool,
};

/** Runs one tool call. Never throws: every problem is a tool error the model can read. */
export async function callTool(ctx: ToolContext, name: string, args: unknown): Promise<ToolOutcome> {
  const tool = TOOLS.find((t) => t.name === name);
  const handler = HANDLERS[name];
  if (!tool || !handler) return fail(`unknown tool "${name}" (tools: ${TOOLS.map((t) => t.name).join(', ')})`);
  try {
    return await handler(ctx, checkArgs(tool, args));
  } catch (error) {
    if (error instanceof OrchestratorError || error instanceof ToolInputError) return fail(error.message);
    return fail(`internal error in ${name}: ${(error as Error)?.stack ?? String(error)}`);
  }
}
