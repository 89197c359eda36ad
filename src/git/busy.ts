// Whether git is in the middle of something with a branch: a rebase, merge, cherry-pick, revert or
// bisect stopped in a checkout. Such a branch must not be moved under it (the operation's end
// would rewrite or reset it, losing what was put there meanwhile), nor judged "merged" by what it
// holds now. During a rebase or bisect HEAD is detached; the branch is named in the git dir.
import { git, pathExists, readText, worktreeList } from './git.js';

/** A checkout where git is busy with a branch, and what to do about it. */
export interface BusyCheckout {
  path: string;
  operation: string;
  advice: string;
}

/** The operations a checkout can be in the middle of, by the file or folder in its git dir that says so. */
const OPERATIONS: { file: string; operation: string; advice: (at: string) => string; branchFile?: string }[] = [
  {
    file: 'rebase-merge',
    operation: 'a rebase',
    branchFile: 'rebase-merge/head-name',
    advice: (at) => `finish it (resolve, then ${at} rebase --continue) or abort it (${at} rebase --abort)`,
  },
  {
    file: 'rebase-apply',
    operation: 'a rebase or git am',
    branchFile: 'rebase-apply/head-name',
    advice: (at) =>
      `finish it (${at} rebase --continue, or am --continue) or abort it (${at} rebase --abort, or am --abort)`,
  },
  {
    file: 'MERGE_HEAD',
    operation: 'a merge',
    advice: (at) => `finish it (resolve, then ${at} commit) or abort it (${at} merge --abort)`,
  },
  {
    file: 'CHERRY_PICK_HEAD',
    operation: 'a cherry-pick',
    advice: (at) => `finish it (${at} cherry-pick --continue) or abort it (${at} cherry-pick --abort)`,
  },
  {
    file: 'REVERT_HEAD',
    operation: 'a revert',
    advice: (at) => `finish it (${at} revert --continue) or abort it (${at} revert --abort)`,
  },
  {
    file: 'sequencer',
    operation: 'a series of cherry-picks or reverts',
    advice: (at) => `finish it (${at} cherry-pick --continue) or end it (${at} cherry-pick --quit)`,
  },
  {
    file: 'BISECT_LOG',
    operation: 'a bisect',
    branchFile: 'BISECT_START',
    advice: (at) => `end it (${at} bisect reset)`,
  },
];

/** The first checkout of the repository where git is in the middle of an operation on branch (short name), or undefined. */
export async function busyWith(repo: string, branch: string): Promise<BusyCheckout | undefined> {
  for (const w of await worktreeList(repo)) {
    // A checkout of another branch can only be busy with this one while detached (rebase, bisect).
    if (w.prunable || (w.branch !== null && w.branch !== branch) || !(await pathExists(w.path))) continue;
    const r = await git(w.path, ['rev-parse', '--absolute-git-dir']);
    if (r.code !== 0) continue;
    const dir = r.stdout.trim();
    for (const op of OPERATIONS) {
      if (!(await pathExists(`${dir}/${op.file}`))) continue;
      const named = op.branchFile
        ? (await readText(`${dir}/${op.branchFile}`))?.trim().replace(/^refs\/heads\//, '')
        : undefined;
      if (w.branch !== branch && named !== branch) continue;
      return { path: w.path, operation: op.operation, advice: op.advice(`git -C ${w.path}`) };
    }
  }
  return undefined;
}

/** A sentence saying that branch is busy there and what to do. */
export const busyText = (branch: string, b: BusyCheckout): string =>
  `${branch} is in the middle of ${b.operation} in ${b.path}; ${b.advice}`;
