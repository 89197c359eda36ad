// What we copied and linked into a worktree, known by content: each copied file's sha256 (a copied
// symlink's target) and each link's target, as they were when we made them. A path there is ours
// only while it still holds exactly that; anything else in the worktree is the agent's work. The
// record sits in the worktree's own git directory (.git/worktrees/<name>/): outside the tracked
// tree, never listed by git status, and gone with the worktree when git removes it.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import type { AgentWorktree } from '../store/types.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { onMachine, readText } from '../git/git.js';
import { machineOf } from './machine.js';
import { entriesThere, gitDirThere } from './there.js';

/** One path we made: a copied file (sha256), or a copied symlink or a link of ours (target). */
export interface CopyEntry {
  path: string;
  how: 'copied' | 'linked';
  sha256?: string;
  target?: string;
}

export const MANIFEST = 'orchestrator-copies.json';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** The git directory of a linked worktree (its .git file names it), or undefined. */
function gitDirOf(worktree: string): string | undefined {
  try {
    const line = readFileSync(join(worktree, '.git'), 'utf8')
      .match(/^gitdir: (.+)$/m)?.[1]
      ?.trim();
    return line ? resolve(worktree, line) : undefined;
  } catch {
    return undefined;
  }
}

/** What a path holds now, as an entry: every file below a folder, one by one. */
export function entriesAt(root: string, rel: string, how: CopyEntry['how']): CopyEntry[] {
  const abs = join(root, rel);
  let st: Stats;
  try {
    st = lstatSync(abs);
  } catch {
    return [];
  }
  if (st.isSymbolicLink()) return [{ path: rel, how, target: readlinkSync(abs) }];
  if (st.isFile()) return [{ path: rel, how, sha256: sha256(abs) }];
  if (!st.isDirectory()) return [];
  return readdirSync(abs)
    .sort()
    .flatMap((name) => entriesAt(root, `${rel}/${name}`, how));
}

/** Records what was copied and linked into a new worktree (mode 600: the hashes are of secrets). */
export function writeCopies(worktree: string, entries: CopyEntry[]): void {
  const dir = gitDirOf(worktree);
  if (dir) writeFileAtomic(join(dir, MANIFEST), `${JSON.stringify({ version: 1, entries }, null, 2)}\n`, 0o600, false);
}

/**
 * What we copied and linked into an agent's worktree, by path. A worktree made before this record
 * existed has only the list of paths: then the project's files as they are now stand for what was copied.
 */
export async function readCopies(
  wt: Pick<AgentWorktree, 'path' | 'repo' | 'copied' | 'linked' | 'host'>,
): Promise<Map<string, CopyEntry>> {
  if (wt.host) return onMachine(machineOf({ worktree: wt as AgentWorktree }), () => readCopiesThere(wt.path));
  const dir = gitDirOf(wt.path);
  let entries: CopyEntry[];
  try {
    entries = (JSON.parse(readFileSync(join(dir ?? '', MANIFEST), 'utf8')) as { entries: CopyEntry[] }).entries;
  } catch {
    entries = [
      ...(wt.copied ?? []).flatMap((rel) => entriesAt(wt.repo, rel, 'copied')),
      ...(wt.linked ?? []).map((rel): CopyEntry => ({ path: rel, how: 'linked', target: join(wt.repo, rel) })),
    ];
  }
  return new Map(entries.map((e) => [e.path, e]));
}

/** The record of a worktree on a host, read there (a worktree made there before copies were applied there has none: nothing is ours). */
async function readCopiesThere(worktree: string): Promise<Map<string, CopyEntry>> {
  const dir = await gitDirThere(worktree).catch(() => undefined);
  const text = dir ? await readText(posix.join(dir, MANIFEST)) : undefined;
  let entries: CopyEntry[] = [];
  try {
    entries = text ? (JSON.parse(text) as { entries: CopyEntry[] }).entries : [];
  } catch {
    /* unreadable: nothing is ours */
  }
  return new Map(entries.map((e) => [e.path, e]));
}

/** The paths of copies that still hold exactly what we put there (on a host: hashed there, in one round trip). */
export async function unchangedCopies(
  wt: Pick<AgentWorktree, 'path' | 'host'>,
  copies: Map<string, CopyEntry>,
): Promise<Set<string>> {
  if (!wt.host) return new Set([...copies.values()].filter((e) => unchanged(wt.path, e)).map((e) => e.path));
  if (!copies.size) return new Set();
  const now = await onMachine(machineOf({ worktree: wt as AgentWorktree }), () =>
    entriesThere(wt.path, [...copies.keys()]),
  );
  return new Set(
    now
      .filter((n) => {
        const e = copies.get(n.path);
        return e && (e.target !== undefined ? n.target === e.target : n.sha256 !== undefined && n.sha256 === e.sha256);
      })
      .map((n) => n.path),
  );
}

/** Whether the worktree's path still holds exactly what we put there. */
export function unchanged(worktree: string, e: CopyEntry): boolean {
  const abs = join(worktree, e.path);
  try {
    const st = lstatSync(abs);
    if (e.target !== undefined) return st.isSymbolicLink() && readlinkSync(abs) === e.target;
    return st.isFile() && sha256(abs) === e.sha256;
  } catch {
    return false;
  }
}
