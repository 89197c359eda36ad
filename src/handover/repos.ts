// What a handover says about the agents' working directories: for each one inside a git
// repository, its branch and uncommitted changes (git status --short). git runs with an argv,
// never through a shell; a directory that is not a repository (or no git at all) is left out.

import { git as runGit } from '../git/git.js';

/** One repository and the agents working in it. */
export interface RepoInfo {
  root: string;
  /** Branch name, or "detached at <sha>", or null when git could not say. */
  branch: string | null;
  /** `git status --short` lines (paths relative to the repository root). */
  changes: string[];
  agents: { name: string; cwd: string }[];
}

/** git's output, or undefined when it failed or there is no git at all (src/git/git.ts runs it). */
async function git(cwd: string, args: string[]): Promise<string | undefined> {
  const r = await runGit(cwd, args, { timeoutMs: 10_000, env: { GIT_OPTIONAL_LOCKS: '0' } }).catch(() => undefined);
  return r?.code === 0 ? r.stdout.replace(/\n$/, '') : undefined;
}

/** The repositories of the given working directories (one entry per repository root). */
export async function gitRepos(agents: { name: string; cwd: string }[]): Promise<RepoInfo[]> {
  const byRoot = new Map<string, RepoInfo>();
  const roots = await Promise.all(
    agents.map(async (a) => (await git(a.cwd, ['rev-parse', '--show-toplevel']))?.trim()),
  );
  for (const [i, agent] of agents.entries()) {
    const root = roots[i];
    if (!root) continue;
    const repo = byRoot.get(root) ?? { root, branch: null, changes: [], agents: [] };
    repo.agents.push(agent);
    byRoot.set(root, repo);
  }
  await Promise.all(
    [...byRoot.values()].map(async (repo) => {
      const branch = (await git(repo.root, ['branch', '--show-current']))?.trim();
      const head = branch ? undefined : (await git(repo.root, ['rev-parse', '--short', 'HEAD']))?.trim();
      repo.branch = branch || (head ? `detached at ${head}` : null);
      // -uall would list every file of a new folder; the default (folders) keeps it short.
      repo.changes = ((await git(repo.root, ['status', '--short'])) ?? '').split('\n').filter((l) => l.trim());
    }),
  );
  return [...byRoot.values()].sort((a, b) => a.root.localeCompare(b.root));
}
