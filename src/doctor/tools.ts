// The two programs a session needs: tmux (3.0 or later) and the claude executable, with versions.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmux } from '../tmux/command.js';
import { resolveClaude } from '../agents/claude-bin.js';
import { toolkitRoot } from '../util/paths.js';
import { ok, problem, warning, type Finding } from './types.js';

const MIN_TMUX: [number, number] = [3, 0];
const INSTALL_TMUX =
  'install tmux 3.0 or later: `apt-get install tmux` (Debian/Ubuntu), `dnf install tmux` (Fedora), `brew install tmux` (macOS)';

/** "tmux 3.3a" / "tmux next-3.4" / "tmux openbsd-7.4" -> [3, 3]; undefined when there is no number. */
export function parseTmuxVersion(text: string): [number, number] | undefined {
  const m = /(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** tmux is there and recent enough. */
export async function checkTmux(): Promise<Finding> {
  let out: string;
  try {
    out = (await tmux(undefined, ['-V'])).trim();
  } catch (error) {
    const missing = /ENOENT|not found/.test(String((error as Error).message));
    return problem(
      'tmux',
      missing ? 'tmux is not installed (not found on PATH)' : `tmux -V failed: ${(error as Error).message}`,
      INSTALL_TMUX,
    );
  }
  const version = parseTmuxVersion(out);
  if (!version)
    return warning(
      'tmux',
      `${out}: version not recognised (3.0 or later is needed)`,
      'if sessions fail to build, install a released tmux 3.x',
    );
  const [major, minor] = version;
  if (major < MIN_TMUX[0] || (major === MIN_TMUX[0] && minor < MIN_TMUX[1])) {
    return problem('tmux', `${out} is too old (3.0 or later is needed)`, INSTALL_TMUX);
  }
  return ok('tmux', out);
}

/** The claude version this toolkit pins (devDependency) and was tested with. */
export function pinnedClaudeVersion(): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(join(toolkitRoot, 'package.json'), 'utf8')) as {
      devDependencies?: Record<string, string>;
    };
    return pkg.devDependencies?.['@anthropic-ai/claude-code']?.replace(/^[^\d]*/, '');
  } catch {
    return undefined;
  }
}

const run = (
  file: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string; error?: Error }> =>
  new Promise((done) => {
    execFile(file, args, { env, timeout: 30_000 }, (error, stdout, stderr) => {
      const code = error
        ? typeof (error as NodeJS.ErrnoException).code === 'number'
          ? Number((error as NodeJS.ErrnoException).code)
          : null
        : 0;
      done({ code, stdout: String(stdout), stderr: String(stderr), ...(error ? { error } : {}) });
    });
  });

/** The claude executable that ./start.mts would launch, and its version (`claude --version`). */
export async function checkClaude(env: NodeJS.ProcessEnv): Promise<Finding[]> {
  let bin: string;
  try {
    bin = resolveClaude(env);
  } catch {
    const local = join(toolkitRoot, 'node_modules', '.bin', 'claude');
    return [
      env.CLAUDE_BIN
        ? problem(
            'claude',
            `CLAUDE_BIN is ${env.CLAUDE_BIN}, which is not an executable file`,
            `point CLAUDE_BIN at the claude executable (\`npm ci\` installs one as ${local}), or unset it to use claude from PATH`,
          )
        : problem(
            'claude',
            "claude (Claude Code) was not found on PATH nor in the toolkit's node_modules/.bin",
            'run `npm ci` in the toolkit (it installs the pinned CLI), or `npm install -g @anthropic-ai/claude-code`, or set CLAUDE_BIN=/path/to/claude',
          ),
    ];
  }
  const r = await run(bin, ['--version'], env);
  const version = /\d+\.\d+\.\d+\S*/.exec(r.stdout)?.[0];
  if (r.code !== 0 || !version) {
    const why =
      r.error && r.code === null
        ? r.error.message
        : `exit ${String(r.code)}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').slice(-3).join(' ')}` : ''}`;
    return [
      problem(
        'claude',
        `${bin} --version failed (${why})`,
        'reinstall it (`npm ci` in the toolkit installs the pinned CLI), or point CLAUDE_BIN at a working claude',
      ),
    ];
  }
  const found: Finding[] = [ok('claude', `${r.stdout.trim()} at ${bin}`)];
  const pinned = pinnedClaudeVersion();
  if (pinned && version !== pinned) {
    found.push(
      warning(
        'claude-version',
        `claude ${version} is not the version this toolkit is tested with (${pinned})`,
        `its dialogs and hooks may differ; \`npm ci\` installs ${pinned} as node_modules/.bin/claude (use it with CLAUDE_BIN=${join(toolkitRoot, 'node_modules', '.bin', 'claude')})`,
      ),
    );
  }
  return found;
}

/** For agents with worktree: true, git is there and the project is a repository with a commit. */
export async function checkGit(root: string): Promise<Finding> {
  const { git, commitOf, repoTop } = await import('../git/git.js');
  try {
    const version = (await git(root, ['--version'])).stdout.trim();
    const top = await repoTop(root);
    if (!top)
      return problem(
        'git',
        `${root} is not in a git repository, and agents with worktree: true need one`,
        `git init && git add -A && git commit -m start in ${root}, or drop worktree: from the layout`,
      );
    if (!(await commitOf(top, 'HEAD')))
      return problem(
        'git',
        `${top} has no commit yet, so there is nothing to start worktrees from`,
        'commit first: git add -A && git commit -m start',
      );
    return ok('git', `${version}; worktrees from ${top}`);
  } catch (error) {
    return problem(
      'git',
      (error as Error).message,
      'install git: `apt-get install git` (Debian/Ubuntu), `dnf install git`, `brew install git`',
    );
  }
}
