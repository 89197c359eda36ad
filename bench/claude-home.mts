// A throwaway HOME for running the real claude in benchmarks (see src/standin/claude-home.ts):
// onboarding done, the fake API key approved, the project trusted, the API stand-in as endpoint.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { standinClaudeEnv, writeClaudeHome } from '../src/standin/claude-home.js';

export const BENCH_API_KEY = 'sk-ant-api03-standin-0000000000000000000000000000000000000000-BENCHKY';

/** Creates the HOME (under tmp) and returns it with the environment to run claude with. */
export function claudeHome(standinUrl: string, trusted: string[]): { home: string; env: Record<string, string> } {
  const home = mkdtempSync(join(tmpdir(), 'orch-bench-home-'));
  writeClaudeHome(home, { apiKey: BENCH_API_KEY, trusted });
  return {
    home,
    env: {
      ...standinClaudeEnv(home, standinUrl, BENCH_API_KEY),
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
    },
  };
}
