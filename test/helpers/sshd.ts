// Real OpenSSH servers for tests. Each host is an sshd of its own (its own config file, host key,
// loopback address 127.X.Y.Z and port, pid file and log in a temp dir) that lets in one fresh Linux
// user, reached through a client config of the test's own (`ssh -F configFile alias`). Root's
// ~/.ssh, /etc/ssh/sshd_config and the system's sshd are neither read nor touched. When the test
// ends, the sshds, every process of the users, the users and the directories go; users that a test
// process left behind when it died (SIGKILL) are removed by the next sshWorld on the machine.
//
// stop() and dropConnections() kill sshd processes only: a command a session started keeps
// running, as on a real host whose network went away; cleanup kills it with the user.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';
import { onCleanup, retryUntil, tempDir } from './tmux.js';

export interface SshHost {
  /** Host alias in the client config, e.g. 'box1-ab12'. */
  alias: string;
  /** The remote Linux user made for this host (unique, e.g. 'orchab12cd'). */
  user: string;
  /** That user's HOME: a fresh temp dir owned by the user (mode 0700). */
  home: string;
  /** 127.X.Y.Z, a loopback address of this host alone. */
  address: string;
  port: number;
  /** Kills the listening sshd and every sshd process of its connections (they drop); resolves when the port refuses. */
  stop(): Promise<void>;
  /** Starts the listening sshd again (same address, port and keys); resolves when it accepts. */
  start(): Promise<void>;
  /** Kills the sshd processes of the established connections (they drop); the listener stays. */
  dropConnections(): Promise<void>;
  /** Pids of every live (not zombie) process of the host's user. The sshd of a finished run() can linger a moment: poll. */
  processes(): number[];
  /** Runs a shell command as the host's user over ssh and returns its stdout (throws on a failure, with stderr). */
  run(cmd: string): string;
}

export interface SshWorld {
  /** Client config: `ssh -F configFile <alias>`. */
  configFile: string;
  hosts: SshHost[];
}

const SSHD = '/usr/sbin/sshd';
/** The GECOS of every user made here: marks them for the sweep of users left by a dead test process. */
const TAG = 'orch-test-sshd';
const GRACE_MS = 2000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const execFileAsync = promisify(execFile);

interface Row {
  pid: number;
  ppid: number;
  ruid: number;
  euid: number;
  zombie: boolean;
  args: string;
}

/** The process table (one ps call). */
function ps(): Row[] {
  const out = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,ruid=,euid=,stat=,args='], { encoding: 'utf8' });
  const rows: Row[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m)
      rows.push({
        pid: Number(m[1]),
        ppid: Number(m[2]),
        ruid: Number(m[3]),
        euid: Number(m[4]),
        zombie: m[5]!.startsWith('Z'),
        args: m[6]!,
      });
  }
  return rows;
}

/** Every descendant of root (not root itself). */
function descendants(rows: Row[], root: number): Row[] {
  const found = new Set([root]);
  const out: Row[] = [];
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows)
      if (found.has(r.ppid) && !found.has(r.pid)) {
        found.add(r.pid);
        out.push(r);
        grew = true;
      }
  }
  return out;
}

/** The pids that are still running (a zombie is not: this machine's init does not reap orphans). */
function running(pids: number[]): number[] {
  const wanted = new Set(pids);
  return ps()
    .filter((r) => wanted.has(r.pid) && !r.zombie)
    .map((r) => r.pid);
}

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

/** Sends sig, then SIGKILL to what is left after the grace time; resolves when all are gone. */
async function killAndWait(pids: number[], sig: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (!pids.length) return;
  signal(pids, sig);
  const deadline = Date.now() + GRACE_MS;
  while (running(pids).length) {
    if (Date.now() > deadline) {
      signal(running(pids), 'SIGKILL');
      await retryUntil(() => running(pids).length === 0, 5000, `pids ${pids.join(' ')} to exit`);
      return;
    }
    await sleep(20);
  }
}

/** Whether a TCP connection to address:port is accepted. */
function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1000, () => done(false));
  });
}

/** A random loopback address 127.X.Y.Z (never 127.0.0.1) and a port free on it (bound once to make sure). */
async function freeEndpoint(): Promise<{ address: string; port: number }> {
  for (let i = 0; ; i++) {
    const address = `127.${randomInt(256)}.${randomInt(256)}.${randomInt(2, 255)}`;
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen({ host: address, port: 0, exclusive: true }, () => {
          const { port } = server.address() as AddressInfo;
          server.close(() => resolve(port));
        });
      });
      return { address, port };
    } catch (error) {
      if (i > 20) throw error;
    }
  }
}

/** Runs a command that edits /etc/passwd, again while another process holds the lock (tests run in parallel). */
async function withPasswdLock(cmd: string, args: string[]): Promise<void> {
  for (let i = 0; ; i++) {
    try {
      await execFileAsync(cmd, args);
      return;
    } catch (error) {
      const stderr = String((error as { stderr?: unknown }).stderr ?? '');
      if (i < 100 && /lock/i.test(stderr)) {
        await sleep(30 + randomInt(70));
        continue;
      }
      throw new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || String(error)}`);
    }
  }
}

function userExists(user: string): boolean {
  try {
    execFileSync('id', ['-u', user], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Kills every process of uid (SIGKILL, as often as they fork) and waits until none runs. */
async function killUser(user: string, uid: number): Promise<void> {
  try {
    execFileSync('pkill', ['-KILL', '-u', user], { stdio: 'ignore' });
  } catch {
    /* none, or no such user any more */
  }
  await retryUntil(
    () => {
      const left = ps()
        .filter((r) => (r.ruid === uid || r.euid === uid) && !r.zombie)
        .map((r) => r.pid);
      signal(left, 'SIGKILL');
      return left.length === 0;
    },
    10_000,
    `the processes of ${user} to exit`,
  );
}

/** Deletes the user (and its group). Forced only because of zombies: init here does not reap them, and userdel counts them. */
async function deleteUser(user: string): Promise<void> {
  if (!userExists(user)) return;
  try {
    await withPasswdLock('userdel', [user]);
  } catch (error) {
    if (!/currently used by process/.test(String(error))) throw error;
    await withPasswdLock('userdel', ['-f', user]);
  }
}

// If the test process ends without its after hooks (process.exit, an uncaught error), this kills
// and deletes what is left, synchronously. A SIGKILLed process is swept by the next sshWorld.
const live = new Map<string, { listener: () => number | undefined; dirs: string[] }>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const [user, { listener, dirs }] of live) removeSync(user, listener(), dirs);
  });
}

/** Best effort, synchronous: the listener, the sessions and processes of the user, the user, its dirs. */
function removeSync(user: string, listener: number | undefined, dirs: string[]): void {
  const rows = ps();
  const pids = rows
    .filter(
      (r) => r.args.startsWith(`sshd: ${user} `) || r.args.startsWith(`sshd: ${user}@`) || r.args === `sshd: ${user}`,
    )
    .map((r) => r.pid);
  if (listener) pids.push(listener, ...descendants(rows, listener).map((r) => r.pid));
  signal(pids, 'SIGKILL');
  try {
    execFileSync('pkill', ['-KILL', '-u', user], { stdio: 'ignore' });
  } catch {
    /* none */
  }
  try {
    execFileSync('userdel', ['-f', user], { stdio: 'ignore' });
  } catch {
    /* gone, or locked */
  }
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
}

/** Removes the users (with their sshds and dirs) of test processes that died without cleaning up. */
function sweepStale(): void {
  const passwd = readFileSync('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const [user, , , , gecos, home] = line.split(':');
    const m = /^orch-test-sshd pid=(\d+) dir=(\S+)$/.exec(gecos ?? '');
    if (!user || !m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 0);
      continue;
    } catch {
      /* its test process is gone */
    }
    const dir = m[2]!;
    const listeners = ps()
      .filter((r) => r.args.includes(`${SSHD} -D`) && r.args.includes(` -f ${dir}/`))
      .map((r) => r.pid);
    const dirs = [dir, ...(home?.startsWith(join(tmpdir(), 'orch-home-')) ? [home] : [])];
    for (const listener of listeners.length ? listeners : [undefined]) removeSync(user, listener, dirs);
  }
  // A listener whose config is gone (its world was removed, its user too) serves no one.
  for (const r of ps()) {
    const cfg = /^(?:sshd: )?\/usr\/sbin\/sshd -D .* -f (\S+\/orch-sshd-[^/\s]+\/[^/\s]+\/sshd_config)/.exec(
      r.args,
    )?.[1];
    if (cfg && !r.zombie && !existsSync(cfg)) signal([r.pid], 'SIGKILL');
  }
}

/** The user must reach the temp dirs: every directory above them must be searchable by others. */
function checkTmpdirReachable(): void {
  for (let dir = tmpdir(); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0)
      throw new Error(
        `sshWorld: ${dir} is not searchable by other users; set TMPDIR to a directory that is (e.g. /tmp)`,
      );
    if (dir === dirname(dir)) return;
  }
}

function sshdConfig(h: { address: string; port: number; dir: string; user: string }): string {
  return `# An sshd of a test (test/helpers/sshd.ts); nothing else reads this file.
ListenAddress ${h.address}:${h.port}
HostKey ${h.dir}/ssh_host_ed25519_key
PidFile ${h.dir}/sshd.pid
UsePAM no
StrictModes no
PubkeyAuthentication yes
AuthorizedKeysFile ${h.dir}/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers ${h.user}
LogLevel ERROR
ClientAliveInterval 2
ClientAliveCountMax 2
MaxSessions 100
MaxStartups 100:30:200
PrintMotd no
PrintLastLog no
X11Forwarding no
Subsystem sftp internal-sftp
`;
}

interface HostState {
  alias: string;
  user: string;
  uid: number;
  home: string;
  dir: string;
  address: string;
  port: number;
  child?: ChildProcess;
}

const isRunning = (child: ChildProcess | undefined): child is ChildProcess =>
  !!child && child.exitCode === null && child.signalCode === null;

/** Starts the listener; resolves when it accepts, rejects (with its log) when it exits first. */
async function startSshd(h: HostState): Promise<void> {
  if (isRunning(h.child)) return;
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const log = join(h.dir, 'sshd.log');
  // detached: a process group of its own, so no signal of sshd's can reach the test process.
  const child = spawn(SSHD, ['-D', '-e', '-E', log, '-f', join(h.dir, 'sshd_config')], {
    detached: true,
    stdio: 'ignore',
  });
  h.child = child;
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (spawnError || !isRunning(child)) {
      let text = '';
      try {
        text = readFileSync(log, 'utf8').trim();
      } catch {
        /* no log */
      }
      throw new Error(
        `sshd of ${h.alias} on ${h.address}:${h.port} exited (${child.exitCode ?? child.signalCode ?? spawnError}): ${text}`,
      );
    }
    if (await accepts(h.address, h.port)) return;
    if (Date.now() > deadline)
      throw new Error(`sshd of ${h.alias} on ${h.address}:${h.port} does not accept after 10 s`);
    await sleep(20);
  }
}

/** The sshd processes of the host's connections: under the listener, and any `sshd: <user>` (an earlier listener's). */
function sessionPids(h: HostState, rows: Row[]): number[] {
  const pids = new Set<number>();
  if (isRunning(h.child) && h.child.pid) {
    for (const r of descendants(rows, h.child.pid))
      if (r.args.startsWith('sshd') || r.args.startsWith(SSHD)) pids.add(r.pid);
  }
  const mine = new RegExp(`^sshd: ${h.user}(?:[ @]|$)`);
  for (const r of rows) if (mine.test(r.args) && !r.zombie) pids.add(r.pid);
  return [...pids];
}

async function stopSshd(h: HostState): Promise<void> {
  const child = h.child;
  // Stopped, the listener accepts nothing more while its children are collected and killed.
  if (isRunning(child)) signal([child.pid!], 'SIGSTOP');
  const pids = sessionPids(h, ps());
  if (isRunning(child)) {
    const exited = new Promise((r) => child.once('exit', r));
    signal([child.pid!], 'SIGKILL');
    await exited;
  }
  await killAndWait(pids);
  rmSync(join(h.dir, 'sshd.pid'), { force: true });
  await retryUntil(async () => !(await accepts(h.address, h.port)), 10_000, `${h.address}:${h.port} to refuse`);
}

async function dropConnections(h: HostState): Promise<void> {
  const child = h.child;
  if (isRunning(child)) signal([child.pid!], 'SIGSTOP');
  try {
    await killAndWait(sessionPids(h, ps()));
  } finally {
    if (isRunning(child)) signal([child.pid!], 'SIGCONT');
  }
}

/**
 * Starts n sshd hosts (in parallel) and writes a client config for `ssh -F configFile alias`.
 * opts.names: the aliases' stems (default box1, box2, ...); each alias gets the world's suffix.
 * Everything is removed when the test t ends.
 */
export async function sshWorld(t: TestContext, n: number, opts: { names?: string[] } = {}): Promise<SshWorld> {
  if (process.getuid?.() !== 0) throw new Error('sshWorld needs root (it makes users and runs sshd)');
  checkTmpdirReachable();
  installExitHook();
  sweepStale();
  const names = opts.names ?? Array.from({ length: n }, (_, i) => `box${i + 1}`);
  if (names.length !== n) throw new Error(`sshWorld: ${n} hosts but ${names.length} names`);
  const suffix = randomBytes(2).toString('hex');

  const world = tempDir(t, 'orch-sshd-');
  chmodSync(world, 0o755); // the users read their authorized_keys below it
  const client = join(world, 'client');
  mkdirSync(client, { mode: 0o700 });
  const identity = join(client, 'id_ed25519');
  const keygen = (file: string, comment: string) =>
    execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);

  const states: HostState[] = [];
  for (const name of names) {
    const user = `orch${randomBytes(3).toString('hex')}`;
    const dir = join(world, name);
    mkdirSync(dir, { mode: 0o755 });
    const home = tempDir(t, 'orch-home-');
    const state: HostState = { alias: `${name}-${suffix}`, user, uid: -1, home, dir, address: '', port: 0 };
    live.set(user, { listener: () => state.child?.pid, dirs: [home, world] });
    // Registered before the user exists, so a failure halfway still removes it; runs before the dirs go.
    onCleanup(t, async () => {
      try {
        await stopSshd(state);
      } finally {
        if (state.uid >= 0) await killUser(user, state.uid);
        await deleteUser(user);
        live.delete(user);
      }
    });
    // '*': no password, yet not locked (with UsePAM no, sshd refuses a locked account even for a key).
    await withPasswdLock('useradd', [
      '-M',
      '-d',
      home,
      '-s',
      '/bin/sh',
      '-p',
      '*',
      '-c',
      `${TAG} pid=${process.pid} dir=${world}`,
      user,
    ]);
    state.uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }));
    const gid = Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }));
    chownSync(home, state.uid, gid);
    chmodSync(home, 0o700);
    states.push(state);
  }

  await Promise.all([
    keygen(identity, `client-${suffix}`),
    ...states.map((h) => keygen(join(h.dir, 'ssh_host_ed25519_key'), h.alias)),
  ]);
  const publicKey = readFileSync(`${identity}.pub`, 'utf8');
  await Promise.all(
    states.map(async (h) => {
      writeFileSync(join(h.dir, 'authorized_keys'), publicKey, { mode: 0o644 });
      for (let attempt = 1; ; attempt++) {
        Object.assign(h, await freeEndpoint());
        writeFileSync(join(h.dir, 'sshd_config'), sshdConfig(h));
        try {
          await startSshd(h);
          return;
        } catch (error) {
          // Someone took the port between our bind and sshd's: another address, another port.
          if (attempt >= 5 || !/bind|Address already in use/i.test(String(error))) throw error;
        }
      }
    }),
  );

  const configFile = join(client, 'config');
  writeFileSync(
    configFile,
    states
      .map(
        (h) => `Host ${h.alias}
  HostName ${h.address}
  Port ${h.port}
  User ${h.user}
  IdentityFile ${identity}
  IdentitiesOnly yes
  UserKnownHostsFile ${join(client, 'known_hosts')}
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking accept-new
  BatchMode yes
  LogLevel ERROR
`,
      )
      .join('\n'),
    { mode: 0o600 },
  );

  const hosts = states.map(
    (h): SshHost => ({
      alias: h.alias,
      user: h.user,
      home: h.home,
      address: h.address,
      port: h.port,
      stop: () => stopSshd(h),
      start: () => startSshd(h),
      dropConnections: () => dropConnections(h),
      processes: () =>
        ps()
          .filter((r) => (r.ruid === h.uid || r.euid === h.uid) && !r.zombie)
          .map((r) => r.pid),
      run: (cmd) => {
        try {
          return execFileSync('ssh', ['-F', configFile, h.alias, cmd], {
            encoding: 'utf8',
            stdio: ['ignore', 'pipe', 'pipe'],
            timeout: 30_000,
          });
        } catch (error) {
          const e = error as { status?: number; stderr?: string };
          throw new Error(
            `ssh ${h.alias} ${JSON.stringify(cmd)} failed (exit ${e.status}): ${String(e.stderr ?? error).trim()}`,
          );
        }
      },
    }),
  );
  return { configFile, hosts };
}
