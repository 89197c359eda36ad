// Files of a worktree on a host, read there where git runs now (onMachine): a script per step with
// its arguments, what paths hold (as copies.ts records them), the worktree's git directory.
import { OrchestratorError } from '../core/errors.js';
import { currentMachine, gitOk } from '../git/git.js';

/** What a path holds: a file's sha256, or a symlink's target. */
export interface Held {
  path: string;
  sha256?: string;
  target?: string;
}

/** Runs a script there with its arguments (sh -c SCRIPT sh ARGS...). */
export async function sh(script: string, args: readonly string[], input?: string): Promise<string> {
  const shell = currentMachine();
  if (!shell) throw new OrchestratorError('worktrees/there: no host to run on (a bug: expected onMachine)');
  const r = await shell.run(['sh', '-c', script, 'sh', ...args], input);
  if (r.exitCode !== 0)
    throw new OrchestratorError(
      `on ${shell.key.replace(/:$/, '')}: ${r.stderr.trim().split('\n').pop() || `exit ${r.exitCode}`}`,
    );
  return r.stdout;
}

/** What the given paths below $1 hold: each file's sha256, each symlink's target (as copies.ts records them). */
const ENTRIES = `cd "$1" || exit 1; shift; [ $# -gt 0 ] || exit 0
find "$@" \\( -type f -o -type l \\) -exec sh -c 'for f; do if [ -L "$f" ]; then printf "l\\0%s\\0%s\\0" "$f" "$(readlink "$f")"; else printf "f\\0%s\\0%s\\0" "$f" "$(sha256sum < "$f" | cut -d" " -f1)"; fi; done' sh {} + 2>/dev/null
exit 0`;

/** What the paths below the worktree there hold now: each file's sha256, each symlink's target. */
export async function entriesThere(worktree: string, rels: readonly string[]): Promise<Held[]> {
  const f = (await sh(ENTRIES, [worktree, ...rels.map((r) => `./${r}`)])).split('\0');
  const found: Held[] = [];
  for (let i = 0; i + 2 < f.length; i += 3) {
    const path = f[i + 1]!.replace(/^\.\//, '');
    found.push(f[i] === 'l' ? { path, target: f[i + 2]! } : { path, sha256: f[i + 2]! });
  }
  return found;
}

/** The worktree's own git directory there (where the record of copies lives). */
export const gitDirThere = (worktree: string): Promise<string> => gitOk(worktree, ['rev-parse', '--absolute-git-dir']);
