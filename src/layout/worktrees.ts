// The worktrees: section's paths, checked before anything is made: the worktrees' folder is one of
// their own inside the repository (its line in .git/info/exclude must hide nothing but them), and
// copy/link globs stay inside the project.
import { isAbsolute, posix } from 'node:path';
import { gitSync } from '../git/git.js';

type Problem = (path: (string | number)[], message: string) => void;

/** What is wrong with a worktrees.dir by its text alone, or undefined. */
export function dirShapeProblem(dir: string): string | undefined {
  const norm = posix.normalize(dir.replace(/\\/g, '/')).replace(/\/+$/, '');
  const want = '(expected a folder of their own inside the repository, relative to its top, e.g. .worktrees)';
  if (isAbsolute(dir)) return `is an absolute path ${want}`;
  if (norm === '.' || norm === '')
    return `is the repository's top itself: the agents' worktrees would sit among the project's files, and the line that keeps them out of git status would hide everything new ${want}`;
  if (norm === '..' || norm.startsWith('../')) return `leaves the repository ${want}`;
  if (norm.split('/')[0] === '.git') return `is inside .git ${want}`;
  return undefined;
}

/** What is wrong with a worktrees.dir that holds files git tracks, or undefined. */
export function dirTrackedProblem(dir: string, tracked: string[]): string | undefined {
  if (!tracked.length) return undefined;
  return `holds files git tracks (${tracked.slice(0, 3).join(', ')}${tracked.length > 3 ? ', ...' : ''}): the line that keeps the worktrees out of git status would hide new files there too (expected a folder git does not track, e.g. .worktrees or ${posix.join(dir, '.worktrees')})`;
}

/** What is wrong with a copy or link glob, or undefined. */
export function globProblem(glob: string): string | undefined {
  const want = '(expected a glob relative to the repository\'s top, inside it, e.g. ".env*" or "config/*.local.json")';
  if (isAbsolute(glob)) return `is an absolute path: it would bring in files from outside the project ${want}`;
  const parts = glob.replace(/\\/g, '/').split('/');
  if (parts.includes('..')) return `has a ".." segment: it would reach outside the project ${want}`;
  if (!parts.some((p) => p && p !== '.')) return `names the repository's top itself ${want}`;
  return undefined;
}

/** The files git tracks in a folder of the repository at top (relative to top). */
export const trackedIn = (top: string, rel: string): string[] =>
  (gitSync(top, ['ls-files', '-z', '--', `:(literal)${rel}`]) ?? '').split('\0').filter(Boolean);

/** Checks the worktrees: section; with worktree agents here, whether git tracks files in dir (git runs for that). */
export function checkWorktrees(wt: Record<string, unknown>, root: string, askGit: boolean, problem: Problem): void {
  for (const key of ['copy', 'link'] as const) {
    ((wt[key] as string[] | undefined) ?? []).forEach((glob, i) => {
      const why = globProblem(glob);
      if (why) problem(['worktrees', key, i], why);
    });
  }
  const dir = (wt.dir as string | undefined) ?? '.worktrees';
  const shape = dirShapeProblem(dir);
  if (shape) {
    problem(['worktrees', 'dir'], shape);
    return;
  }
  if (!askGit) return;
  const top = gitSync(root, ['rev-parse', '--show-toplevel'])?.trim();
  if (!top) return;
  const tracked = dirTrackedProblem(dir, trackedIn(top, posix.normalize(dir.replace(/\\/g, '/')).replace(/\/+$/, '')));
  if (tracked) problem(['worktrees', 'dir'], tracked);
}
