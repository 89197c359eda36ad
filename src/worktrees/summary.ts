// How an agent's worktree reads in every view (status, status --json, the dashboard, the lead's
// tools), from the store: its branch and what the recorder last found in it.
import type { AgentRecord, StoreData } from '../store/types.js';
import { describeConflict } from './look.js';

export interface WorktreeSummary {
  path: string;
  branch: string;
  base: string;
  setup: string;
  ahead: number | null;
  behind: number | null;
  changed: string[];
  uncommitted: string[];
  checked_at: string | null;
}

/** An agent's worktree as views show it, or null when it has none. */
export function worktreeSummary(data: StoreData, agent: AgentRecord): WorktreeSummary | null {
  const wt = agent.worktree;
  if (!wt) return null;
  const s = data.worktrees?.agents[agent.name];
  return {
    path: wt.path,
    branch: wt.branch,
    base: wt.base,
    setup: wt.setup,
    ahead: s?.ahead ?? null,
    behind: s?.behind ?? null,
    changed: s?.changed ?? [],
    uncommitted: s?.uncommitted ?? [],
    checked_at: s?.checked_at ?? null,
  };
}

/** One line: "worker-1/x: 2 ahead, 0 behind of main; 3 files changed, 1 uncommitted". */
export function worktreeLine(w: WorktreeSummary): string {
  const counts =
    w.ahead === null
      ? 'not looked at yet'
      : `${w.ahead} ahead, ${w.behind} behind ${w.base}; ${w.changed.length} file${w.changed.length === 1 ? '' : 's'} changed, ${w.uncommitted.length} uncommitted`;
  return `${w.branch}: ${counts}`;
}

/** The conflicts the recorder found, in words. */
export const conflictLines = (data: StoreData): string[] => (data.worktrees?.conflicts ?? []).map(describeConflict);
