// merge: true in a workflow: once a task is done, the recorder commits what its agent left
// uncommitted and merges the agent's branch into its base; a conflict fails the task with the
// files and changes nothing. A recorder killed meanwhile merges again on restart: a merge already
// made finds nothing left to merge and counts as done. Only the task's own work is committed: a
// worktree that held uncommitted files when the task was delivered (an earlier task's, a person's)
// is not merged at all; the task fails naming them, and they stay as they are.
import type { AgentRecord, StoreData, TaskRecord } from '../store/types.js';
import type { Store } from '../store/store.js';
import { inspectWork } from '../worktrees/work.js';
import { mergeAgent } from '../worktrees/merge.js';

/** Whether a task is a try of a workflow task with merge: true. */
const mergesWhenDone = (data: StoreData, task: TaskRecord): boolean =>
  Boolean(task.run && data.runs?.[task.run]?.spec.tasks.find((t) => t.name === task.run_task)?.merge);

/**
 * Before a merge: true task is first delivered, the files its agent's worktree holds uncommitted
 * (none of this task's doing); an earlier try of the same task on the same agent left its own.
 */
export async function noteLeftovers(
  store: Store,
  agent: AgentRecord,
  task: TaskRecord,
  log: (line: string) => void,
): Promise<void> {
  const data = store.data;
  if (!agent.worktree || task.leftovers || !mergesWhenDone(data, task)) return;
  const tries = data.runs![task.run!]!.tasks[task.run_task!]?.tries ?? [];
  if (tries.some((id) => id !== task.id && data.tasks?.[id]?.agent === agent.name)) return;
  // What --commit-all would commit: our unchanged copies are no one's work, and it never commits the rest.
  const found = await inspectWork(agent).catch((error: Error) => {
    log(`${agent.name}: cannot look at its worktree before ${task.id}: ${error.message}`);
    return undefined;
  });
  if (found === undefined) return;
  const dirty = found.work.filter((w) => w.commitAll).map((w) => w.path);
  await store.mutate((d) => {
    const t = d.tasks?.[task.id];
    if (t && !t.leftovers) t.leftovers = dirty;
  });
}

/** The files found uncommitted before the run task's tries on the agent that did it. */
function leftoversOf(data: StoreData, due: { run: string; task: string; agent: string | null }): string[] {
  const tries = (data.runs?.[due.run]?.tasks[due.task]?.tries ?? [])
    .map((id) => data.tasks?.[id])
    .filter((t) => t && t.agent === due.agent);
  return [...new Set(tries.flatMap((t) => t!.leftovers ?? []))];
}

/** Merges one run task's agent's work; returns the outcome to record. */
export async function mergeRunTask(
  data: StoreData,
  due: { run: string; task: string; agent: string | null },
): Promise<{ ok: boolean; text: string }> {
  const agent = due.agent ? data.agents[due.agent] : undefined;
  if (!agent?.worktree)
    return {
      ok: false,
      text: `merge: true, but ${due.agent ?? 'its agent'} has no worktree of its own (worktree: true in the layout)`,
    };
  const run = data.runs?.[due.run];
  const leftovers = leftoversOf(data, due);
  if (leftovers.length) {
    const files = `${leftovers.slice(0, 10).join(', ')}${leftovers.length > 10 ? `, and ${leftovers.length - 10} more` : ''}`;
    return {
      ok: false,
      text: `not merged: ${agent.worktree.path} held uncommitted files before this task began (${files}), and merge: true commits only the task's own work. Nothing was committed or merged; commit or remove those files there, then merge by hand (orchestrate merge ${agent.name} --commit-all MESSAGE), or give the task a clean worktree`,
    };
  }
  try {
    const outcome = await mergeAgent({
      agent,
      mode: 'merge',
      commitAll: `${run?.name ?? 'workflow'}: ${due.task} (run ${due.run})`,
    });
    if (outcome.result === 'conflict') {
      return {
        ok: false,
        text: `merge conflict: ${outcome.conflicts.map((c) => `${c.path}${c.lines.length ? ` (lines ${c.lines.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(', ')})` : ''}`).join(', ')}; nothing was changed, ${outcome.branch} and its worktree keep the work`,
      };
    }
    return { ok: true, text: outcome.message };
  } catch (error) {
    return { ok: false, text: `merge failed: ${(error as Error).message}` };
  }
}
