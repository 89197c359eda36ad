// ./start.mts's part of worktrees: before any tmux session exists, each agent with worktree: true
// gets its worktree, made on its branch from the base, or found again (a second start reuses both),
// with the project's files copied and linked in. Anything in the way (no repository, a base that
// is not there, a branch or a folder that is someone else's) stops the start with the fix.
import { existsSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { dirname, join, posix, relative, resolve } from 'node:path';
import type { AgentSpec, Layout } from '../layout/types.js';
import type { AgentWorktree } from '../store/types.js';
import { agentFiles } from '../store/paths.js';
import { OrchestratorError } from '../core/errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import {
  appendToFile,
  branchExists,
  commitOf,
  commonDir,
  currentBranch,
  git,
  gitOk,
  hasEntries,
  onMachine,
  pathExists,
  repoTop,
  uncommitted,
  worktreeList,
} from '../git/git.js';
import type { RemoteShell } from '../core/remote-shell.js';
import { bootstrapFiles } from './files.js';
import { bootstrapThere } from './host-files.js';
import { dirShapeProblem, dirTrackedProblem, trackedIn } from '../layout/worktrees.js';

/** The record of an agent's worktree that an earlier start wrote, if any. */
export function readWorktreeRecord(stateDir: string, agent: string): AgentWorktree | undefined {
  try {
    return JSON.parse(readFileSync(agentFiles(stateDir, agent).worktree, 'utf8')) as AgentWorktree;
  } catch {
    return undefined;
  }
}

/** Where an agent's worktree goes. */
export const worktreePath = (top: string, layout: Pick<Layout, 'session' | 'worktrees'>, agent: string): string =>
  resolve(top, layout.worktrees.dir, layout.session, agent);

const HEADER = '# claude-orchestrator:';

/**
 * Keeps git from listing the agents' worktrees as untracked in the main checkout: one line, for
 * their folder, which holds nothing git tracks (checked first). Copies and links are not hidden:
 * info/exclude is shared by every worktree and blind to content, so a pattern for them would also
 * hide the agent's new and changed files, and the person's own in the main checkout.
 */
async function exclude(top: string, layout: Layout, local: boolean): Promise<void> {
  const dir = layout.worktrees.dir;
  const shape = dirShapeProblem(dir);
  if (shape) throw new OrchestratorError(`worktrees.dir "${dir}" in ${layout.file} ${shape}`);
  const rel = relative(top, resolve(top, dir));
  const tracked = dirTrackedProblem(
    dir,
    (await gitOk(top, ['ls-files', '-z', '--', `:(literal)${rel}`])).split('\0').filter(Boolean),
  );
  if (tracked) throw new OrchestratorError(`worktrees.dir "${dir}" in ${layout.file} ${tracked}`);
  const file = join(await commonDir(top), 'info', 'exclude');
  if (local)
    forgetOldLines(
      file,
      top,
      [...layout.worktrees.copy, ...layout.worktrees.link].map((g) => `/${g.replace(/^\/+/, '')}`),
    );
  const line = `/${rel}/`;
  await appendToFile(file, (before) => {
    const have = before ? before.split('\n') : [];
    if (have.includes(line)) return undefined;
    const lead = have.length && have[have.length - 1] !== '' ? '\n' : '';
    return `${lead}${HEADER} agents' worktrees\n${line}\n`;
  });
}

/**
 * Takes out of our own blocks of info/exclude the lines earlier versions wrote that hide more
 * than the worktrees: the copy and link globs (which hid the agents' new files too), "//", and a
 * folder git tracks files in.
 */
function forgetOldLines(file: string, top: string, globs: string[]): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  let ours = false;
  const kept = text.split('\n').filter((l) => {
    if (l.startsWith(HEADER)) {
      ours = true;
      return true;
    }
    if (!l || l.startsWith('#')) {
      ours = false;
      return true;
    }
    const folder = /^\/(.*)\/$/.exec(l)?.[1];
    return !(ours && (globs.includes(l) || folder === '' || (folder !== undefined && trackedIn(top, folder).length)));
  });
  if (kept.length !== text.split('\n').length) writeFileAtomic(file, kept.join('\n'));
}

/** A host's part (its agents with worktree: true): their repository is the one at the host's root there, and git runs there. */
export interface OnHost {
  host: { name: string; ssh: string; port?: number };
  shell: RemoteShell;
  root: string;
  remoteState: string;
  agents: AgentSpec[];
}

export interface Prepared {
  worktrees: Map<string, AgentWorktree>;
  /** Per agent, what start says about it (made, reused, files copied). */
  notes: string[];
}

/** Makes or finds every worktree the layout asks for here, or, given a host, those of its agents there. */
export function prepareWorktrees(layout: Layout, stateDir: string, on?: OnHost): Promise<Prepared> {
  return onMachine(on?.shell, () => prepareHere(layout, stateDir, on));
}

async function prepareHere(layout: Layout, stateDir: string, on: OnHost | undefined): Promise<Prepared> {
  const agents = on ? on.agents.filter((a) => a.worktree) : layout.agents.filter((a) => a.worktree && !a.host);
  const prepared: Prepared = { worktrees: new Map(), notes: [] };
  if (!agents.length) return prepared;
  const root = on?.root ?? layout.root;
  const where = on ? ` on host ${on.host.name}` : '';
  const top = await repoTop(root);
  if (!top)
    throw new OrchestratorError(
      `worktree: true needs a git repository, and ${root}${where} is not in one (git init and commit there, or drop worktree: from ${layout.file})`,
    );
  // The checkout the layout is in (the main one, or a linked worktree a person works in).
  const main = top;
  const baseName = layout.worktrees.base ?? (await currentBranch(main));
  const baseRev = baseName ?? 'HEAD';
  const baseCommit = await commitOf(main, baseRev);
  if (!baseCommit) {
    throw new OrchestratorError(
      layout.worktrees.base
        ? `worktrees.base "${layout.worktrees.base}" in ${layout.file} is not a branch or commit of ${main} (expected one of: ${(await gitOk(main, ['branch', '--format=%(refname:short)'])).split('\n').slice(0, 10).join(', ')})`
        : `${main} has no commit yet, so there is nothing to start worktrees from (commit first)`,
    );
  }
  const base = baseName ?? baseCommit;
  await exclude(main, layout, !on);
  const dirty = layout.worktrees.base === undefined ? await uncommitted(main).catch(() => []) : [];
  if (dirty.length)
    prepared.notes.push(
      `note: ${main} has ${dirty.length} uncommitted change${dirty.length === 1 ? '' : 's'}; new worktrees start from the last commit of ${base}, without them`,
    );
  const existing = await worktreeList(main);
  // Every agent's worktree is checked first: a branch in the way of the third agent makes none.
  for (const agent of agents)
    await prepareOne(agent, { layout, stateDir, main, base, baseCommit, existing, on, checkOnly: true });
  for (const agent of agents) {
    const wt = (await prepareOne(agent, { layout, stateDir, main, base, baseCommit, existing, on }))!;
    prepared.worktrees.set(agent.name, wt.record);
    prepared.notes.push(`${agent.name}: ${wt.note}`);
  }
  return prepared;
}

/** Makes or finds one agent's worktree; with checkOnly, only throws what would stop it, and changes nothing. */
async function prepareOne(
  agent: AgentSpec,
  ctx: {
    layout: Layout;
    stateDir: string;
    main: string;
    base: string;
    baseCommit: string;
    existing: Awaited<ReturnType<typeof worktreeList>>;
    on: OnHost | undefined;
    checkOnly?: boolean;
  },
): Promise<{ record: AgentWorktree; note: string } | undefined> {
  const { layout, stateDir, main, on } = ctx;
  const branch = agent.worktree!.branch;
  const path = on
    ? posix.resolve(main, layout.worktrees.dir, layout.session, agent.name)
    : worktreePath(main, layout, agent.name);
  const earlier = readWorktreeRecord(stateDir, agent.name);
  const files = agentFiles(stateDir, agent.name);
  // An agent on a host keeps its setup's log and mark in its state folder there.
  const setupFiles = on ? agentFiles(on.remoteState, agent.name) : files;
  const host = on ? { host: on.host } : {};
  let at = ctx.existing.find((w) => w.path === path);
  if (at && !(await pathExists(path))) {
    // Its folder was deleted by hand: git's record of it goes (git worktree prune touches no files), and it is made again below.
    if (!ctx.checkOnly) await gitOk(main, ['worktree', 'prune']);
    at = undefined;
  }
  const elsewhere = ctx.existing.find((w) => w.branch === branch && w.path !== path);
  const fix = `set branch: for agent ${agent.name} in ${layout.file}`;
  if (elsewhere)
    throw new OrchestratorError(
      `branch "${branch}" for agent ${agent.name} is checked out at ${elsewhere.path}; a branch can be in one worktree only (${fix}, or switch that checkout to another branch)`,
    );
  if (at && at.branch !== branch)
    throw new OrchestratorError(
      `${path} is a worktree of ${at.branch ? `branch "${at.branch}"` : 'a detached HEAD'}, not of "${branch}" (${fix} to "${at.branch ?? ''}", or set worktrees.dir)`,
    );
  const write = (record: AgentWorktree): AgentWorktree => {
    mkdirSync(files.dir, { recursive: true });
    writeFileAtomic(files.worktree, `${JSON.stringify(record, null, 2)}\n`);
    return record;
  };
  const setup = layout.worktrees.setup ? ('pending' as const) : ('none' as const);
  if (at && ctx.checkOnly) return undefined;
  if (at) {
    // Found again: the same worktree and branch; its setup is done unless it never finished.
    const done = await pathExists(setupFiles.setupDone);
    const record = {
      ...(earlier ?? {
        repo: main,
        path,
        branch,
        base: ctx.base,
        base_commit: ctx.baseCommit,
        created_at: new Date().toISOString(),
      }),
      repo: main,
      path,
      branch,
      setup: !layout.worktrees.setup ? ('none' as const) : done ? ('done' as const) : ('pending' as const),
      setup_log: layout.worktrees.setup ? setupFiles.setupLog : null,
      ...host,
    };
    return {
      record: write(record),
      note: `reuses its worktree ${path} (branch ${branch})${record.setup === 'pending' ? '; its setup did not finish before and runs again' : ''}`,
    };
  }
  if (await hasEntries(path)) {
    throw new OrchestratorError(
      `${path} exists and is not a worktree of ${main}; move it away, or set worktrees.dir in ${layout.file}`,
    );
  }
  const ours = earlier?.branch === branch;
  if (await branchExists(main, branch)) {
    if (!ours)
      throw new OrchestratorError(
        `branch "${branch}" already exists in ${main} and was not made for agent ${agent.name} (${fix}, or rename that branch: git branch -m ${branch} NEW)`,
      );
  } else {
    const clash = await branchInTheWay(main, branch);
    if (clash)
      throw new OrchestratorError(
        `branch "${branch}" for agent ${agent.name} cannot be made in ${main}: its branch "${clash}" is in the way (git keeps a branch "a/b" in a folder "a") (${fix}, or rename that branch: git branch -m ${clash} NEW)`,
      );
  }
  if (ctx.checkOnly) return undefined;
  if (!on) mkdirSync(dirname(path), { recursive: true });
  // A branch of ours whose worktree was removed (worktrees prune) is checked out again, with its commits.
  const made =
    ours && (await branchExists(main, branch))
      ? await git(main, ['worktree', 'add', path, branch])
      : await git(main, ['worktree', 'add', '-b', branch, path, ctx.baseCommit]);
  if (made.code !== 0)
    throw new OrchestratorError(
      `could not make the worktree of agent ${agent.name} at ${path}: ${made.stderr.trim().split('\n').slice(-3).join('; ')} (${fix}, or set worktrees.dir)`,
    );
  if (on) await on.shell.run(['rm', '-f', setupFiles.setupDone], undefined);
  else rmSync(files.setupDone, { force: true });
  const files_ = on ? await bootstrapThere(main, path, layout.worktrees) : bootstrapFiles(main, path, layout.worktrees);
  const record = write({
    repo: main,
    path,
    branch,
    base: ours ? earlier!.base : ctx.base,
    base_commit: ours ? earlier!.base_commit : ctx.baseCommit,
    created_at: new Date().toISOString(),
    setup,
    setup_log: layout.worktrees.setup ? setupFiles.setupLog : null,
    copied: files_.copied,
    linked: files_.linked,
    ...host,
  });
  const extra = [
    files_.copied.length ? `copied ${files_.copied.join(', ')}` : '',
    files_.linked.length ? `linked ${files_.linked.join(', ')}` : '',
  ]
    .filter(Boolean)
    .join('; ');
  return {
    record,
    note: `${ours ? 'checked out its branch again' : 'made its worktree'} ${path} (branch ${branch} from ${record.base})${extra ? `; ${extra}` : ''}`,
  };
}

/** A branch that keeps branch from being made: one named like a folder of it ("a" for "a/b"), or one inside it ("a/b/c"). */
async function branchInTheWay(main: string, branch: string): Promise<string | undefined> {
  const parts = branch.split('/');
  for (let i = 1; i < parts.length; i++) {
    const folder = parts.slice(0, i).join('/');
    if (await branchExists(main, folder)) return folder;
  }
  return (
    (await gitOk(main, ['for-each-ref', '--count=1', '--format=%(refname:short)', `refs/heads/${branch}/`])) ||
    undefined
  );
}

/** An agent's working directory inside its worktree: where its cwd is in the project, in the worktree. */
export function cwdIn(worktree: AgentWorktree, cwd: string): string {
  const rel = relative(worktree.repo, existsSync(cwd) ? realpathSync(cwd) : cwd);
  if (rel.startsWith('..'))
    throw new OrchestratorError(
      `the agent's cwd ${cwd} is outside the repository ${worktree.repo}, so it has no place in its worktree`,
    );
  return join(worktree.path, rel);
}

/** The layout with each worktree agent's cwd moved into its worktree (panes and agents alike). */
export function inWorktrees(layout: Layout, worktrees: Map<string, AgentWorktree>): Layout {
  if (!worktrees.size) return layout;
  const moved = new Map<string, AgentSpec>();
  for (const a of layout.agents) {
    const wt = worktrees.get(a.name);
    moved.set(a.name, wt ? { ...a, cwd: cwdIn(wt, a.cwd) } : a);
  }
  return {
    ...layout,
    agents: layout.agents.map((a) => moved.get(a.name)!),
    windows: layout.windows.map((w) => ({
      ...w,
      panes: w.panes.map((p) => (p.kind === 'agent' ? moved.get(p.name)! : p)),
    })),
  };
}
