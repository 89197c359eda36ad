// Copying and linking files from the project into a new worktree, chosen by globs relative to the
// repository's top ("*" and "?" within a name, "**" for any depth). Nothing in the worktree is
// overwritten: a file the branch already has stays as the branch has it. What was made is recorded
// by content (copies.ts), so that only that, unchanged, is ever taken for ours.
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { entriesAt, writeCopies, type CopyEntry } from './copies.js';

const segmentRegex = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')}$`,
  );

/** What a folder holds (by its path relative to top), and whether a path exists: here, or from a listing made on a host. */
export interface Lister {
  entries: (rel: string) => { name: string; dir: boolean }[];
  exists: (rel: string) => boolean;
}

const localLister = (top: string): Lister => ({
  entries: (rel) => entries(join(top, rel)),
  exists: (rel) => existsSync(join(top, rel)),
});

/** Paths (relative to top) that a glob names; never inside .git. */
export function expandGlob(top: string, glob: string, list: Lister = localLister(top)): string[] {
  const parts = globParts(glob);
  const found: string[] = [];
  const walk = (rel: string, i: number): void => {
    if (i === parts.length) {
      if (rel) found.push(rel);
      return;
    }
    const part = parts[i]!;
    if (part === '**') {
      walk(rel, i + 1);
      for (const e of list.entries(rel)) if (e.dir && e.name !== '.git') walk(rel ? `${rel}/${e.name}` : e.name, i);
      return;
    }
    if (!/[*?]/.test(part)) {
      const next = rel ? `${rel}/${part}` : part;
      if (part !== '.git' && list.exists(next)) walk(next, i + 1);
      return;
    }
    const re = segmentRegex(part);
    for (const e of list.entries(rel))
      if (e.name !== '.git' && re.test(e.name)) walk(rel ? `${rel}/${e.name}` : e.name, i + 1);
  };
  walk('', 0);
  return [...new Set(found)].sort();
}

/** A glob's parts ("." and empty ones dropped). */
export const globParts = (glob: string): string[] => glob.split('/').filter((p) => p && p !== '.');

function entries(dir: string): { name: string; dir: boolean }[] {
  try {
    return readdirSync(dir, { withFileTypes: true }).map((e) => ({ name: e.name, dir: e.isDirectory() }));
  } catch {
    return [];
  }
}

const exists = (path: string): boolean => {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
};

/** What was copied or linked, and what was left because the worktree has it already. */
export interface Bootstrapped {
  copied: string[];
  linked: string[];
  kept: string[];
  entries: CopyEntry[];
}

/** Copies and links what the globs name from the project's top into the worktree, and records what it made there. */
export function bootstrapFiles(
  top: string,
  worktree: string,
  globs: { copy: readonly string[]; link: readonly string[] },
): Bootstrapped {
  const done: Bootstrapped = { copied: [], linked: [], kept: [], entries: [] };
  for (const glob of globs.copy) {
    for (const rel of expandGlob(top, glob)) {
      const to = join(worktree, rel);
      if (exists(to)) {
        done.kept.push(rel);
        continue;
      }
      mkdirSync(dirname(to), { recursive: true });
      cpSync(join(top, rel), to, { recursive: true, errorOnExist: true, force: false, verbatimSymlinks: true });
      done.copied.push(rel);
      done.entries.push(...entriesAt(worktree, rel, 'copied'));
    }
  }
  for (const glob of globs.link) {
    for (const rel of expandGlob(top, glob)) {
      const to = join(worktree, rel);
      if (exists(to)) {
        done.kept.push(rel);
        continue;
      }
      mkdirSync(dirname(to), { recursive: true });
      symlinkSync(join(top, rel), to);
      done.linked.push(rel);
      done.entries.push(...entriesAt(worktree, rel, 'linked'));
    }
  }
  writeCopies(worktree, done.entries);
  return done;
}
