// Removing worktrees only when nothing in them would be lost: no uncommitted or hidden file but our
// unchanged copies (work.ts), no commit the base does not have (merged, squashed or rebased alike). Removal is
// git's own `worktree remove` without --force (it refuses a worktree with changes by itself), and
// a branch is deleted only with `branch -d` or, when its work is in the base by content
// (squash, rebase), by a ref delete that names the commit we checked. Everything else is kept,
// with the reason and the commands to merge it or to drop it by hand.
import { rmSync } from 'node:fs';
import { sh } from './there.js';
import { join } from 'node:path';
import type { AgentRecord } from '../store/types.js';
import { quote, quoteArgv } from '../util/shell-quote.js';
import { orchestrateScript } from '../util/paths.js';
import { branchExists, commitOf, git, gitOk, onMachine, pathExists } from '../git/git.js';
import { machineOf } from './machine.js';
import { contentMerged } from '../git/merge-tree.js';
import { baseTip } from './look.js';
import { busyText, busyWith } from '../git/busy.js';
import { describeWork, inspectWork } from './work.js';

/** What to do with one agent's worktree. */
export interface Verdict {
  agent: string;
  path: string;
  branch: string;
  base: string;
  /** Nothing would be lost by removing it. */
  removable: boolean;
  /** Why it is kept (or "nothing uncommitted or unmerged"). */
  why: string;
  /** Commands a person can run: merge it, or drop it (by hand only: the drop loses its work). */
  merge: string[];
  drop: string[];
}

/** Whether an agent's worktree can go, and if not, why (asked on the machine it is on). */
export function judge(agent: AgentRecord, stateDir: string): Promise<Verdict> {
  return onMachine(machineOf(agent), () => judgeHere(agent, stateDir));
}

async function judgeHere(agent: AgentRecord, stateDir: string): Promise<Verdict> {
  const wt = agent.worktree!;
  const merge = [quoteArgv([orchestrateScript, 'merge', agent.name, '--state', stateDir])];
  const drop = [
    `git -C ${quote(wt.repo)} worktree remove --force ${quote(wt.path)}`,
    `git -C ${quote(wt.repo)} branch -D ${quote(wt.branch)}`,
  ];
  const verdict = (removable: boolean, why: string, commands = merge): Verdict => ({
    agent: agent.name,
    path: wt.path,
    branch: wt.branch,
    base: wt.base,
    removable,
    why,
    merge: commands,
    drop,
  });
  if (!(await pathExists(wt.path))) return verdict(false, 'its worktree is gone already', []);
  const found = await inspectWork(agent).catch(() => undefined);
  if (found === undefined) return verdict(false, `git cannot read ${wt.path}`);
  if (found.work.length) {
    const commitAll = found.work.some((w) => w.commitAll);
    return verdict(
      false,
      `${describeWork(found.work)}, in no commit: removing the worktree would lose ${found.work.length === 1 ? 'it' : 'them'}`,
      commitAll
        ? [
            quoteArgv([
              orchestrateScript,
              'merge',
              agent.name,
              '--commit-all',
              `work of ${agent.name}`,
              '--state',
              stateDir,
            ]),
          ]
        : merge,
    );
  }
  // A base git is busy with (mid-rebase, say) may yet be reset to what it was: its content proves nothing.
  // The agent's own branch mid-rebase (clean, detached) would lose the rebase with its worktree.
  for (const branch of [wt.base, wt.branch]) {
    const busy = await busyWith(wt.repo, branch);
    if (busy) return verdict(false, `${busyText(branch, busy)}; whether it can go is judged once that is over`);
  }
  const head = await gitOk(wt.path, ['rev-parse', 'HEAD']);
  const tip = await baseTip(agent);
  if (!(await contentMerged(wt.repo, tip, head))) {
    const ahead = Number((await gitOk(wt.repo, ['rev-list', '--count', `${tip}..${head}`])).trim());
    return verdict(false, `${ahead} commit${ahead === 1 ? '' : 's'} on ${wt.branch} not in ${wt.base}`);
  }
  return verdict(true, `nothing uncommitted, and ${wt.base} has all of ${wt.branch}`);
}

/**
 * Removes a worktree judged removable (judged again here, just before), then its branch when that
 * is safe. Returns what was done, or why it was kept after all.
 */
export function removeWorktree(agent: AgentRecord, stateDir: string): Promise<{ removed: boolean; text: string }> {
  return onMachine(machineOf(agent), () => removeHere(agent, stateDir));
}

async function removeHere(agent: AgentRecord, stateDir: string): Promise<{ removed: boolean; text: string }> {
  const wt = agent.worktree!;
  const v = await judgeHere(agent, stateDir);
  if (!v.removable) return { removed: false, text: `kept ${wt.path}: ${v.why}` };
  // Our own copies and links go first (git counts them as untracked or ignored files, not work);
  // only those git does not track and that still hold what we put there.
  const ours = (await inspectWork(agent)).ours;
  if (wt.host && ours.length) await sh('cd "$1" && shift && rm -f -- "$@"', [wt.path, ...ours]);
  else for (const rel of ours) rmSync(join(wt.path, rel), { force: true, recursive: false });
  const r = await git(wt.repo, ['worktree', 'remove', wt.path]);
  if (r.code !== 0)
    return { removed: false, text: `kept ${wt.path}: git would not remove it (${r.stderr.trim().split('\n')[0]})` };
  const head = await commitOf(wt.repo, `refs/heads/${wt.branch}`);
  let branch = '';
  if (head && (await branchExists(wt.repo, wt.branch))) {
    const d = await git(wt.repo, ['branch', '-d', wt.branch]);
    if (d.code === 0) branch = `; deleted branch ${wt.branch}`;
    else if (await contentMerged(wt.repo, await baseTip(agent), head)) {
      // Squashed or rebased into the base: -d cannot see it; the delete names the commit just checked.
      const u = await git(wt.repo, ['update-ref', '-d', `refs/heads/${wt.branch}`, head]);
      branch =
        u.code === 0 ? `; deleted branch ${wt.branch} (its work is in ${wt.base})` : `; kept branch ${wt.branch}`;
    } else branch = `; kept branch ${wt.branch}`;
  }
  return { removed: true, text: `removed ${wt.path}${branch}` };
}
