// Every git call of the toolkit: an argv (never a shell), no terminal prompt, C locale output, and
// a guard that refuses the commands that destroy work. None of our code needs them; the guard makes
// sure none ever runs them by mistake (README: Worktrees, what is never deleted).
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { OrchestratorError } from '../core/errors.js';
import type { RemoteShell } from '../core/remote-shell.js';

/**
 * The machine git runs on for the work inside onMachine(): another host's shell (a worktree of an
 * agent there), or, outside it, this one. Every git call below goes where the work is without each
 * caller passing it along.
 */
const machine = new AsyncLocalStorage<RemoteShell>();

/** Runs fn with every git call (and pathExists) on that machine; undefined: this one. */
export function onMachine<T>(shell: RemoteShell | undefined, fn: () => Promise<T>): Promise<T> {
  return shell ? machine.run(shell, fn) : fn();
}

/** The other machine git calls go to now, if any. */
export const currentMachine = (): RemoteShell | undefined => machine.getStore();

/** Whether a folder holds anything, where git runs now (a missing one holds nothing). */
export async function hasEntries(path: string): Promise<boolean> {
  const shell = machine.getStore();
  if (!shell) {
    try {
      return readdirSync(path).length > 0;
    } catch {
      return false;
    }
  }
  return (await shell.run(['sh', '-c', '[ -n "$(ls -A "$1" 2>/dev/null)" ]', 'sh', path], undefined)).exitCode === 0;
}

/** Appends what text() makes of the file's present content (nothing when it returns undefined), where git runs now; its folder is made when missing. */
export async function appendToFile(file: string, text: (before: string) => string | undefined): Promise<void> {
  const shell = machine.getStore();
  if (!shell) {
    const add = text(existsSync(file) ? readFileSync(file, 'utf8') : '');
    if (add === undefined) return;
    mkdirSync(dirname(file), { recursive: true });
    appendFileSync(file, add);
    return;
  }
  const before = (await shell.run(['sh', '-c', 'cat "$1" 2>/dev/null || true', 'sh', file], undefined)).stdout;
  const add = text(before);
  if (add === undefined) return;
  const r = await shell.run(['sh', '-c', 'mkdir -p "$(dirname "$1")" && cat >> "$1"', 'sh', file], add);
  if (r.exitCode !== 0) throw new OrchestratorError(`could not write ${file} there: ${r.stderr.trim()}`);
}

/** Whether a path exists where git runs now. */
export async function pathExists(path: string): Promise<boolean> {
  const shell = machine.getStore();
  if (!shell) return existsSync(path);
  return (await shell.run(['test', '-e', path], undefined)).exitCode === 0;
}

/** A file's text where git runs now, or undefined when it cannot be read. */
export async function readText(path: string): Promise<string | undefined> {
  const shell = machine.getStore();
  if (!shell) {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }
  const r = await shell.run(['cat', path], undefined);
  return r.exitCode === 0 ? r.stdout : undefined;
}

export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface GitOptions {
  env?: Record<string, string>;
  /** Text on stdin (else stdin is closed). */
  input?: string;
  timeoutMs?: number;
}

/** A git command that failed, with what git said. */
export class GitError extends OrchestratorError {
  constructor(
    readonly args: readonly string[],
    readonly result: GitResult,
  ) {
    super(
      `git ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(0, 6).join('; ') || `exit code ${result.code}`}`,
    );
  }
}

/**
 * Why an argv would destroy work, or undefined: reset --hard, clean, checkout/restore of paths over
 * local changes, forced checkout or switch, forced worktree removal, forced branch deletion, forced push.
 */
export function destructive(args: readonly string[]): string | undefined {
  const [cmd, ...rest] = args;
  const has = (...flags: string[]): boolean => rest.some((a) => flags.includes(a));
  if (cmd === 'reset' && has('--hard', '--merge', '--keep')) return 'git reset --hard throws away uncommitted work';
  if (cmd === 'clean') return 'git clean deletes untracked files';
  if (cmd === 'checkout' && (has('-f', '--force') || rest.includes('--')))
    return 'git checkout -f / checkout -- PATHS overwrite local changes';
  if (cmd === 'restore') return 'git restore overwrites local changes';
  if (cmd === 'switch' && has('-f', '--force', '--discard-changes'))
    return 'git switch --discard-changes overwrites local changes';
  if (cmd === 'worktree' && rest[0] === 'remove' && has('-f', '--force'))
    return 'git worktree remove --force deletes uncommitted work';
  if (cmd === 'branch' && (has('-D') || (has('-d', '--delete') && has('-f', '--force'))))
    return 'git branch -D deletes unmerged commits';
  if (cmd === 'push' && has('-f', '--force', '--force-with-lease')) return 'a forced push drops commits';
  return undefined;
}

/** Runs git in cwd; never throws for git's own failure (see code). */
export async function git(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<GitResult> {
  const why = destructive(args);
  if (why) throw new OrchestratorError(`refused to run git ${args.join(' ')}: ${why}`);
  const shell = machine.getStore();
  if (shell) {
    // There: the same argv, its environment given by env(1) (a login shell there has its own).
    const env = Object.entries({ LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', ...opts.env }).map(([k, v]) => `${k}=${v}`);
    const r = await shell.run(['env', ...env, 'git', '-C', cwd, ...args], opts.input);
    return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
  }
  const { execa } = await import('execa');
  const r = await execa('git', ['-C', cwd, ...args], {
    reject: false,
    timeout: opts.timeoutMs ?? 60_000,
    stripFinalNewline: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    env: { LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0', ...opts.env },
  });
  if (r.exitCode === undefined && r.failed) {
    const message = (r as { shortMessage?: string }).shortMessage ?? 'git did not run';
    throw new OrchestratorError(/ENOENT/.test(message) ? 'git is not installed (apt-get install git)' : message);
  }
  return { code: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Runs git and returns its stdout without the final newline; throws a GitError when it fails. */
export async function gitOk(cwd: string, args: readonly string[], opts: GitOptions = {}): Promise<string> {
  const r = await git(cwd, args, opts);
  if (r.code !== 0) throw new GitError(args, r);
  return r.stdout.replace(/\n$/, '');
}

/** A git query run synchronously (layout validation is synchronous); its stdout, or undefined when git fails or is missing. */
export function gitSync(cwd: string, args: readonly string[]): string | undefined {
  const why = destructive(args);
  if (why) throw new OrchestratorError(`refused to run git ${args.join(' ')}: ${why}`);
  try {
    return execFileSync('git', ['-C', cwd, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 30_000,
      maxBuffer: 256 * 1024 * 1024,
      env: { ...process.env, LC_ALL: 'C', GIT_TERMINAL_PROMPT: '0' },
    });
  } catch {
    return undefined;
  }
}

/** The top of the repository holding dir (its main or linked worktree), or undefined when dir is in none. */
export async function repoTop(dir: string): Promise<string | undefined> {
  const r = await git(dir, ['rev-parse', '--show-toplevel']);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The repository's common git directory (shared by all its worktrees), absolute. */
export const commonDir = (dir: string): Promise<string> =>
  gitOk(dir, ['rev-parse', '--path-format=absolute', '--git-common-dir']);

/** A revision's commit id, or undefined when there is none. */
export async function commitOf(dir: string, rev: string): Promise<string | undefined> {
  const r = await git(dir, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
  return r.code === 0 ? r.stdout.trim() : undefined;
}

/** The branch checked out in dir, or undefined when HEAD is detached. */
export async function currentBranch(dir: string): Promise<string | undefined> {
  const r = await git(dir, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  return r.code === 0 ? r.stdout.trim() || undefined : undefined;
}

/** Whether ancestor is an ancestor of (or the same as) descendant. */
export async function isAncestor(dir: string, ancestor: string, descendant: string): Promise<boolean> {
  return (await git(dir, ['merge-base', '--is-ancestor', ancestor, descendant])).code === 0;
}

/** Commits in b not in a, and in a not in b: [ahead, behind] of b against a. */
export async function aheadBehind(dir: string, a: string, b: string): Promise<{ ahead: number; behind: number }> {
  const [behind, ahead] = (await gitOk(dir, ['rev-list', '--left-right', '--count', `${a}...${b}`]))
    .trim()
    .split(/\s+/)
    .map(Number);
  return { ahead: ahead ?? 0, behind: behind ?? 0 };
}

/** Every worktree of the repository: path, its HEAD and its branch (short name), as `git worktree list --porcelain` says. */
export async function worktreeList(
  dir: string,
): Promise<{ path: string; head: string | null; branch: string | null; prunable: boolean }[]> {
  const out = await gitOk(dir, ['worktree', 'list', '--porcelain']);
  return out
    .split('\n\n')
    .filter((b) => b.trim())
    .map((block) => {
      const lines = block.split('\n');
      const value = (key: string): string | null =>
        lines.find((l) => l.startsWith(`${key} `))?.slice(key.length + 1) ?? null;
      const branch = value('branch');
      return {
        path: value('worktree') ?? '',
        head: value('HEAD'),
        branch: branch?.replace(/^refs\/heads\//, '') ?? null,
        prunable: lines.some((l) => l.startsWith('prunable')),
      };
    });
}

/** `git status --porcelain` lines of dir (untracked files one by one), empty when clean. */
export async function uncommitted(dir: string): Promise<string[]> {
  return (await gitOk(dir, ['status', '--porcelain', '--untracked-files=all'])).split('\n').filter((l) => l.trim());
}

/** Whether a branch of that name exists. */
export async function branchExists(dir: string, branch: string): Promise<boolean> {
  return (await git(dir, ['show-ref', '--verify', '--quiet', `refs/heads/${branch}`])).code === 0;
}
