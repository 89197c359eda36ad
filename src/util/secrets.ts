// Secrets: which environment values are secret, how every printout hides them, and how they reach
// a process. A layout's env: values travel only in files of mode 0600 that the agent's own shell
// reads (never in argv, where any local user's ps sees them), and whatever we print or serve
// passes through one rule: the values of secret-named variables, and anything shaped like an
// Anthropic key, become [redacted].
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quote } from './shell-quote.js';
import { writeFileAtomic } from './atomic-file.js';

/** Names of environment variables whose values are secrets (ANTHROPIC_API_KEY, DB_PASSWORD, GITHUB_TOKEN...). */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASS|CREDENTIAL|AUTH|COOKIE|PRIVATE)/i;

/** Whether a variable's name says its value is a secret. */
export const isSecretName = (name: string): boolean => SECRET_NAME.test(name);

/** Text shaped like an Anthropic key, whatever variable it came from. */
const KEY_SHAPE = 'sk-ant-[A-Za-z0-9_-]{8,}';

/**
 * A function that blanks out secrets in text: the given values (a token of ours), the values of
 * the secret-named variables of each env, and anything shaped like an Anthropic key. Values
 * shorter than 8 characters are left alone (they would blank out ordinary words).
 */
export function redactor(
  extra: readonly (string | undefined)[],
  ...envs: Readonly<Record<string, string | undefined>>[]
): (text: string) => string {
  const values = new Set<string>();
  for (const env of envs)
    for (const [name, value] of Object.entries(env))
      if (value && value.length >= 8 && isSecretName(name)) values.add(value);
  for (const v of extra) if (v && v.length >= 8) values.add(v);
  const escaped = [...values].sort((a, b) => b.length - a.length).map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  const pattern = new RegExp([...escaped, KEY_SHAPE].join('|'), 'g');
  return (text) => text.replace(pattern, '[redacted]');
}

/** An environment as a printout shows it: names only (a value such as a URL with a password in it is a secret by no name). */
export const envNames = (env: Readonly<Record<string, string>>): string => Object.keys(env).join(' ') || '(none)';

/** The mode of every file that holds env: values. */
export const SECRET_FILE_MODE = 0o600;

/** A file of `export NAME='value'` lines for sh's `.` (the layout checked every name is a variable name). */
export function envFileText(env: Readonly<Record<string, string>>): string {
  const lines = Object.entries(env).map(([k, v]) => `export ${k}=${quote(v)}`);
  return [
    '# Environment from the layout (env:), read by the shell of its pane. Written by claude-orchestrator, mode 0600.',
    ...lines,
    '',
  ].join('\n');
}

/** Writes an env file: created with mode 0600 under a temp name and renamed, so it is never readable by others, not even for a moment. */
export function writeEnvFile(file: string, env: Readonly<Record<string, string>>): void {
  writeFileAtomic(file, envFileText(env), SECRET_FILE_MODE);
}

/** Reads back an env file written by writeEnvFile (its values, unquoted); a missing or foreign file gives {}. */
export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  // quote()'s words: a bare word, or '...' pieces (which may span lines) joined by \' for each quote.
  for (const [, name, raw] of text.matchAll(/^export ([A-Za-z_][A-Za-z0-9_]*)=((?:'[^']*'|\\')+|[^\s']*)$/gm)) {
    env[name!] = raw!.replace(/'([^']*)'|\\'/g, (_, inner: string | undefined) => inner ?? "'");
  }
  return env;
}

/** The values of every env file (name "env" or "*.env") directly in the given folders and their subfolders one level down. */
export function envFilesIn(dirs: readonly string[]): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  const visit = (dir: string, depth: number): void => {
    let entries: import('node:fs').Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.isFile() && (e.name === 'env' || e.name.endsWith('.env'))) found.push(readEnvFile(join(dir, e.name)));
      else if (e.isDirectory() && depth > 0) visit(join(dir, e.name), depth - 1);
    }
  };
  for (const dir of dirs) visit(dir, 1);
  return found;
}

/**
 * A tmux configuration file that sets the session's environment (for panes opened later, and the
 * control window): read by `source-file`, so no value is on tmux's command line. Values are in
 * double quotes with every byte but the plainest written as an octal escape, so tmux's parser
 * expands nothing ($VAR, ~, \, #, ;).
 */
export function tmuxEnvConf(session: string, env: Readonly<Record<string, string>>): string {
  const word = (text: string): string =>
    `"${[...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9_./:,=@+-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `\\${b.toString(8).padStart(3, '0')}`)).join('')}"`;
  const lines = Object.entries(env).map(([k, v]) => `set-environment -t ${word(`=${session}`)} ${word(k)} ${word(v)}`);
  return [
    '# The session environment from the layout (env:). Written by claude-orchestrator, mode 0600.',
    ...lines,
    '',
  ].join('\n');
}
