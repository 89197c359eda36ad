// The one place that runs tmux. Every call names its server (-L), passes arguments as an argv
// (no shell), and turns a failure into a TmuxError that names the subcommand and tmux's stderr.
// It spawns tmux with node:child_process itself: loading execa (~190 KB) cost ./start.mts more
// time than all of its tmux calls together.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { formatLiteral } from './format.js';
import type { RemoteShell } from '../core/remote-shell.js';
import { OrchestratorError } from '../core/errors.js';

export type { RemoteShell } from '../core/remote-shell.js';

/** One tmux command as an argv, e.g. ['split-window', '-t', '%3', 'sh', '-c', '...']. */
export type TmuxCommand = readonly string[];

/** A failed tmux call: which subcommand, tmux's exit code and what tmux said (a user's error: one line, exit 1). */
export class TmuxError extends OrchestratorError {
  constructor(
    readonly subcommand: string,
    readonly stderr: string,
    readonly tmuxExitCode: number | undefined,
    readonly argv: readonly string[],
  ) {
    super(
      `tmux ${subcommand} failed${tmuxExitCode === undefined ? '' : ` (exit ${tmuxExitCode})`}: ${stderr.trim() || 'no message'}`,
    );
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
export async function tmuxWithInput(
  socket: string | undefined,
  input: string | undefined,
  ...commands: TmuxCommand[]
): Promise<string> {
  const argv = [...serverArgs(socket), ...chainArgs(commands)];
  const result = await run(argv, input);
  if (result.failed) throw new TmuxError(describe(commands), result.stderr || result.message, result.exitCode, argv);
  return result.stdout;
}

/**
 * tmux on another machine: the same client call, run there by its shell (every word quoted for
 * it, the input on stdin). A machine that cannot be reached throws the shell's error, not a
 * TmuxError: its server may well be running.
 */
export async function tmuxOnHost(
  shell: RemoteShell,
  socket: string | undefined,
  input: string | undefined,
  ...commands: TmuxCommand[]
): Promise<string> {
  // -u: an ssh session there often has no UTF-8 locale, and tmux would then print our field
  // separator, and every character of Claude's screen beyond ASCII, as "_".
  const argv = ['-u', ...serverArgs(socket), ...chainArgs(commands)];
  const result = await shell.run(['tmux', ...argv], input);
  if (result.exitCode !== 0)
    throw new TmuxError(
      describe(commands),
      result.stderr || `tmux exited with code ${result.exitCode}`,
      result.exitCode ?? undefined,
      argv,
    );
  return stripFinalNewline(result.stdout);
}

/** What one tmux client process did. */
interface RunResult {
  failed: boolean;
  stdout: string;
  stderr: string;
  message: string;
  exitCode: number | undefined;
}

/** Drops one final newline, as execa did for every caller (output is compared and split on it). */
const stripFinalNewline = (text: string): string => text.replace(/\r?\n$/, '');

/**
 * Runs the tmux client with argv (no shell) and input on its stdin. The environment is passed as
 * it is, $TMUX included, as it was under execa (whose extendEnv merged process.env back in).
 */
function run(argv: readonly string[], input: string | undefined): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = spawn('tmux', argv, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: Error | undefined;
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      const stdout = stripFinalNewline(Buffer.concat(out).toString());
      const stderr = stripFinalNewline(Buffer.concat(err).toString());
      const failed = spawnError !== undefined || code !== 0;
      const message = spawnError
        ? `tmux could not be run: ${spawnError.message}`
        : signal
          ? `tmux was killed by ${signal}`
          : `tmux exited with code ${code}`;
      resolve({ failed, stdout, stderr, message, exitCode: spawnError ? undefined : (code ?? undefined) });
    });
    if (child.stdin) {
      // A client that exits before reading all of it (a failed command) must not crash us with EPIPE.
      child.stdin.on('error', () => {});
      child.stdin.end(input);
    }
  });
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
  return (
    error instanceof TmuxError &&
    /no server running|error connecting to .*\((No such file or directory|Connection refused)\)|server exited|lost server/.test(
      error.stderr,
    )
  );
}
