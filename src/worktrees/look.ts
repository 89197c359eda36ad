// What each agent's worktree holds against its base, and which lines of work git could not merge:
// an agent's (uncommitted work included) with its base branch as it is now, and every two agents'
// with each other. All of it from merge-tree on snapshot commits: no checkout, index or ref changes.
import type { AgentRecord, ConflictRecord, WorktreeState } from '../store/types.js';
import { aheadBehind, commitOf, gitOk, onMachine, pathExists } from '../git/git.js';
import { machineKey, machineOf } from './machine.js';
import { mergeTree, snapshotCommit, type MergeResult } from '../git/merge-tree.js';
import { leavingOut, ownPaths, workLines } from './work.js';

/** The commit an agent's work is measured against: its base branch as it is now (or the base commit). */
export async function baseTip(agent: AgentRecord): Promise<string> {
  const wt = agent.worktree!;
  return (await commitOf(wt.repo, `refs/heads/${wt.base}`)) ?? (await commitOf(wt.repo, wt.base)) ?? wt.base_commit;
}

/** Files changed since the work forked from base (three-dot: what the agent did, not what base did meanwhile). */
export const changedFiles = async (dir: string, base: string, to: string): Promise<string[]> =>
  (await gitOk(dir, ['diff', '--name-only', '--no-renames', `${base}...${to}`])).split('\n').filter(Boolean);

/** One agent's worktree as it is now, and its snapshot (its work with nothing left out). */
export function lookAtWorktree(agent: AgentRecord, at = new Date()): Promise<WorktreeState | undefined> {
  return onMachine(machineOf(agent), () => lookHere(agent, at));
}

async function lookHere(agent: AgentRecord, at: Date): Promise<WorktreeState | undefined> {
  const wt = agent.worktree;
  if (!wt || !(await pathExists(wt.path))) return undefined;
  const [snap, head, base, dirty] = await Promise.all([
    ownPaths(wt).then((own) => snapshotCommit(wt.path, leavingOut(own))),
    gitOk(wt.path, ['rev-parse', 'HEAD']),
    baseTip(agent),
    workLines(agent),
  ]);
  const { ahead, behind } = await aheadBehind(wt.path, base, head);
  return {
    head,
    ahead,
    behind,
    changed: await changedFiles(wt.path, base, snap.commit),
    uncommitted: dirty,
    snapshot: snap.commit,
    checked_at: at.toISOString(),
  };
}

/** Merges already computed, by the pair of commits (snapshots change only when files do). */
export type MergeCache = Map<string, MergeResult>;

async function cached(cache: MergeCache, dir: string, a: string, b: string): Promise<MergeResult> {
  const key = `${a}:${b}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const result = await mergeTree(dir, a, b);
  cache.set(key, result);
  if (cache.size > 500) cache.delete(cache.keys().next().value!);
  return result;
}

/** Every conflict among the agents' worktrees, and with each one's base. */
export async function findConflicts(
  agents: AgentRecord[],
  states: Record<string, WorktreeState>,
  cache: MergeCache = new Map(),
  at = new Date(),
): Promise<ConflictRecord[]> {
  const found: ConflictRecord[] = [];
  const withWork = agents.filter((a) => a.worktree && states[a.name]?.changed.length);
  for (const a of withWork) {
    const s = states[a.name]!;
    if (s.behind === 0) continue;
    const merged = await onMachine(machineOf(a), async () =>
      cached(cache, a.worktree!.repo, s.snapshot, await baseTip(a)),
    );
    if (!merged.clean)
      found.push({
        agents: [a.name, a.worktree!.base],
        with: 'base',
        files: merged.conflicts,
        found_at: at.toISOString(),
      });
  }
  for (const [i, a] of withWork.entries()) {
    for (const b of withWork.slice(i + 1)) {
      if (a.worktree!.repo !== b.worktree!.repo || machineKey(a) !== machineKey(b)) continue;
      const sa = states[a.name]!;
      const sb = states[b.name]!;
      // Work on files the other never touched merges cleanly: no need to ask git.
      if (!sa.changed.some((f) => sb.changed.includes(f))) continue;
      const merged = await onMachine(machineOf(a), () => cached(cache, a.worktree!.repo, sa.snapshot, sb.snapshot));
      if (!merged.clean)
        found.push({ agents: [a.name, b.name], with: 'agent', files: merged.conflicts, found_at: at.toISOString() });
    }
  }
  return found;
}

/** A conflict in words: "worker-1 and worker-3 both change src/api.ts: conflict in lines 3-5 (as worker-1 has it)". */
export function describeConflict(c: ConflictRecord): string {
  const who =
    c.with === 'base' ? `${c.agents[0]}'s work and its base ${c.agents[1]}` : `${c.agents[0]} and ${c.agents[1]}`;
  const files = c.files.map((f) => {
    const lines = f.lines.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
    return `${f.path}${f.kind === 'content' || f.kind === 'contents' ? (lines ? `: conflict in line${f.lines.length === 1 && f.lines[0]![0] === f.lines[0]![1] ? '' : 's'} ${lines} (as ${c.agents[0]} has it)` : '') : ` (${f.kind})`}`;
  });
  return `${who} both change ${files.join('; ')}`;
}
