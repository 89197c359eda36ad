// A claude HOME for runs against the API stand-in (the demo, tests, benchmarks): it has been
// through Claude's first-run dialogs (onboarding done, the key approved, the project folders
// trusted, the bypass warning accepted), so agents start straight to their prompt box. The
// user's own ~/.claude is never read or written.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toolkitRoot } from '../util/paths.js';

/** The pinned claude version in node_modules, if installed. */
export function installedClaudeVersion(): string | undefined {
  try {
    return (
      JSON.parse(
        readFileSync(join(toolkitRoot, 'node_modules', '@anthropic-ai', 'claude-code', 'package.json'), 'utf8'),
      ) as { version: string }
    ).version;
  } catch {
    return undefined;
  }
}

/** Writes ~/.claude.json and ~/.claude/settings.json under home. */
export function writeClaudeHome(home: string, opts: { apiKey: string; trusted: string[] }): void {
  const version = installedClaudeVersion();
  writeFileSync(
    join(home, '.claude.json'),
    `${JSON.stringify(
      {
        hasCompletedOnboarding: true,
        ...(version ? { lastOnboardingVersion: version } : {}),
        customApiKeyResponses: { approved: [opts.apiKey.slice(-20)], rejected: [] },
        projects: Object.fromEntries(
          opts.trusted.map((dir) => [dir, { hasTrustDialogAccepted: true, allowedTools: [] }]),
        ),
      },
      null,
      2,
    )}\n`,
  );
  mkdirSync(join(home, '.claude'), { recursive: true });
  writeFileSync(
    join(home, '.claude', 'settings.json'),
    `${JSON.stringify({ skipDangerousModePermissionPrompt: true }, null, 2)}\n`,
  );
}

/** The environment that points claude at the stand-in from that HOME, failing fast and offline. */
export function standinClaudeEnv(
  home: string,
  standinUrl: string,
  apiKey: string,
  retries = 0,
): Record<string, string> {
  return {
    HOME: home,
    TERM: 'xterm-256color',
    ANTHROPIC_API_KEY: apiKey,
    ANTHROPIC_BASE_URL: standinUrl,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    CLAUDE_CODE_MAX_RETRIES: String(retries),
    API_TIMEOUT_MS: '15000',
    DISABLE_AUTOUPDATER: '1',
    IS_SANDBOX: '1',
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: '1',
  };
}
