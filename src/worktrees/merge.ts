// Merging an agent's branch back, with nothing at risk: the merge is computed in memory
// (merge-tree), so a conflict changes nothing at all; only a clean result moves the target, by a
// compare-and-swap of its ref, or, when the target is checked out somewhere, by a fast-forward
// there that git itself refuses if it would touch local changes. Nothing the agent has not
// committed is merged unless asked (--commit-all).
import type { AgentRecord } from '../store/types.js';
import { OrchestratorError } from '../core/errors.js';
import { commitOf, git, gitOk, isAncestor, worktreeList , onMachine } from '../git/git.js';
import { machineOf } from './machine.js';
import { mergeTree, snapshotCommit, TOOL_IDENTITY, type FileConflict } from '../git/merge-tree.js';
import { inspectWork, leavingOut, ownPaths, stageWork, type WorkItem } from './work.js';

export type MergeMode = 'merge' | 'squash' | 'rebase';

export interface MergeRequest {
  agent: AgentRecord;
  /** The branch to merge into (default: the agent's base). */
  into?: string;
  mode: MergeMode;
  /** Commit everything uncommitted in the worktree first, with this message. */
  commitAll?: string;
  /** Only say whether it would merge cleanly (with commitAll: uncommitted work included, nothing committed). */
  check?: boolean;
}

export interface MergeOutcome {
  /** merged: the target moved; clean: it would (--check); nothing: the target has it all already; conflict: nothing changed. */
  result: 'merged' | 'clean' | 'nothing' | 'conflict';
  agent: string;
  branch: string;
  target: string;
  /** The target's commit after (merged) or as it is. */
  commit: string;
  commits: number;
  conflicts: FileConflict[];
  /** Files left uncommitted in the worktree (not merged). */
  uncommitted: string[];
  message: string;
}

/** The short subject lines of the commits of source not in target, oldest first. */
const commitList = async (dir: string, target: string, source: string): Promise<{ id: string; subject: string }[]> =>
  (await gitOk(dir, ['log', '--reverse', '--no-merges', '--format=%H %s', `${target}..${source}`])).split('\n').filter(Boolean)
    .map((l) => ({ id: l.slice(0, 40), subject: l.slice(41) }));

/** A commit's author, kept when its change is replayed (rebase). */
async function authorOf(dir: string, commit: string): Promise<Record<string, string>> {
  const [name = '', email = '', date = ''] = (await gitOk(dir, ['log', '-1', '--format=%an%x00%ae%x00%aI', commit])).split('\0');
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: date };
}

/**
 * Replays each commit of source onto target, in memory: a commit C is applied as the merge of
 * target' with C over C's parent (a stand-in commit with target's tree and C's parent makes
 * merge-tree take that parent as the base). Returns the new tip, or the first conflict.
 */
async function replay(dir: string, target: string, commits: { id: string; subject: string }[]): Promise<{ tip: string } | { conflicts: FileConflict[]; at: string }> {
  let tip = target;
  for (const c of commits) {
    const parent = await gitOk(dir, ['rev-parse', `${c.id}^`]);
    const tree = await gitOk(dir, ['rev-parse', `${tip}^{tree}`]);
    const standIn = await gitOk(dir, ['commit-tree', tree, '-p', parent, '-m', 'stand-in'], { env: TOOL_IDENTITY });
    const merged = await mergeTree(dir, standIn, c.id);
    if (!merged.clean) return { conflicts: merged.conflicts, at: `${c.id.slice(0, 10)} ${c.subject}` };
    const message = await gitOk(dir, ['log', '-1', '--format=%B', c.id]);
    tip = await gitOk(dir, ['commit-tree', merged.tree, '-p', tip], { input: message, env: await authorOf(dir, c.id) });
  }
  return { tip };
}

/** What stays in the worktree, unmerged: what --commit-all would commit, and what it never does (copies the agent changed, hidden files). */
function leftText(work: WorkItem[], path: string): string {
  if (!work.length) return '';
  const never = work.filter((w) => !w.commitAll);
  return ` ${work.length} uncommitted file${work.length === 1 ? ' is' : 's are'} left in ${path} and not merged${work.length > never.length ? ' (--commit-all "message" commits them first)' : ''}.${
    never.length ? ` --commit-all never commits ${never.slice(0, 5).map((w) => `${w.path} (${w.what})`).join(', ')}${never.length > 5 ? ', ...' : ''}: commit ${never.length === 1 ? 'it' : 'them'} by hand if ${never.length === 1 ? 'it belongs' : 'they belong'} in git.` : ''}`;
}

/** Merges an agent's branch into a target branch (see MergeRequest), on the machine of its worktree; throws only for a request that cannot be done. */
export function mergeAgent(req: MergeRequest): Promise<MergeOutcome> {
  return onMachine(machineOf(req.agent), () => mergeHere(req));
}

async function mergeHere(req: MergeRequest): Promise<MergeOutcome> {
  const { agent } = req;
  const wt = agent.worktree;
  if (!wt) throw new OrchestratorError(`agent ${agent.name} has no worktree of its own (worktree: true in the layout), so it has nothing to merge`);
  const repo = wt.repo;
  const target = req.into ?? wt.base;
  const targetTip = await commitOf(repo, `refs/heads/${target}`);
  if (!targetTip) {
    throw new OrchestratorError(req.into ? `no branch "${target}" in ${repo} to merge into` : `agent ${agent.name}'s worktree started from the commit ${wt.base.slice(0, 12)}, not a branch: say where to merge with --into BRANCH`);
  }
  if (target === wt.branch) throw new OrchestratorError(`cannot merge ${wt.branch} into itself`);

  // The agent's work, not our copies (work.ts); --commit-all commits what it can, never a copy.
  let work = (await inspectWork(agent)).work;
  if (req.commitAll !== undefined && work.some((w) => w.commitAll) && !req.check) {
    await stageWork(agent);
    await gitOk(wt.path, ['commit', '--quiet', '-m', req.commitAll]);
    work = (await inspectWork(agent)).work;
  }
  // --check --commit-all: what the commit would hold (a snapshot), with nothing committed.
  const snapshot = req.check && req.commitAll !== undefined && work.some((w) => w.commitAll);
  const source = snapshot ? (await snapshotCommit(wt.path, leavingOut(ownPaths(wt)))).commit : await gitOk(wt.path, ['rev-parse', 'HEAD']);
  const dirty = work.map((w) => w.line);
  const base = { agent: agent.name, branch: wt.branch, target, uncommitted: dirty };
  const left = leftText(snapshot ? work.filter((w) => !w.commitAll) : work, wt.path);
  const commits = await commitList(repo, targetTip, source);
  if (await isAncestor(repo, source, targetTip) || !commits.length) {
    return { ...base, result: 'nothing', commit: targetTip, commits: 0, conflicts: [], message: `${target} already has everything committed on ${wt.branch}.${left}` };
  }
  const merged = await mergeTree(repo, targetTip, source);
  if (!merged.clean) {
    return { ...base, result: 'conflict', commit: targetTip, commits: commits.length, conflicts: merged.conflicts,
      message: `${wt.branch} does not merge cleanly into ${target}: conflicts in ${merged.conflicts.map((c) => c.path).join(', ')}. Nothing was changed: ${target} and every checkout are as they were.` };
  }
  const verb = req.mode === 'merge' ? 'merges' : req.mode === 'squash' ? 'squashes' : 'rebases';
  let tip: string;
  if (req.mode === 'rebase') {
    const replayed = await replay(repo, targetTip, commits);
    if ('conflicts' in replayed) {
      return { ...base, result: 'conflict', commit: targetTip, commits: commits.length, conflicts: replayed.conflicts,
        message: `${wt.branch} merges cleanly into ${target} as a whole, but replaying its commits one by one stops at ${replayed.at}: conflicts in ${replayed.conflicts.map((c) => c.path).join(', ')}. Nothing was changed; --squash or a plain merge would go through.` };
    }
    tip = replayed.tip;
  } else if (req.mode === 'squash') {
    const message = `${wt.branch}: ${commits.length === 1 ? commits[0]!.subject : `${commits.length} commits of agent ${agent.name}`}\n\n${commits.map((c) => `* ${c.subject}`).join('\n')}\n`;
    tip = await gitOk(repo, ['commit-tree', merged.tree, '-p', targetTip], { input: message });
  } else if (await isAncestor(repo, targetTip, source)) {
    tip = source;
  } else {
    tip = await gitOk(repo, ['commit-tree', merged.tree, '-p', targetTip, '-p', source, '-m', `Merge branch '${wt.branch}' into ${target}`]);
  }
  if (req.check) {
    return { ...base, result: 'clean', commit: targetTip, commits: commits.length, conflicts: [], message: `${wt.branch} ${verb} cleanly into ${target} (${commits.length} commit${commits.length === 1 ? '' : 's'}).${left}` };
  }
  await moveBranch(repo, target, targetTip, tip);
  const how = req.mode === 'merge' && tip === source ? 'fast-forwarded' : req.mode === 'merge' ? 'merged' : req.mode === 'squash' ? 'squashed' : 'rebased';
  return { ...base, result: 'merged', commit: tip, commits: commits.length, conflicts: [],
    message: `${how} ${commits.length} commit${commits.length === 1 ? '' : 's'} of ${wt.branch} into ${target} (now ${tip.slice(0, 12)}).${left}` };
}

/**
 * Moves a branch from old to tip (a descendant). Checked out somewhere: a fast-forward in that
 * checkout, which git refuses, changing nothing, if it would overwrite local changes there.
 * Else a compare-and-swap of the ref: a branch moved meanwhile is not overwritten.
 */
async function moveBranch(repo: string, branch: string, old: string, tip: string): Promise<void> {
  const checkout = (await worktreeList(repo)).find((w) => w.branch === branch);
  if (checkout) {
    const r = await git(checkout.path, ['merge', '--ff-only', '--quiet', tip]);
    if (r.code !== 0) {
      throw new OrchestratorError(`${branch} is checked out at ${checkout.path}, and git would not move it there: ${(r.stderr || r.stdout).trim().split('\n').slice(0, 6).join('; ')}. Nothing was changed; commit or stash the changes there, then merge again.`);
    }
    return;
  }
  const r = await git(repo, ['update-ref', '-m', `claude-orchestrator merge`, `refs/heads/${branch}`, tip, old]);
  if (r.code !== 0) throw new OrchestratorError(`${branch} moved while the merge was made; nothing was changed, merge again (${r.stderr.trim()})`);
}
