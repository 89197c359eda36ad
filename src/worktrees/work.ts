// What in an agent's worktree git does not have committed, and so would be lost with it: every
// change to a tracked file, every untracked file except our own unchanged copies and links, and
// every file hidden from git status by anything but the project's own .gitignore files (the
// project chose not to track those; info/exclude or a global excludes file hides what the agent
// wrote without saying so). The worktrees listing, merge and every removal read this one answer.
import { lstatSync, readdirSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { AgentRecord, AgentWorktree } from '../store/types.js';
import { git, gitOk, onMachine } from '../git/git.js';
import { OrchestratorError } from '../core/errors.js';
import { quote } from '../util/shell-quote.js';
import { machineOf } from './machine.js';
import { readCopies, unchangedCopies, type CopyEntry } from './copies.js';

/** One thing of the agent's: its path, a `git status` style line, what it is, and whether --commit-all commits it. */
export interface WorkItem {
  path: string;
  line: string;
  what: string;
  commitAll: boolean;
}

/** The agent's work, and our unchanged copies and links that git does not track (removable before the worktree goes). */
export interface Inspected {
  work: WorkItem[];
  ours: string[];
}

/**
 * The paths we copied or linked into the worktree that `git add --all` would take: never committed
 * by --commit-all, never in snapshots. An ignored one it leaves anyway, and git refuses a pathspec
 * that names one ("paths are ignored", exit 1), so those are not listed.
 */
export async function ownPaths(wt: AgentWorktree): Promise<string[]> {
  const paths = [...(await readCopies(wt)).keys()];
  if (!paths.length) return paths;
  const ignored = new Set(
    (
      await git(wt.path, ['check-ignore', '-z', '--stdin'], { input: paths.map((p) => `${p}\0`).join('') })
    ).stdout.split('\0'),
  );
  return paths.filter((p) => !ignored.has(p));
}

/** Pathspecs for `git add --all` that leave our copies and links out. */
export const leavingOut = (paths: readonly string[]): string[] =>
  paths.length ? ['--', '.', ...paths.map((p) => `:(exclude,literal)${p}`)] : [];

/**
 * Refuses --commit-all when the agent has staged one of our copies: the commit is made from its
 * index, so it would take the copy, and a copy may hold the project's secrets. Nothing is changed.
 */
export async function refuseStagedCopies(wt: AgentWorktree): Promise<void> {
  const copies = await ownPaths(wt);
  if (!copies.length) return;
  const staged = (await gitOk(wt.path, ['diff', '--cached', '--name-only', '-z', 'HEAD']))
    .split('\0')
    .filter((p) => copies.includes(p));
  if (!staged.length) return;
  const these = staged.length === 1 ? 'it' : 'them';
  throw new OrchestratorError(
    `--commit-all committed nothing: ${staged.join(', ')} in ${wt.path} ${staged.length === 1 ? 'is' : 'are'} staged, and copied there from the project (copies may hold secrets, and --commit-all never commits them). Unstage ${these} (git -C ${quote(wt.path)} reset -q -- ${staged.map(quote).join(' ')}; the files stay), or commit ${these} by hand if ${these} belong${staged.length === 1 ? 's' : ''} in git.`,
  );
}

/** The agent's work in its worktree (asked on the machine it is on). */
export function inspectWork(agent: AgentRecord): Promise<Inspected> {
  return onMachine(machineOf(agent), () => inspectHere(agent.worktree!));
}

/** The agent's work as `git status` style lines. */
export const workLines = async (agent: AgentRecord): Promise<string[]> =>
  (await inspectWork(agent)).work.map((w) => w.line);

async function inspectHere(wt: AgentWorktree): Promise<Inspected> {
  const copies = await readCopies(wt);
  const same = await unchangedCopies(wt, copies);
  const fields = (
    await gitOk(wt.path, ['status', '--porcelain', '-z', '--untracked-files=all', '--ignored=matching'])
  ).split('\0');
  const found: Inspected = { work: [], ours: [] };
  const ignored: string[] = [];
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]!;
    if (!field) continue;
    const [xy, path] = [field.slice(0, 2), field.slice(3)];
    // -z: a rename or copy in the index is followed by the path it came from.
    if (/[RC]/.test(xy[0]!)) i++;
    if (xy === '!!') {
      ignored.push(path);
      continue;
    }
    const copy = copies.get(path);
    if (xy === '??' && copy && same.has(path)) {
      found.ours.push(path);
      continue;
    }
    found.work.push({
      path,
      line: `${xy} ${path}`,
      what: xy !== '??' ? 'changed' : copy ? `${copy.how}, then changed` : 'new',
      commitAll: !copy,
    });
  }
  if (ignored.length) await hidden(wt, ignored, copies, same, found);
  return found;
}

/** Ignored paths: ours when unchanged; a changed copy is work; the rest is work unless a .gitignore of the project hides it. */
async function hidden(
  wt: AgentWorktree,
  ignored: string[],
  copies: Map<string, CopyEntry>,
  same: Set<string>,
  found: Inspected,
): Promise<void> {
  const sources = await ignoredBy(wt.path, ignored);
  for (const path of ignored) {
    const dir = path.endsWith('/');
    const inside = [...copies.values()].filter((c) => (dir ? c.path.startsWith(path) : c.path === path));
    for (const c of inside) {
      if (same.has(c.path)) found.ours.push(c.path);
      else found.work.push({ path: c.path, line: `!! ${c.path}`, what: `${c.how}, then changed`, commitAll: false });
    }
    const source = sources.get(path) ?? 'git';
    if (!isAbsolute(source) && !source.startsWith('..') && basename(source) === '.gitignore') continue;
    const what = `hidden from git status by ${source}`;
    if (!dir) {
      if (!inside.length) found.work.push({ path, line: `!! ${path}`, what, commitAll: false });
      continue;
    }
    // A hidden folder: each file in it that is not ours is work (on another host: the folder as a whole).
    const files = wt.host ? [path] : filesBelow(wt.path, path.slice(0, -1)).filter((f) => !copies.has(f));
    for (const f of files) found.work.push({ path: f, line: `!! ${f}`, what, commitAll: false });
  }
}

/** Which file's pattern hides each path (git check-ignore -v). */
async function ignoredBy(dir: string, paths: string[]): Promise<Map<string, string>> {
  const r = await git(dir, ['check-ignore', '-v', '-z', '--stdin'], { input: paths.map((p) => `${p}\0`).join('') });
  const f = r.stdout.split('\0');
  const by = new Map<string, string>();
  for (let i = 0; i + 3 < f.length; i += 4) by.set(f[i + 3]!, f[i]!);
  return by;
}

/** Every file and link below a folder of the worktree, relative to it (at most 1000: enough to say what would be lost). */
function filesBelow(root: string, rel: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(join(root, rel));
  } catch {
    return out;
  }
  for (const name of names.sort()) {
    if (out.length >= 1000) break;
    const sub = `${rel}/${name}`;
    try {
      if (lstatSync(join(root, sub)).isDirectory()) filesBelow(root, sub, out);
      else out.push(sub);
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

/** Work in words: "3 uncommitted files (draft.txt, .env: copied, then changed, ...)". */
export function describeWork(work: WorkItem[]): string {
  const shown = work
    .slice(0, 5)
    .map((w) => (w.what === 'new' || w.what === 'changed' ? w.path : `${w.path}: ${w.what}`));
  return `${work.length} uncommitted file${work.length === 1 ? '' : 's'} (${shown.join(', ')}${work.length > 5 ? ', ...' : ''})`;
}
