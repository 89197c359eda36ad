// The one place that runs tmux. Every call names its server (-L), passes arguments as an argv
// (no shell), and turns a failure into a TmuxError that names the subcommand and tmux's stderr.
// execa is loaded on first use: commands that never call tmux (--dry-run, --help) skip its cost.
import { join } from 'node:path';
import { formatLiteral } from './format.js';

let execaModule: Promise<typeof import('execa')> | undefined;
const loadExeca = (): Promise<typeof import('execa')> => (execaModule ??= import('execa'));

/** One tmux command as an argv, e.g. ['split-window', '-t', '%3', 'sh', '-c', '...']. */
export type TmuxCommand = readonly string[];

/** A failed tmux call: which subcommand, its exit code and what tmux said. */
export class TmuxError extends Error {
  constructor(
    readonly subcommand: string,
    readonly stderr: string,
    readonly exitCode: number | undefined,
    readonly argv: readonly string[],
  ) {
    super(`tmux ${subcommand} failed${exitCode === undefined ? '' : ` (exit ${exitCode})`}: ${stderr.trim() || 'no message'}`);
    this.name = 'TmuxError';
  }
}

/**
 * tmux ends a command at any argument that ends in ';' (even mid-text). A trailing ';' gets a
 * backslash so that user text such as "echo hi;" reaches tmux intact.
 */
export function escapeArg(arg: string): string {
  return arg.endsWith(';') ? `${arg.slice(0, -1)}\\;` : arg;
}

/**
 * Text as one word of tmux's command language in double quotes, for a command tmux parses itself
 * later (a hook's command): $, " and \\ escaped, and # doubled because run-shell expands formats.
 */
export const tmuxDoubleQuoted = (text: string): string => `"${formatLiteral(text.replace(/[\\"$]/g, '\\$&'))}"`;

/** Joins commands into one argv for a single client call: a ; b ; c. */
export function chainArgs(commands: readonly TmuxCommand[]): string[] {
  const argv: string[] = [];
  commands.forEach((command, i) => {
    if (i > 0) argv.push(';');
    argv.push(...command.map(escapeArg));
  });
  return argv;
}

/** Where tmux keeps the socket of a -L server (tmux 3.3 leaves it behind when the server is killed). */
export function socketPath(socket: string): string {
  return join(process.env.TMUX_TMPDIR || '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket);
}

/** The global flags that select a server: -L NAME, or nothing for the user's default server. */
export function serverArgs(socket: string | undefined): string[] {
  return socket ? ['-L', socket] : [];
}

/** Names the subcommands of a (possibly chained) call for error messages. */
function describe(commands: readonly TmuxCommand[]): string {
  return commands.map((c) => c[0] ?? '?').join(' ; ');
}

/** Runs one or more tmux commands in one client process and returns stdout. */
export async function tmux(socket: string | undefined, ...commands: TmuxCommand[]): Promise<string> {
  return tmuxWithInput(socket, undefined, ...commands);
}

/** Like tmux(), with text on the client's stdin (load-buffer -): user text never goes through argv or a shell. */
export async function tmuxWithInput(socket: string | undefined, input: string | undefined, ...commands: TmuxCommand[]): Promise<string> {
  const argv = [...serverArgs(socket), ...chainArgs(commands)];
  const { execa } = await loadExeca();
  const result = await execa('tmux', argv, { reject: false, ...(input === undefined ? { stdin: 'ignore' as const } : { input }), env: tmuxEnv() });
  if (result.failed) {
    throw new TmuxError(describe(commands), String(result.stderr || result.message), result.exitCode, argv);
  }
  return String(result.stdout);
}

/**
 * Inside a tmux pane, $TMUX points at the current server and would make a client talk to it when
 * no -L is given; callers choose the server explicitly, so it is dropped.
 */
export function tmuxEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.TMUX;
  return env;
}

/**
 * True when the error means "no server is running" (a normal state, not a failure): none was ever
 * there, only its socket file is left, or it is exiting while we ask ("server exited
 * unexpectedly", "lost server": a server killed a moment ago still answers the connection).
 */
export function isNoServer(error: unknown): boolean {
  return error instanceof TmuxError && /no server running|error connecting to .*\((No such file or directory|Connection refused)\)|server exited|lost server/.test(error.stderr);
}
