// Running the real claude CLI in tests: a throwaway HOME that has already been through onboarding,
// API-key approval and folder trust, an environment that points the CLI at the API stand-in and
// fails fast, and the stand-in itself, closed when the test ends.
import { execa } from 'execa';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { startStandin, type Standin, type StandinOptions } from '../../src/standin/server.js';
import { standinClaudeEnv, writeClaudeHome } from '../../src/standin/claude-home.js';
import { repoRoot } from './paths.js';
import { onCleanup } from './tmux.js';

/** The pinned CLI installed as a devDependency. */
export const claudeBin = join(repoRoot, 'node_modules', '.bin', 'claude');

/** The fake API key every test uses (the CLI only checks it against ~/.claude.json approvals). */
export const FAKE_API_KEY = 'sk-ant-api03-standin-0000000000000000000000000000000000000000-TESTKEY';

/**
 * A temp HOME removed when the test ends. Unlike tempDir it retries: a claude just killed with its
 * tmux server keeps writing here for a moment (graceful-shutdown state, a .claude.json.lock dir).
 */
function throwawayHome(t: TestContext): string {
  const home = mkdtempSync(join(tmpdir(), 'orch-claude-home-'));
  onCleanup(t, () => rmSync(home, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 }));
  return home;
}

/**
 * A throwaway HOME and the environment to run claude with. `trust` lists directories whose
 * trust dialog counts as accepted; `skipTrustFor: false` leaves them out (to see the dialog).
 */
export function claudeEnv(
  t: TestContext,
  opts: { standinUrl: string; trust?: string[]; skipTrustFor?: boolean },
): { home: string; env: Record<string, string> } {
  const home = throwawayHome(t);
  const trusted = opts.skipTrustFor === false ? [] : (opts.trust ?? []);
  writeClaudeHome(home, { apiKey: FAKE_API_KEY, trusted });
  // Port leases of the test's sessions go with its HOME, not into the machine's registry.
  const env: Record<string, string> = {
    ...standinClaudeEnv(home, opts.standinUrl, FAKE_API_KEY),
    PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    ORCH_PORTS_DIR: join(home, '.orch-ports'),
  };
  return { home, env };
}

/** Starts the API stand-in for one test and closes it (with any hung sockets) when the test ends. */
export async function startStandinForTest(t: TestContext, opts: StandinOptions = {}): Promise<Standin> {
  const standin = await startStandin(opts);
  onCleanup(t, () => standin.close());
  return standin;
}

/** One finished print-mode run: exit code, the NDJSON events, the final `result` event, stderr. */
export interface PrintRun {
  exitCode: number;
  events: Record<string, unknown>[];
  result: Record<string, unknown> | undefined;
  stderr: string;
}

/** Runs `claude -p PROMPT --output-format stream-json --verbose ...args` with exactly env (killed after timeoutMs). */
export async function runClaudePrint(
  prompt: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string>; timeoutMs?: number },
): Promise<PrintRun> {
  const run = await execa(claudeBin, ['-p', prompt, '--output-format', 'stream-json', '--verbose', ...args], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: opts.timeoutMs ?? 45_000,
  });
  const events = String(run.stdout)
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    exitCode: run.exitCode ?? -1,
    events,
    result: events.find((e) => e.type === 'result'),
    stderr: String(run.stderr),
  };
}
