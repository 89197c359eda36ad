// Runs our commands as a user would (the compiled entry points), with a controlled environment.
import { execa } from 'execa';
import { join } from 'node:path';
import { fixtures, repoRoot } from './paths.js';

export const startScript = join(repoRoot, 'start.mts');
export const orchestrateScript = join(repoRoot, 'scripts', 'orchestrate.mts');
export const fakeClaude = join(fixtures, 'bin', 'fake-claude');

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a terminal; never throws on a non-zero exit. */
export async function run(
  file: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string>; input?: string } = {},
): Promise<RunResult> {
  const result = await execa(file, args, {
    cwd: opts.cwd ?? repoRoot,
    reject: false,
    ...(opts.input !== undefined ? { input: opts.input } : { stdin: 'ignore' as const }),
    env: { CLAUDE_BIN: fakeClaude, ORCH_NO_REBUILD: '1', ...opts.env },
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}
