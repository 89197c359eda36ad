// What the CLI and the lead's MCP tools ask of the agents' worktrees: an agent's diff, the
// conflicts as they are right now, every worktree's state, and pruning the ones that are safe.
// All of it reads the store and git; none of it writes the store (the recorder is its writer).
import { existsSync } from 'node:fs';
import type { AgentRecord, ConflictRecord, StoreData, WorktreeState } from '../store/types.js';
import { OrchestratorError } from '../core/errors.js';
import { gitOk, onMachine } from '../git/git.js';
import { machineOf } from './machine.js';
import { snapshotCommit } from '../git/merge-tree.js';
import { leavingOut, ownPaths } from './work.js';
import { baseTip, findConflicts, lookAtWorktree } from './look.js';
import { judge, removeWorktree, type Verdict } from './cleanup.js';
import { own } from '../util/own.js';

/** The agents that have worktrees. */
export const worktreeAgents = (data: StoreData): AgentRecord[] => Object.values(data.agents).filter((a) => a.worktree);

/** An agent by name that has a worktree, or a clear error. */
export function agentWithWorktree(data: StoreData, name: string): AgentRecord {
  const agent = own(data.agents, name);
  if (!agent)
    throw new OrchestratorError(
      `no agent named "${name}" in session "${data.session?.name ?? '?'}" (agents: ${Object.keys(data.agents).join(', ') || 'none'})`,
    );
  if (!agent.worktree) {
    const with_ = worktreeAgents(data).map((a) => a.name);
    throw new OrchestratorError(
      `agent ${name} has no worktree of its own (worktree: true in the layout)${with_.length ? `; agents with one: ${with_.join(', ')}` : ''}`,
    );
  }
  // (A worktree on another host is looked for there, by what uses it.)
  if (!agent.worktree.host && !existsSync(agent.worktree.path)) {
    throw new OrchestratorError(
      `agent ${name}'s worktree ${agent.worktree.path} is gone (removed by session end or worktrees prune once its work was merged, or by hand); ./start.mts makes it again from its branch ${agent.worktree.branch} if that is still there`,
    );
  }
  return agent;
}

/** The agent's work against its base, uncommitted and untracked files included (git diff BASE...WORK). */
export function agentDiff(
  agent: AgentRecord,
  opts: { stat?: boolean; nameOnly?: boolean; color?: boolean } = {},
): Promise<string> {
  return onMachine(machineOf(agent), () => diffHere(agent, opts));
}

async function diffHere(
  agent: AgentRecord,
  opts: { stat?: boolean; nameOnly?: boolean; color?: boolean },
): Promise<string> {
  const snap = await snapshotCommit(agent.worktree!.path, leavingOut(await ownPaths(agent.worktree!)));
  const base = await baseTip(agent);
  const format = opts.nameOnly ? ['--name-status'] : opts.stat ? ['--stat'] : [];
  return gitOk(agent.worktree!.path, [
    'diff',
    opts.color ? '--color=always' : '--no-color',
    ...format,
    `${base}...${snap.commit}`,
  ]);
}

/** Every worktree's state and the conflicts among them, as they are now. */
export async function lookNow(
  data: StoreData,
): Promise<{ states: Record<string, WorktreeState>; conflicts: ConflictRecord[] }> {
  const agents = worktreeAgents(data);
  const states: Record<string, WorktreeState> = {};
  for (const a of agents) {
    const s = await lookAtWorktree(a);
    if (s) states[a.name] = s;
  }
  return { states, conflicts: await findConflicts(agents, states) };
}

/** Whether an agent's process may still write in its worktree. */
const running = (data: StoreData, a: AgentRecord): boolean =>
  Boolean(data.session && !data.session.ended_at && !data.session.lost_at && a.status !== 'exited');

/** Removes every worktree that is safe to remove and whose agent is not running; says what it did with each. */
export async function pruneWorktrees(
  data: StoreData,
  stateDir: string,
  opts: { dryRun?: boolean } = {},
): Promise<{ agent: string; removed: boolean; text: string; verdict: Verdict }[]> {
  const out: { agent: string; removed: boolean; text: string; verdict: Verdict }[] = [];
  for (const a of worktreeAgents(data)) {
    const verdict = await judge(a, stateDir);
    if (running(data, a)) {
      out.push({
        agent: a.name,
        removed: false,
        text: `kept ${a.worktree!.path}: ${a.name} is running in it (session end removes what is safe)`,
        verdict,
      });
      continue;
    }
    if (!verdict.removable || opts.dryRun) {
      out.push({
        agent: a.name,
        removed: false,
        text: `${verdict.removable ? 'would remove' : 'kept'} ${a.worktree!.path}: ${verdict.why}`,
        verdict,
      });
      continue;
    }
    out.push({ agent: a.name, ...(await removeWorktree(a, stateDir)), verdict });
  }
  return out;
}
