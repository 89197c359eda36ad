// Merging an agent's branch back, with nothing at risk: the merge is computed in memory
// (merge-tree), so a conflict changes nothing at all; only a clean result moves the target, by a
// compare-and-swap of its ref, or, when the target is checked out somewhere, by a fast-forward
// there that git itself refuses if it would touch local changes. Nothing the agent has not
// committed is merged unless asked (--commit-all), and then it is committed only if the merge goes
// through. Merges into one target take turns (a lock), and a branch git is busy with (mid-rebase,
// say) is never moved.
import type { AgentRecord } from '../store/types.js';
import { OrchestratorError } from '../core/errors.js';
import { commitOf, git, gitOk, isAncestor, worktreeList, onMachine } from '../git/git.js';
import { machineOf } from './machine.js';
import { mergeTree, withSnapshot, TOOL_IDENTITY, type FileConflict, type Snapshot } from '../git/merge-tree.js';
import { busyText, busyWith } from '../git/busy.js';
import { withRefLock } from '../git/lock.js';
import { adoptSnapshot } from '../git/adopt.js';
import { inspectWork, leavingOut, ownPaths, refuseStagedCopies, type WorkItem } from './work.js';

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
  (await gitOk(dir, ['log', '--reverse', '--no-merges', '--format=%H %s', `${target}..${source}`]))
    .split('\n')
    .filter(Boolean)
    .map((l) => ({ id: l.slice(0, 40), subject: l.slice(41) }));

/** A commit's author, kept when its change is replayed (rebase). */
async function authorOf(dir: string, commit: string): Promise<Record<string, string>> {
  const [name = '', email = '', date = ''] = (
    await gitOk(dir, ['log', '-1', '--format=%an%x00%ae%x00%aI', commit])
  ).split('\0');
  return { GIT_AUTHOR_NAME: name, GIT_AUTHOR_EMAIL: email, GIT_AUTHOR_DATE: date };
}

/**
 * Replays each commit of source onto target, in memory: a commit C is applied as the merge of
 * target' with C over C's parent (a stand-in commit with target's tree and C's parent makes
 * merge-tree take that parent as the base). Returns the new tip, or the first conflict.
 */
async function replay(
  dir: string,
  target: string,
  commits: { id: string; subject: string }[],
): Promise<{ tip: string } | { conflicts: FileConflict[]; at: string }> {
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
    never.length
      ? ` --commit-all never commits ${never
          .slice(0, 5)
          .map((w) => `${w.path} (${w.what})`)
          .join(
            ', ',
          )}${never.length > 5 ? ', ...' : ''}: commit ${never.length === 1 ? 'it' : 'them'} by hand if ${never.length === 1 ? 'it belongs' : 'they belong'} in git.`
      : ''
  }`;
}

/** Merges an agent's branch into a target branch (see MergeRequest), on the machine of its worktree; throws only for a request that cannot be done. */
export function mergeAgent(req: MergeRequest): Promise<MergeOutcome> {
  return onMachine(machineOf(req.agent), () => mergeHere(req));
}

async function mergeHere(req: MergeRequest): Promise<MergeOutcome> {
  const { agent } = req;
  const wt = agent.worktree;
  if (!wt)
    throw new OrchestratorError(
      `agent ${agent.name} has no worktree of its own (worktree: true in the layout), so it has nothing to merge`,
    );
  const target = req.into ?? wt.base;
  if (!(await commitOf(wt.repo, `refs/heads/${target}`))) {
    throw new OrchestratorError(
      req.into
        ? `no branch "${target}" in ${wt.repo} to merge into`
        : `agent ${agent.name}'s worktree started from the commit ${wt.base.slice(0, 12)}, not a branch: say where to merge with --into BRANCH`,
    );
  }
  if (target === wt.branch) throw new OrchestratorError(`cannot merge ${wt.branch} into itself`);
  // One merge into a target at a time: the second reads the target after the first and merges on top.
  return req.check ? mergeNow(req, target) : withRefLock(wt.repo, `refs/heads/${target}`, () => mergeNow(req, target));
}

/** The merge, with the target's lock held (or only looked at, --check): refusals first, then the changes. */
async function mergeNow(req: MergeRequest, target: string): Promise<MergeOutcome> {
  const wt = req.agent.worktree!;
  if (!req.check) {
    for (const branch of [target, wt.branch]) {
      const busy = await busyWith(wt.repo, branch);
      if (busy)
        throw new OrchestratorError(
          `${busyText(branch, busy)}. Nothing was changed: merge again once that is over (a branch git is busy with is never moved under it).`,
        );
    }
  }
  // The agent's work, not our copies (work.ts): --commit-all commits what it can, never a copy.
  const work = (await inspectWork(req.agent)).work;
  if (req.commitAll === undefined || !work.some((w) => w.commitAll)) return planAndMove(req, target, work);
  await refuseStagedCopies(wt);
  // --commit-all: the would-be commit is made aside (a temporary index), and becomes the branch's only if the merge goes through.
  const leaveOut = leavingOut(await ownPaths(wt));
  return withSnapshot(wt.path, req.check ? { leaveOut } : { message: req.commitAll, leaveOut }, (snap) =>
    planAndMove(req, target, work, snap.dirty ? snap : undefined),
  );
}

async function planAndMove(
  req: MergeRequest,
  target: string,
  work: WorkItem[],
  snap?: Snapshot,
): Promise<MergeOutcome> {
  const { agent } = req;
  const wt = agent.worktree!;
  const repo = wt.repo;
  const targetTip = (await commitOf(repo, `refs/heads/${target}`))!;
  const source = snap?.commit ?? (await gitOk(wt.path, ['rev-parse', 'HEAD']));
  const dirty = work.map((w) => w.line);
  // With a snapshot, what it committed (or would) is not left; what --commit-all never commits is.
  const leftWork = snap ? work.filter((w) => !w.commitAll) : work;
  const base = {
    agent: agent.name,
    branch: wt.branch,
    target,
    uncommitted: snap && !req.check ? leftWork.map((w) => w.line) : dirty,
  };
  const left = leftText(leftWork, wt.path);
  const kept = snap && !req.check ? ` Nothing was committed: the uncommitted work stays as it is in ${wt.path}.` : '';
  const commits = await commitList(repo, targetTip, source);
  if ((await isAncestor(repo, source, targetTip)) || !commits.length) {
    return {
      ...base,
      result: 'nothing',
      commit: targetTip,
      commits: 0,
      conflicts: [],
      message: `${target} already has everything committed on ${wt.branch}.${left}`,
    };
  }
  const merged = await mergeTree(repo, targetTip, source);
  if (!merged.clean) {
    return {
      ...base,
      uncommitted: dirty,
      result: 'conflict',
      commit: targetTip,
      commits: commits.length,
      conflicts: merged.conflicts,
      message: `${wt.branch}${snap ? ' with its uncommitted work' : ''} does not merge cleanly into ${target}: conflicts in ${merged.conflicts.map((c) => c.path).join(', ')}. Nothing was changed: ${target}, ${wt.branch} and every checkout are as they were.${kept}`,
    };
  }
  const made = await newTip(req, target, targetTip, source, commits, merged.tree);
  if ('conflicts' in made) {
    return {
      ...base,
      uncommitted: dirty,
      result: 'conflict',
      commit: targetTip,
      commits: commits.length,
      conflicts: made.conflicts,
      message: `${wt.branch} merges cleanly into ${target} as a whole, but replaying its commits one by one stops at ${made.at}: conflicts in ${made.conflicts.map((c) => c.path).join(', ')}. Nothing was changed; --squash or a plain merge would go through.${kept}`,
    };
  }
  const verb = req.mode === 'merge' ? 'merges' : req.mode === 'squash' ? 'squashes' : 'rebases';
  if (req.check) {
    return {
      ...base,
      result: 'clean',
      commit: targetTip,
      commits: commits.length,
      conflicts: [],
      message: `${wt.branch} ${verb} cleanly into ${target} (${commits.length} commit${commits.length === 1 ? '' : 's'}).${left}`,
    };
  }
  await moveAll(wt, target, targetTip, made.tip, snap);
  const after = snap ? (await inspectWork(agent)).work : work;
  const leftAfter = leftText(after, wt.path);
  const how =
    req.mode === 'merge' && made.tip === source
      ? 'fast-forwarded'
      : req.mode === 'merge'
        ? 'merged'
        : req.mode === 'squash'
          ? 'squashed'
          : 'rebased';
  return {
    ...base,
    uncommitted: after.map((w) => w.line),
    result: 'merged',
    commit: made.tip,
    commits: commits.length,
    conflicts: [],
    message: `${how} ${commits.length} commit${commits.length === 1 ? '' : 's'} of ${wt.branch} into ${target} (now ${made.tip.slice(0, 12)}).${snap ? ` Its uncommitted work was committed on ${wt.branch} first, as ${snap.commit.slice(0, 12)}.` : ''}${leftAfter}`,
  };
}

/** The target's new tip for the mode, or where replaying the commits one by one stops (--rebase). */
async function newTip(
  req: MergeRequest,
  target: string,
  targetTip: string,
  source: string,
  commits: { id: string; subject: string }[],
  tree: string,
): Promise<{ tip: string } | { conflicts: FileConflict[]; at: string }> {
  const wt = req.agent.worktree!;
  if (req.mode === 'rebase') return replay(wt.repo, targetTip, commits);
  if (req.mode === 'squash') {
    const message = `${wt.branch}: ${commits.length === 1 ? commits[0]!.subject : `${commits.length} commits of agent ${req.agent.name}`}\n\n${commits.map((c) => `* ${c.subject}`).join('\n')}\n`;
    return { tip: await gitOk(wt.repo, ['commit-tree', tree, '-p', targetTip], { input: message }) };
  }
  if (await isAncestor(wt.repo, targetTip, source)) return { tip: source };
  return {
    tip: await gitOk(wt.repo, [
      'commit-tree',
      tree,
      '-p',
      targetTip,
      '-p',
      source,
      '-m',
      `Merge branch '${wt.branch}' into ${target}`,
    ]),
  };
}

/**
 * Moves the target from old to tip and, with --commit-all, the agent's branch to its new commit
 * first. What can refuse is asked before anything is written (a checkout of the target that git
 * would not fast-forward); a write that fails after that says what was done.
 */
async function moveAll(
  wt: NonNullable<AgentRecord['worktree']>,
  target: string,
  old: string,
  tip: string,
  snap?: Snapshot,
): Promise<void> {
  const checkout = (await worktreeList(wt.repo)).find((w) => w.branch === target);
  if (checkout) {
    const r = await git(checkout.path, ['read-tree', '-n', '-m', '-u', old, tip]);
    if (r.code !== 0)
      throw new OrchestratorError(
        `${target} is checked out at ${checkout.path}, and git would not move it there: ${gitSaid(r)}. Nothing was changed; commit or stash the changes there, then merge again.`,
      );
  }
  if (snap) await adoptSnapshot(wt.path, snap);
  const refused = await moveBranch(wt.repo, target, old, tip, checkout?.path);
  if (!refused) return;
  throw new OrchestratorError(
    snap
      ? `${refused}. The uncommitted work in ${wt.path} was committed on ${wt.branch} as ${snap.commit.slice(0, 12)} (its files are as they were); ${target} was not moved: merge again.`
      : `${refused}. Nothing was changed; merge again${checkout ? ' once the checkout is ready for it' : ''}.`,
  );
}

const gitSaid = (r: { stdout: string; stderr: string }): string =>
  (r.stderr || r.stdout).trim().split('\n').slice(0, 6).join('; ');

/**
 * Moves a branch from old to tip (a descendant); returns why not. Checked out somewhere: a
 * fast-forward in that checkout, which git refuses if it would overwrite local changes there.
 * Else a compare-and-swap of the ref: a branch moved meanwhile is not overwritten.
 */
async function moveBranch(
  repo: string,
  branch: string,
  old: string,
  tip: string,
  checkout: string | undefined,
): Promise<string | undefined> {
  if (checkout) {
    const r = await git(checkout, ['merge', '--ff-only', '--quiet', tip]);
    return r.code === 0
      ? undefined
      : `${branch} is checked out at ${checkout}, and git would not move it there: ${gitSaid(r)}`;
  }
  const r = await git(repo, ['update-ref', '-m', `claude-orchestrator merge`, `refs/heads/${branch}`, tip, old]);
  return r.code === 0 ? undefined : `${branch} moved while the merge was made (${r.stderr.trim()})`;
}
