// Merges computed without touching any checkout or ref: `git merge-tree --write-tree` gives the
// merged tree and its conflicts; a snapshot commit (a temporary index, never the real one) stands
// for a worktree with its uncommitted work, so conflicts are found before anyone commits.
import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { currentMachine, git, gitOk } from './git.js';

/** A file both sides change so that git cannot merge it, and where (line ranges of the first side's version). */
export interface FileConflict {
  path: string;
  kind: string;
  lines: [number, number][];
}

export interface MergeResult {
  clean: boolean;
  tree: string;
  conflicts: FileConflict[];
}

/** An identity for commits we make that no person wrote (snapshots), so a repository without user.name still works. */
export const TOOL_IDENTITY = {
  GIT_AUTHOR_NAME: 'claude-orchestrator',
  GIT_AUTHOR_EMAIL: 'claude-orchestrator@localhost',
  GIT_COMMITTER_NAME: 'claude-orchestrator',
  GIT_COMMITTER_EMAIL: 'claude-orchestrator@localhost',
};

/**
 * Line ranges, in the first side's version, of each conflict in a merged file with markers
 * (<<<<<<< ours ||||||| base ======= theirs >>>>>>>). A pure insertion on both sides is the line it follows.
 */
export function conflictRanges(merged: string): [number, number][] {
  const ranges: [number, number][] = [];
  let line = 0;
  let part: 'none' | 'ours' | 'base' | 'theirs' = 'none';
  let start = 0;
  for (const text of merged.split('\n')) {
    if (part === 'none' && text.startsWith('<<<<<<< ')) {
      part = 'ours';
      start = line + 1;
      continue;
    }
    if (part === 'ours' && text.startsWith('||||||| ')) {
      part = 'base';
      continue;
    }
    if ((part === 'ours' || part === 'base') && text === '=======') {
      part = 'theirs';
      continue;
    }
    if (part === 'theirs' && text.startsWith('>>>>>>> ')) {
      ranges.push([start, Math.max(start, line)]);
      part = 'none';
      continue;
    }
    if (part === 'none' || part === 'ours') line++;
  }
  return ranges;
}

/** Merges two commits in memory. */
export async function mergeTree(dir: string, ours: string, theirs: string): Promise<MergeResult> {
  const r = await git(dir, ['merge-tree', '--write-tree', '--messages', '-z', ours, theirs]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`git merge-tree ${ours} ${theirs} failed: ${r.stderr.trim()}`);
  // -z: the tree, NUL, then "mode oid stage\tpath" NUL per conflicted entry, an empty field, then
  // messages as: count of paths, paths..., type, message.
  const fields = r.stdout.split('\0');
  const tree = fields[0]!.trim();
  if (r.code === 0) return { clean: true, tree, conflicts: [] };
  const paths: string[] = [];
  let i = 1;
  for (; i < fields.length && fields[i] !== ''; i++) {
    const path = fields[i]!.split('\t').slice(1).join('\t');
    if (path && !paths.includes(path)) paths.push(path);
  }
  const kinds = new Map<string, string>();
  for (i++; i < fields.length; ) {
    const count = Number(fields[i]);
    if (!Number.isInteger(count) || count < 1) break;
    const named = fields.slice(i + 1, i + 1 + count);
    const type = fields[i + 1 + count] ?? '';
    i += count + 3;
    if (type.startsWith('CONFLICT'))
      for (const p of named) kinds.set(p, type.replace(/^CONFLICT \(|\)$/g, '') || 'content');
  }
  const conflicts = await Promise.all(
    paths.map(async (path): Promise<FileConflict> => {
      const blob = await git(dir, ['cat-file', 'blob', `${tree}:${path}`]);
      return { path, kind: kinds.get(path) ?? 'content', lines: blob.code === 0 ? conflictRanges(blob.stdout) : [] };
    }),
  );
  return { clean: false, tree, conflicts };
}

/** The tree of a commit. */
export const treeOf = (dir: string, rev: string): Promise<string> => gitOk(dir, ['rev-parse', `${rev}^{tree}`]);

/** Whether everything of source is already in target: merging it would change nothing (true for merged, squashed and rebased work). */
export async function contentMerged(dir: string, target: string, source: string): Promise<boolean> {
  const merged = await mergeTree(dir, target, source);
  return merged.clean && merged.tree === (await treeOf(dir, target));
}

/** A worktree's work as a commit (see withSnapshot), and the temporary index that holds its tree. */
export interface Snapshot {
  commit: string;
  dirty: boolean;
  head: string;
  index: string;
}

/**
 * A commit holding a worktree's work as it is on disk (committed, staged, unstaged and untracked
 * files, .gitignore respected), made with a copy of its index: the worktree, its index and its refs
 * stay as they were. It is HEAD itself when nothing is uncommitted. leaveOut: pathspecs for
 * `git add --all` (our copied files, which are no one's work and may be secrets).
 */
export const snapshotCommit = (
  worktree: string,
  leaveOut: readonly string[] = [],
): Promise<{ commit: string; dirty: boolean }> =>
  withSnapshot(worktree, { leaveOut }, async (s) => ({ commit: s.commit, dirty: s.dirty }));

/**
 * Runs fn with a snapshot of the worktree (see snapshotCommit) and the temporary index it was made
 * with, which `git add --all` would have made of the real one; with message, the commit is the
 * person's (their identity and that message), as `git add --all && git commit` would make it.
 */
export async function withSnapshot<T>(
  worktree: string,
  opts: { message?: string; leaveOut?: readonly string[] },
  fn: (s: Snapshot) => Promise<T>,
): Promise<T> {
  const head = await gitOk(worktree, ['rev-parse', 'HEAD']);
  const index = await gitOk(worktree, ['rev-parse', '--path-format=absolute', '--git-path', 'index']);
  const there = currentMachine();
  // On another machine the copy sits beside the real index there (cp and rm run there).
  const temp = there
    ? `${index}.orch-snapshot-${randomBytes(4).toString('hex')}`
    : mkdtempSync(join(tmpdir(), 'orch-snapshot-'));
  try {
    const tempIndex = there ? temp : join(temp, 'index');
    // A copy of the real index keeps its stat data, so only changed files are read again.
    let copied = false;
    if (there) copied = (await there.run(['cp', index, tempIndex], undefined)).exitCode === 0;
    else if (existsSync(index)) {
      copyFileSync(index, tempIndex);
      copied = true;
    }
    const env = { GIT_INDEX_FILE: tempIndex, ...(opts.message === undefined ? TOOL_IDENTITY : {}) };
    if (!copied) await gitOk(worktree, ['read-tree', 'HEAD'], { env });
    await gitOk(worktree, ['add', '--all', ...(opts.leaveOut ?? [])], { env });
    const tree = await gitOk(worktree, ['write-tree'], { env });
    if (tree === (await treeOf(worktree, head)))
      return await fn({ commit: head, dirty: false, head, index: tempIndex });
    const commit = await gitOk(
      worktree,
      [
        'commit-tree',
        tree,
        '-p',
        head,
        ...(opts.message === undefined ? ['-m', 'claude-orchestrator snapshot of uncommitted work'] : []),
      ],
      {
        env,
        ...(opts.message === undefined
          ? {}
          : { input: opts.message.endsWith('\n') ? opts.message : `${opts.message}\n` }),
      },
    );
    return await fn({ commit, dirty: true, head, index: tempIndex });
  } finally {
    if (there) await there.run(['rm', '-f', temp], undefined).catch(() => {});
    else rmSync(temp, { recursive: true, force: true });
  }
}
