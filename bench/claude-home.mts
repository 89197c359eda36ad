// A throwaway HOME for running the real claude in benchmarks (as test/helpers/claude-env.ts does for
// tests): onboarding done, the fake API key approved, the project trusted, retries low, and the
// API stand-in as the endpoint. Nothing of the user's ~/.claude is read or written.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const BENCH_API_KEY = 'sk-ant-api03-standin-0000000000000000000000000000000000000000-BENCHKY';

/** Creates the HOME (under tmp) and returns it with the environment to run claude with. */
export function claudeHome(standinUrl: string, trusted: string[]): { home: string; env: Record<string, string> } {
  const home = mkdtempSync(join(tmpdir(), 'orch-bench-home-'));
  writeFileSync(join(home, '.claude.json'), `${JSON.stringify({
    hasCompletedOnboarding: true,
    customApiKeyResponses: { approved: [BENCH_API_KEY.slice(-20)], rejected: [] },
    projects: Object.fromEntries(trusted.map((dir) => [dir, { hasTrustDialogAccepted: true, allowedTools: [] }])),
  }, null, 2)}\n`);
  mkdirSync(join(home, '.claude'), { recursive: true });
  writeFileSync(join(home, '.claude', 'settings.json'), '{"skipDangerousModePermissionPrompt": true}\n');
  return {
    home,
    env: {
      HOME: home,
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      TERM: 'xterm-256color',
      ANTHROPIC_API_KEY: BENCH_API_KEY,
      ANTHROPIC_BASE_URL: standinUrl,
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
      CLAUDE_CODE_MAX_RETRIES: '0',
      API_TIMEOUT_MS: '15000',
      DISABLE_AUTOUPDATER: '1',
      IS_SANDBOX: '1',
      CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
    },
  };
}
