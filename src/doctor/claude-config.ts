// Where Claude Code keeps its user state, as the CLI itself locates it (checked against
// @anthropic-ai/claude-code 2.1.197): the global config is $CLAUDE_CONFIG_DIR/.claude.json when
// CLAUDE_CONFIG_DIR is set, else ~/.claude.json (a legacy <config dir>/.config.json wins when it
// exists); settings and login credentials live in the config dir ($CLAUDE_CONFIG_DIR or ~/.claude).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ClaudeFiles {
  /** ~/.claude.json or its CLAUDE_CONFIG_DIR equivalent: onboarding, API key approvals, folder trust. */
  config: string;
  /** ~/.claude/settings.json: user settings (apiKeyHelper, skipDangerousModePermissionPrompt). */
  settings: string;
  /** ~/.claude/.credentials.json: a Claude account login (/login). */
  credentials: string;
}

/** The files the CLI reads, for the environment it runs with. */
export function claudeFiles(env: NodeJS.ProcessEnv): ClaudeFiles {
  const home = env.HOME || homedir();
  const configDir = env.CLAUDE_CONFIG_DIR || join(home, '.claude');
  const legacy = join(configDir, '.config.json');
  const suffix = env.CLAUDE_CODE_CUSTOM_OAUTH_URL ? '-custom-oauth' : '';
  return {
    config: existsSync(legacy) ? legacy : join(env.CLAUDE_CONFIG_DIR || home, `.claude${suffix}.json`),
    settings: join(configDir, 'settings.json'),
    credentials: join(configDir, '.credentials.json'),
  };
}

/** A JSON file read for checking: its object, or why it could not be read (missing is not an error). */
export interface JsonFile {
  file: string;
  exists: boolean;
  data: Record<string, unknown>;
  error?: string;
}

/** Reads a JSON object file; a missing file is an empty object, a broken one says why. */
export function readJsonFile(file: string): JsonFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    return { file, exists: !missing, data: {}, ...(missing ? {} : { error: (error as Error).message }) };
  }
  try {
    const data = JSON.parse(text) as unknown;
    if (typeof data !== 'object' || data === null || Array.isArray(data))
      return { file, exists: true, data: {}, error: 'it is not a JSON object' };
    return { file, exists: true, data: data as Record<string, unknown> };
  } catch (error) {
    return { file, exists: true, data: {}, error: `it is not valid JSON (${(error as Error).message})` };
  }
}

/** The CLI's reading of a boolean environment variable. */
export const envTrue = (value: string | undefined): boolean =>
  ['1', 'true', 'yes', 'on'].includes((value ?? '').trim().toLowerCase());
