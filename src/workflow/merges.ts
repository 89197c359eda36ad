// merge: true in a workflow: once a task is done, the recorder commits what its agent left
// uncommitted and merges the agent's branch into its base; a conflict fails the task with the
// files and changes nothing. A recorder killed meanwhile merges again on restart: a merge already
// made finds nothing left to merge and counts as done.
import type { StoreData } from '../store/types.js';
import { mergeAgent } from '../worktrees/merge.js';

/** Merges one run task's agent's work; returns the outcome to record. */
export async function mergeRunTask(data: StoreData, due: { run: string; task: string; agent: string | null }): Promise<{ ok: boolean; text: string }> {
  const agent = due.agent ? data.agents[due.agent] : undefined;
  if (!agent?.worktree) return { ok: false, text: `merge: true, but ${due.agent ?? 'its agent'} has no worktree of its own (worktree: true in the layout)` };
  const run = data.runs?.[due.run];
  try {
    const outcome = await mergeAgent({ agent, mode: 'merge', commitAll: `${run?.name ?? 'workflow'}: ${due.task} (run ${due.run})` });
    if (outcome.result === 'conflict') {
      return { ok: false, text: `merge conflict: ${outcome.conflicts.map((c) => `${c.path}${c.lines.length ? ` (lines ${c.lines.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(', ')})` : ''}`).join(', ')}; nothing was changed, ${outcome.branch} keeps the work` };
    }
    return { ok: true, text: outcome.message };
  } catch (error) {
    return { ok: false, text: `merge failed: ${(error as Error).message}` };
  }
}
