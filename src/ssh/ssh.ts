// The one place that runs ssh. Every call to a host goes through one multiplexed connection per
// host (ControlMaster: the first call opens it, later calls ride on it and cost a round trip, not a
// handshake), never asks for a password (BatchMode), quotes every word of the remote command for
// the remote shell, and sends user text only on stdin.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { quoteArgv } from '../util/shell-quote.js';
import type { RemoteShell } from '../core/remote-shell.js';
import { OrchestratorError } from '../core/errors.js';

/** A host as ssh reaches it: a destination as ssh takes it (user@box, an alias of ~/.ssh/config) and an optional port. */
export interface SshTarget {
  name: string;
  ssh: string;
  port?: number;
}

/** ssh's own exit code for a connection that failed (refused, timed out, dropped, no login without a prompt). */
export const SSH_FAILED = 255;

/** A remote command that could not run because the host could not be reached (ssh exited 255): one line with the host, ssh's reason and what to do. */
export class HostUnreachableError extends OrchestratorError {
  constructor(
    readonly host: string,
    readonly detail: string,
  ) {
    super(
      `host ${host} cannot be reached: ${detail || 'ssh failed'} (check that it is up and that ssh logs in without a prompt: orchestrate doctor)`,
    );
    this.name = 'HostUnreachableError';
  }
}

export const isUnreachable = (error: unknown): error is HostUnreachableError => error instanceof HostUnreachableError;

/**
 * Where the connections' control sockets live: a short path (a unix socket path has at most 107
 * bytes; %C is 40 of them), private to this user.
 */
export function controlDir(): string {
  const dir = join(process.env.ORCH_SSH_CONTROL_DIR || tmpdir(), `orch-ssh-${process.getuid?.() ?? 0}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/**
 * ssh's options for a host: the shared connection (kept 10 minutes after its last use), no
 * prompt, a dead connection noticed within about 10 s. ORCH_SSH_CONFIG names another config file
 * (ssh -F), for a team's own or a test's.
 */
export function sshOptions(target: SshTarget, opts: { multiplex?: boolean } = {}): string[] {
  const config = process.env.ORCH_SSH_CONFIG;
  return [
    ...(config ? ['-F', config] : []),
    ...(target.port ? ['-p', String(target.port)] : []),
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    '-o',
    'ServerAliveInterval=3',
    '-o',
    'ServerAliveCountMax=3',
    ...(opts.multiplex === false
      ? ['-o', 'ControlMaster=no', '-o', 'ControlPath=none']
      : ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(controlDir(), '%C')}`, '-o', 'ControlPersist=600']),
  ];
}

/** The argv that runs remoteArgv on the host (each word quoted for the remote shell, which ssh always uses). */
export function sshArgv(
  target: SshTarget,
  remoteArgv: readonly string[],
  opts: { tty?: boolean; multiplex?: boolean } = {},
): string[] {
  return ['ssh', ...sshOptions(target, opts), ...(opts.tty ? ['-t'] : ['-T']), target.ssh, '--', quoteArgv(remoteArgv)];
}

/** What one remote command did. */
export interface SshResult {
  stdout: string;
  stderr: string;
  exitCode: number | null;
}

/**
 * Runs remoteArgv on the host, input on its stdin. An ssh that fails to connect throws
 * HostUnreachableError; the remote command's own exit code is returned.
 */
export function runOnHost(
  target: SshTarget,
  remoteArgv: readonly string[],
  opts: { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<SshResult> {
  const [bin, ...args] = sshArgv(target, remoteArgv);
  return new Promise((resolve, reject) => {
    const child = spawn(bin!, args, { stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let spawnError: Error | undefined;
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.stdout?.on('data', (c: Buffer) => out.push(c));
    child.stderr?.on('data', (c: Buffer) => err.push(c));
    child.on('error', (error) => {
      spawnError = error;
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString().trim();
      if (spawnError)
        return reject(new HostUnreachableError(target.name, `ssh could not be run: ${spawnError.message}`));
      if (signal) return reject(new HostUnreachableError(target.name, `ssh timed out after ${opts.timeoutMs} ms`));
      if (code === SSH_FAILED) return reject(new HostUnreachableError(target.name, lastLine(stderr)));
      resolve({ stdout, stderr, exitCode: code });
    });
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}

/** Like runOnHost, but a non-zero exit of the remote command throws too (with what it said). */
export async function checkOnHost(
  target: SshTarget,
  remoteArgv: readonly string[],
  opts: { input?: string | Buffer; timeoutMs?: number } = {},
): Promise<string> {
  const result = await runOnHost(target, remoteArgv, opts);
  if (result.exitCode !== 0)
    throw new OrchestratorError(
      `on host ${target.name}: ${remoteArgv[0]} exited with code ${result.exitCode}: ${lastLine(result.stderr) || 'no message'}`,
    );
  return result.stdout;
}

/** Closes the host's shared connection (ssh -O exit); one that is not open is fine. */
export function closeConnection(target: SshTarget): Promise<void> {
  const args = [...sshOptions(target), '-O', 'exit', target.ssh];
  return new Promise((resolve) => {
    const child = spawn('ssh', args, { stdio: 'ignore' });
    child.on('error', () => resolve());
    child.on('close', () => resolve());
  });
}

/** ssh's last line of stderr: its reason (earlier lines are warnings such as "Permanently added"). */
const lastLine = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .pop() ?? '';

/** A host as a shell for the layers that run commands there (tmux, git): its shared connection. */
export function hostShell(target: SshTarget): RemoteShell {
  return {
    key: `${target.ssh}:${target.port ?? ''}`,
    run: (argv, input) => runOnHost(target, argv, { ...(input !== undefined ? { input } : {}), timeoutMs: 60_000 }),
  };
}
