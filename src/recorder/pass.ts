// One pass of the recorder over the store data, as pure changes: take the inbox's requests, read
// every agent's new status lines, then let runs queue tasks and the scheduler hand them out until
// nothing moves. The recorder writes the store once after it and only then performs the effects.
import type { RunRecord, StoreData } from '../store/types.js';
import { findArchived } from '../store/archive.js';
import { pending, type TakenRequest } from '../inbox/inbox.js';
import { intake, schedule, type TaskEffect } from '../tasks/tasks.js';
import { advanceRuns, resumeRun, startRun } from '../workflow/runs.js';
import { recordNewLines } from './apply.js';
import { limitsPending, settleLimited } from '../fleet/limits.js';
import { setCap } from '../fleet/budget.js';
import { addAllowRule, pendingDecisions, settleApprovals, type DecisionEffect } from '../approvals/approvals.js';
import { archiveFinished, archiveHistory, unarchived } from '../store/retention.js';

/** What a pass took, and what is to be done after its store write: tasks' effects, and rule decisions' files. */
export interface PassResult {
  taken: TakenRequest[];
  effects: TaskEffect[];
  decisions: DecisionEffect[];
  changed: boolean;
}

/** Applies what is waiting to data; the requests are deleted once the store that holds them is written. */
export function recordPass(
  data: StoreData,
  stateDir: string,
  agents: readonly string[],
  log: (line: string) => void,
): PassResult {
  let changed = false;
  const effects: TaskEffect[] = [];
  const taken = pending(stateDir);
  for (const t of taken) {
    if (!t.request) {
      log(`inbox: skipped unreadable ${t.file} (${t.error})`);
      continue;
    }
    const request = t.request;
    try {
      const now = Date.now();
      log(
        `inbox: ${request.kind === 'run' ? startRun(data, request, now) : request.kind === 'resume-run' ? resumeRun(data, request, (id) => unarchiveRun(data, stateDir, id)) : request.kind === 'budget' ? setCap(data, request.scope, request.usd) : request.kind === 'policy' ? addAllowRule(data, request.agent, request.allow) : intake(data, request, now)}`,
      );
    } catch (error) {
      // A malformed request is dropped, not retried forever (it would stop every later pass).
      log(`inbox: dropped a bad ${String(request.kind)} request ${t.file}: ${(error as Error).message}`);
    }
    changed = true;
  }
  if (recordNewLines(data, stateDir, agents, log, true)) changed = true;
  if (settleApprovals(data, stateDir, Date.now())) changed = true;
  if (limitsPending(data) || Object.values(data.agents).some((a) => a.status === 'limited')) {
    settleLimited(data, Date.now());
    changed = true;
  }
  // Runs queue tasks, the scheduler hands them out (or fails them), which moves runs on.
  for (let round = 0; round < 4; round++) {
    const moved = advanceRuns(data, Date.now());
    for (const line of moved) log(line);
    const scheduled = schedule(data, Date.now());
    effects.push(...scheduled.effects);
    changed ||= moved.length > 0 || scheduled.changed;
    if (!moved.length && !scheduled.changed) break;
  }
  // Finished tasks are written whole to the archive, and history beyond the live window leaves the
  // store (the archive is written before the store is).
  if (archiveFinished(data, stateDir, Date.now())) changed = true;
  const archived = archiveHistory(data, stateDir);
  if (archived.length) {
    log(`archived ${archived.join(', ')}`);
    changed = true;
  }
  return { taken, effects, decisions: pendingDecisions(data), changed };
}

/** An archived run brought back to the live store (to run again): the archive's counts no longer include it. */
function unarchiveRun(data: StoreData, stateDir: string, id: string): RunRecord | undefined {
  const run = findArchived<RunRecord>(stateDir, 'runs', id).find((r) => r.id === id);
  const counts = data.archive?.runs;
  if (run && counts) {
    counts.count = Math.max(0, counts.count - 1);
    if (counts.by_state?.[run.state]) counts.by_state[run.state]!--;
  }
  return run;
}

/** Whether time alone will change something: a delivery to confirm, a cancel, a timeout, a queue for an agent that exited, a finished task to archive. */
export function waitingOnTime(data: StoreData): boolean {
  return (
    limitsPending(data) ||
    Object.values(data.tasks ?? {}).some(unarchived) ||
    Object.values(data.approvals ?? {}).some((r) => r.state === 'pending') ||
    Object.values(data.tasks ?? {}).some(
      (t) =>
        t.state === 'delivering' ||
        t.cancel_requested === true ||
        (t.state === 'running' && Boolean(t.timeout_s)) ||
        (t.state === 'queued' &&
          (t.target.agent
            ? data.agents[t.target.agent]?.status === 'exited'
            : Object.values(data.agents).some((a) => a.status === 'exited'))),
    )
  );
}
