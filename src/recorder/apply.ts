// Recording status-file lines into the store data: each line through the reducer, its effect on the
// agent's task, usage from the transcript, and the bounded event history. The recorder does this on
// every pass; recovery and `session end` do it once for what the recorder did not read.
import type { AgentRecord, EventRecord, StoreData } from '../store/types.js';
import { statusFile } from '../store/paths.js';
import { taskOnEvent } from '../tasks/tasks.js';
import { fail } from '../tasks/lifecycle.js';
import { limitOnEvent } from '../fleet/limits.js';
import { budgetsActive } from '../fleet/budget.js';
import { approvalOnEvent } from '../approvals/approvals.js';
import { applyEvent, isStatusLine } from './reduce.js';
import { kindOf } from '../drivers/driver.js';
import type { AgentEventType } from '../core/events.js';
import type { StatusLine } from '../store/types.js';
import { readNewLines } from './status-lines.js';
import { promptsCost, transcriptUsage } from './transcript.js';
import { setTurnCosts } from '../tasks/lifecycle.js';

/** Events after which the transcript's token counts are read again. */
const USAGE_EVENTS: ReadonlySet<AgentEventType> = new Set([
  'turn-ended',
  'turn-failed',
  'session-ended',
  'exited',
  'task-process-exited',
]);

/** Applies lines to the store data; returns how many changed something. */
export function applyLines(
  data: StoreData,
  name: string,
  lines: StatusLine[],
  log: (line: string) => void = () => {},
  stateDir?: string,
): number {
  const agent = data.agents[name];
  if (!agent) return 0;
  let changed = 0;
  for (const line of lines) {
    try {
      if (applyLine(data, name, agent, line, log, stateDir)) changed++;
    } catch (error) {
      // A line we cannot follow (a bug, or input nobody foresaw) is recorded as the agent's error,
      // not left half-done: its task would stay running on an agent that went on without it.
      changed++;
      recordFailure(data, name, agent, line, error, log);
    }
  }
  return changed;
}

/**
 * One line: its agent's kind makes it a neutral event (the one place native status lines are
 * read), which then moves the agent's record, its usage, the account's limit, its permission
 * requests, the event history and its task. Whether it changed something.
 */
function applyLine(
  data: StoreData,
  name: string,
  agent: AgentRecord,
  line: StatusLine,
  log: (line: string) => void,
  stateDir?: string,
): boolean {
  const event = isStatusLine(line) ? kindOf(agent).toEvent(line) : undefined;
  const what = event && applyEvent(agent, event);
  if (!event || !what) return false;
  // With a budget in force, spend is read after each tool too, so a task over its cap stops mid-turn.
  if (USAGE_EVENTS.has(event.type) || (event.type === 'tool-ran' && budgetsActive(data))) updateUsage(data, agent);
  const limitChange = limitOnEvent(data, name, event);
  if (limitChange) log(limitChange);
  // Permission requests are decided through files in the state directory (status-file lines only).
  const approvalChange = stateDir ? approvalOnEvent(data, stateDir, name, event) : undefined;
  if (approvalChange) log(approvalChange);
  pushEvent(data, {
    at: agent.updated_at,
    agent: name,
    event: what,
    status: agent.status,
    ...(agent.reason ? { detail: agent.reason } : {}),
  });
  const taskChange = taskOnEvent(data, name, event);
  if (taskChange) log(taskChange);
  return true;
}

/** The agent shows the error, and a task it runs fails with it (it would wait for an event that was lost). */
function recordFailure(
  data: StoreData,
  name: string,
  agent: AgentRecord,
  line: StatusLine,
  error: unknown,
  log: (line: string) => void,
): void {
  const event = kindOf(agent).nativeName(line);
  const reason = `the recorder could not follow its ${event} event (${(error as Error)?.message ?? String(error)}); its state may be behind: look at its pane`;
  log(`${name}: ${reason}\n${(error as Error)?.stack ?? ''}`);
  Object.assign(agent, { status: 'error', reason, busy_since: null, updated_at: new Date().toISOString() });
  // (Found by its agent: the throw may have come after the agent let go of it.)
  for (const task of Object.values(data.tasks ?? {}).filter(
    (t) => t.agent === name && (t.state === 'running' || t.state === 'delivering'),
  )) {
    fail(data, task, Date.now(), reason, agent);
    log(`task ${task.id} failed on ${name}: ${reason}`);
  }
  pushEvent(data, { at: agent.updated_at, agent: name, event, status: agent.status, detail: reason });
}

/**
 * Records what each agent's status file holds beyond the store's cursor for it, and moves the
 * cursor: a reader killed at any moment resumes with nothing lost and nothing counted twice.
 * Returns how many lines were read.
 */
export function recordNewLines(
  data: StoreData,
  stateDir: string,
  names: readonly string[],
  log: (line: string) => void = () => {},
  verbose = false,
): number {
  let read = 0;
  data.cursors ??= {};
  for (const name of names) {
    const cursor = data.cursors[name] ?? 0;
    const { lines, next, bad } = readNewLines(statusFile(stateDir, name), cursor);
    if (bad) log(`${name}: skipped ${bad} unreadable line(s)`);
    if (next === cursor) continue;
    data.cursors[name] = next;
    read += lines.length || 1;
    applyLines(data, name, lines, log, stateDir);
    if (verbose)
      for (const l of lines) log(`${name}: ${kindOf(data.agents[name]).nativeName(l)} -> ${data.agents[name]?.status}`);
  }
  return read;
}

/**
 * Reads the agent's tokens and cost from its transcript again, and the cost of the tasks whose
 * turns are in it (a finished one too: its turn's last lines come after its Stop); whether
 * anything changed.
 */
export function updateUsage(data: StoreData, agent: AgentRecord): boolean {
  const usage = transcriptUsage(agent.transcript_path);
  if (usage.input + usage.output === 0) return false;
  const cost = Math.round(usage.cost_usd * 1e6) / 1e6;
  let changed = cost !== agent.cost_usd || usage.output !== agent.tokens?.output || usage.input !== agent.tokens?.input;
  agent.tokens = {
    input: usage.input,
    output: usage.output,
    cache_read: usage.cache_read,
    cache_write: usage.cache_write,
  };
  agent.cost_usd = cost;
  for (const task of Object.values(data.tasks ?? {})) {
    if (
      task.prompt_costs &&
      setTurnCosts(data, task, promptsCost(agent.transcript_path, Object.keys(task.prompt_costs)))
    )
      changed = true;
  }
  return changed;
}

/** Events beyond the live window move to the archive in the recorder's pass (src/store/retention.ts). */
function pushEvent(data: StoreData, event: EventRecord): void {
  data.events ??= [];
  data.events.push(event);
}
