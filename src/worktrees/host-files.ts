// worktrees.copy and worktrees.link for a worktree on a host: the same globs and rules as here
// (files.ts: nothing in the worktree overwritten; copies.ts: what was made recorded by content in
// the worktree's git directory), done there from the host's project root. A round trip per step,
// not per file: one listing for the globs (matched here by the same walker), one script that copies
// and links, one that hashes what it made. Runs where git runs now (onMachine). GNU find there.
import { posix } from 'node:path';
import { quote } from '../util/shell-quote.js';
import { expandGlob, globParts, type Bootstrapped, type Lister } from './files.js';
import { entriesThere, gitDirThere, sh } from './there.js';
import { MANIFEST } from './copies.js';

/** Lists, below top there, what each glob could name: from its fixed start, as deep as its parts go (any depth with **), never into .git. */
async function listThere(top: string, globs: readonly string[]): Promise<Lister> {
  const finds = globs.map((glob) => {
    const parts = globParts(glob);
    const fixed = parts.findIndex((p) => /[*?]/.test(p));
    const start = ['.', ...parts.slice(0, fixed < 0 ? parts.length : fixed)].join('/');
    const depth = parts.includes('**') ? '' : `-maxdepth ${parts.length - (fixed < 0 ? parts.length : fixed)} `;
    return `[ -e ${quote(start)} ] && find ${quote(start)} ${depth}-name .git -prune -o -printf '%y %p\\0'`;
  });
  const out = await sh(`cd "$1" || exit 1\n${finds.join('\n')}\nexit 0`, [top]);
  const dirs = new Map<string, Map<string, boolean>>();
  const add = (rel: string, dir: boolean): void => {
    if (!rel || rel === '.') return;
    const parent = posix.dirname(rel) === '.' ? '' : posix.dirname(rel);
    const names = dirs.get(parent) ?? new Map<string, boolean>();
    dirs.set(parent, names);
    if (!names.get(posix.basename(rel))) names.set(posix.basename(rel), dir);
    add(parent, true);
  };
  for (const item of out.split('\0')) if (item.length > 2) add(item.slice(2).replace(/^\.\/?/, ''), item[0] === 'd');
  return {
    entries: (rel) => [...(dirs.get(rel) ?? [])].map(([name, dir]) => ({ name, dir })),
    exists: (rel) => dirs.get(posix.dirname(rel) === '.' ? '' : posix.dirname(rel))?.has(posix.basename(rel)) ?? false,
  };
}

/** Copies ($1 = top, $2 = worktree, then pairs of c|l and a path): a path the worktree has already is kept; prints what it did. */
const MAKE = `top=$1; wt=$2; shift 2
while [ $# -gt 1 ]; do
  how=$1; rel=$2; shift 2; to="$wt/$rel"
  if [ -e "$to" ] || [ -L "$to" ]; then printf 'k %s\\0' "$rel"; continue; fi
  mkdir -p "$(dirname "$to")" || exit 1
  if [ "$how" = c ]; then cp -RP "$top/$rel" "$to" || exit 1; else ln -s "$top/$rel" "$to" || exit 1; fi
  printf '%s %s\\0' "$how" "$rel"
done`;

/** Copies and links what the globs name from the project's top there into the worktree there, and records what it made (mode 600). */
export async function bootstrapThere(
  top: string,
  worktree: string,
  globs: { copy: readonly string[]; link: readonly string[] },
): Promise<Bootstrapped> {
  const done: Bootstrapped = { copied: [], linked: [], kept: [], entries: [] };
  if (!globs.copy.length && !globs.link.length) return done;
  const list = await listThere(top, [...globs.copy, ...globs.link]);
  const pairs = [
    ...globs.copy.flatMap((g) => expandGlob(top, g, list).map((rel) => ['c', rel])),
    ...globs.link.flatMap((g) => expandGlob(top, g, list).map((rel) => ['l', rel])),
  ];
  const made = (await sh(MAKE, [top, worktree, ...pairs.flat()])).split('\0').filter(Boolean);
  for (const line of made)
    (line[0] === 'k' ? done.kept : line[0] === 'c' ? done.copied : done.linked).push(line.slice(2));
  const linked = new Set(done.linked);
  // A link is listed as itself (find does not follow it); a copied folder as the files below it.
  done.entries = (await entriesThere(worktree, [...done.copied, ...done.linked])).map((e) => ({
    ...e,
    how: linked.has(e.path) ? 'linked' : 'copied',
  }));
  const dir = await gitDirThere(worktree);
  await sh(
    'umask 077 && cat > "$1.tmp" && mv -f "$1.tmp" "$1"',
    [posix.join(dir, MANIFEST)],
    `${JSON.stringify({ version: 1, entries: done.entries }, null, 2)}\n`,
  );
  return done;
}
