// Finds the claude executable: $CLAUDE_BIN, else `claude` on PATH, else this checkout's
// node_modules/.bin/claude (installed by npm ci as a devDependency).
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { toolkitRoot } from '../util/paths.js';
import { OrchestratorError } from '../core/errors.js';

const isExecutable = (path: string): boolean => {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** Absolute path of the claude executable to launch, or a clear error saying how to get one. */
export function resolveClaude(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLAUDE_BIN) {
    if (isExecutable(env.CLAUDE_BIN)) return env.CLAUDE_BIN;
    throw new OrchestratorError(
      `CLAUDE_BIN is ${env.CLAUDE_BIN}, which is not an executable file (point it at claude, or unset it)`,
    );
  }
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'claude'))) return join(dir, 'claude');
  }
  const local = join(toolkitRoot, 'node_modules', '.bin', 'claude');
  if (isExecutable(local)) return local;
  throw new OrchestratorError(
    'claude (Claude Code) was not found: run `npm ci` in the toolkit (it installs the pinned CLI), ' +
      'or `npm install -g @anthropic-ai/claude-code`, or set CLAUDE_BIN=/path/to/claude',
  );
}
