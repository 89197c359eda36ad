// Committing a worktree's work after the fact: a snapshot made with a temporary index (withSnapshot)
// becomes the worktree's commit. HEAD moves to it by a compare-and-swap, and the temporary index
// replaces the real one under git's own index.lock, so it is as if `git add --all && git commit`
// had run then; files on disk are never written, and what changed since the snapshot stays uncommitted.
import { closeSync, copyFileSync, openSync, renameSync, rmSync } from 'node:fs';
import { OrchestratorError } from '../core/errors.js';
import { currentMachine, git } from './git.js';
import type { Snapshot } from './merge-tree.js';

/** Takes index.lock (git's own lock of the index) and fills it with the temporary index; false when git holds it. */
async function lockIndex(real: string, temp: string): Promise<boolean> {
  const shell = currentMachine();
  if (shell)
    return (await shell.run(['sh', '-c', 'set -C; cat "$2" > "$1.lock"', 'sh', real, temp], undefined)).exitCode === 0;
  try {
    closeSync(openSync(`${real}.lock`, 'wx', 0o644));
  } catch {
    return false;
  }
  copyFileSync(temp, `${real}.lock`);
  return true;
}

async function settle(real: string, keep: boolean): Promise<void> {
  const shell = currentMachine();
  if (shell) await shell.run(keep ? ['mv', `${real}.lock`, real] : ['rm', '-f', `${real}.lock`], undefined);
  else if (keep) renameSync(`${real}.lock`, real);
  else rmSync(`${real}.lock`, { force: true });
}

/** Makes snap (a dirty snapshot of worktree) its new HEAD commit, with the index it was made with; refuses, changing nothing, if HEAD moved or git holds the index. */
export async function adoptSnapshot(worktree: string, snap: Snapshot): Promise<void> {
  const real = (await git(worktree, ['rev-parse', '--path-format=absolute', '--git-path', 'index'])).stdout.trim();
  if (!(await lockIndex(real, snap.index))) {
    throw new OrchestratorError(
      `git is busy in ${worktree} (${real}.lock exists): nothing was committed; merge again once it is done`,
    );
  }
  const r = await git(worktree, [
    'update-ref',
    '-m',
    'claude-orchestrator: merge --commit-all',
    'HEAD',
    snap.commit,
    snap.head,
  ]);
  await settle(real, r.code === 0);
  if (r.code !== 0)
    throw new OrchestratorError(
      `the work in ${worktree} was committed meanwhile (HEAD is no longer ${snap.head.slice(0, 12)}): nothing was committed; merge again (${r.stderr.trim()})`,
    );
}
