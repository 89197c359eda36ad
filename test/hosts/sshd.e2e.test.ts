// The sshd helper against real OpenSSH: hosts with users of their own, stop/start and dropped
// connections (multiplexed ones too), and nothing left of a world when its test ends.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sshWorld, type SshHost, type SshWorld } from '../helpers/sshd.js';
import { onCleanup, retryUntil, tempDir } from '../helpers/tmux.js';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

interface Client {
  child: ChildProcess;
  exited: Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>;
}

/** Runs `ssh -F configFile ...args` in the background; killed when the test ends. */
function ssh(t: TestContext, configFile: string, ...args: string[]): Client {
  const started = Date.now();
  const child = spawn('ssh', ['-F', configFile, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const exited = new Promise<{ code: number | null; stdout: string; stderr: string; ms: number }>((resolve) => {
    child.once('close', (code) => resolve({ code, stdout, stderr, ms: Date.now() - started }));
  });
  onCleanup(t, () => {
    child.kill('SIGKILL');
  });
  return { child, exited };
}

const sshRun = (t: TestContext, configFile: string, ...args: string[]) => ssh(t, configFile, ...args).exited;

/** A ControlMaster connection (ssh -N) and the options of clients that go through it. */
async function master(t: TestContext, configFile: string, alias: string): Promise<{ client: Client; mux: string[] }> {
  const mux = ['-o', `ControlPath=${tempDir(t)}/cm`];
  const client = ssh(t, configFile, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=no', ...mux, '-N', alias);
  await retryUntil(
    async () => (await sshRun(t, configFile, ...mux, '-O', 'check', alias)).code === 0,
    10_000,
    'the master to be up',
  );
  return { client, mux };
}

/** Pids of the host user's processes whose command line is args. */
function processesRunning(host: SshHost, args: string): number[] {
  const pids = host.processes();
  if (!pids.length) return [];
  let out = '';
  try {
    out = execFileSync('ps', ['-o', 'pid=,args=', '-p', pids.join(',')], { encoding: 'utf8' });
  } catch {
    return [];
  }
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(.*)$/.exec(l))
    .filter((m) => m && m[2] === args)
    .map((m) => Number(m![1]));
}

function accepts(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const userExists = (user: string): boolean => {
  try {
    execFileSync('id', [user], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

const dotSsh = () => {
  const dir = join(homedir(), '.ssh');
  return existsSync(dir) ? readdirSync(dir).sort() : null;
};

test('two hosts: each alias logs in as a user of its own, whose HOME the other cannot read; node, tmux and claude run there', {
  timeout: 30_000,
}, async (t) => {
  const rootSsh = dotSsh();
  const { configFile, hosts } = await sshWorld(t, 2);
  const [a, b] = hosts as [SshHost, SshHost];
  assert.notEqual(a.user, b.user);
  assert.notEqual(a.home, b.home);
  assert.notEqual(a.address, b.address);
  assert.match(a.alias, /^box1-[0-9a-f]{4}$/);
  assert.match(b.alias, /^box2-[0-9a-f]{4}$/);
  for (const h of hosts) {
    const r = await sshRun(t, configFile, h.alias, 'whoami; echo "$HOME"; id -u');
    assert.equal(r.code, 0, r.stderr);
    const [user, home, uid] = r.stdout.trim().split('\n');
    assert.equal(user, h.user);
    assert.equal(home, h.home);
    assert.equal(statSync(h.home).uid, Number(uid), 'HOME belongs to the user');
  }

  b.run('echo secret > "$HOME/secret"');
  const peek = await sshRun(t, configFile, a.alias, `ls ${b.home}; cat ${b.home}/secret`);
  assert.notEqual(peek.code, 0);
  assert.match(peek.stderr, /Permission denied/);
  assert.doesNotMatch(peek.stdout, /secret/);
  assert.equal(b.run('cat "$HOME/secret"'), 'secret\n');

  const [path, tmux, node, nodeVersion, tmuxVersion, claude] = a
    .run(
      `echo "$PATH"; command -v tmux; command -v node; node --version; tmux -V; ${repoRoot}/node_modules/.bin/claude --version`,
    )
    .trim()
    .split('\n');
  assert.match(path!, /(^|:)\/usr\/local\/bin:\/usr\/bin:\/bin(:|$)/);
  assert.equal(tmux, '/usr/bin/tmux');
  assert.equal(node, '/usr/bin/node');
  assert.equal(nodeVersion, process.version);
  assert.match(tmuxVersion!, /^tmux \d/);
  assert.match(claude!, /\(Claude Code\)/);
  assert.deepEqual(dotSsh(), rootSsh, "root's ~/.ssh is left as it was");
});

test('stop() drops the connections, a multiplexed one too, and the port refuses; start() lets ssh in again with the same host key', {
  timeout: 30_000,
}, async (t) => {
  const {
    configFile,
    hosts: [h],
  } = await sshWorld(t, 1, { names: ['solo'] });
  assert.match(h!.alias, /^solo-[0-9a-f]{4}$/);
  assert.equal(h!.run('whoami').trim(), h!.user);
  const { client: masterClient, mux } = await master(t, configFile, h!.alias);
  const session = ssh(t, configFile, ...mux, h!.alias, 'sleep 100');
  await retryUntil(() => processesRunning(h!, 'sleep 100').length, 10_000, 'the multiplexed session to run');

  await h!.stop();
  assert.equal((await masterClient.exited).code, 255, 'the master lost its connection');
  assert.equal((await session.exited).code, 255, 'so did the session through it');
  const refused = await sshRun(t, configFile, '-o', 'ConnectTimeout=3', h!.alias, 'true');
  assert.equal(refused.code, 255);
  assert.match(refused.stderr, /Connection refused/);
  assert.ok(refused.ms < 2000, `refused at once (${refused.ms} ms)`);
  assert.equal(await accepts(h!.address, h!.port), false);

  await h!.start();
  const again = await sshRun(t, configFile, '-o', 'ConnectTimeout=3', h!.alias, 'whoami');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout.trim(), h!.user);
  await h!.start(); // started already: nothing happens
  await h!.stop();
  await h!.stop(); // stopped already: nothing happens
  await h!.start();
  assert.equal(h!.run('whoami').trim(), h!.user);
});

test('dropConnections() drops an open session and a master while new connections get in; the command outlives its connection', {
  timeout: 30_000,
}, async (t) => {
  const {
    configFile,
    hosts: [h],
  } = await sshWorld(t, 1);
  const session = ssh(t, configFile, h!.alias, 'sleep 100');
  const { client: masterClient } = await master(t, configFile, h!.alias);
  await retryUntil(() => processesRunning(h!, 'sleep 100').length, 10_000, 'the session to run');

  const started = Date.now();
  await h!.dropConnections();
  const dropped = await session.exited;
  assert.equal(dropped.code, 255, dropped.stderr);
  assert.ok(Date.now() - started < 3000, `dropped at once (${Date.now() - started} ms)`);
  assert.equal((await masterClient.exited).code, 255);
  assert.equal(h!.run('whoami').trim(), h!.user, 'a new connection gets in');
  const remux = await master(t, configFile, h!.alias);
  assert.equal(
    (await sshRun(t, configFile, ...remux.mux, h!.alias, 'whoami')).stdout.trim(),
    h!.user,
    'so does a new master',
  );

  // Like on a host whose network went away, the command runs on; killed, the user has nothing left.
  assert.equal(processesRunning(h!, 'sleep 100').length, 1);
  h!.run('pkill -u "$(id -u)" -x sleep');
  await h!.dropConnections();
  await retryUntil(() => h!.processes().length === 0, 5000, 'no process of the user');
});

test('when the test ends, the sshds, every process of the users, the users and their dirs are gone', {
  timeout: 30_000,
}, async (t) => {
  let world: SshWorld | undefined;
  let open: Client | undefined;
  await t.test('a test whose users leave processes behind and a connection open', async (st) => {
    world = await sshWorld(st, 2);
    for (const h of world.hosts) {
      h.run('nohup sleep 100 >/dev/null 2>&1 & tmux -L left new-session -d "sleep 101"');
      assert.equal(processesRunning(h, 'sleep 100').length, 1);
      assert.equal(processesRunning(h, 'sleep 101').length, 1);
    }
    open = ssh(t, world.configFile, world.hosts[0]!.alias, 'sleep 102');
    await retryUntil(() => processesRunning(world!.hosts[0]!, 'sleep 102').length, 10_000, 'the open session to run');
  });
  assert.ok(world && open);
  assert.equal((await open.exited).code, 255, 'the open connection dropped');
  const worldDir = dirname(dirname(world.configFile));
  assert.equal(existsSync(worldDir), false, 'the config, keys and logs are gone');
  const left = execFileSync('ps', ['-e', '-o', 'args='], { encoding: 'utf8' })
    .split('\n')
    .filter((l) => l.includes(worldDir));
  assert.deepEqual(left, [], 'no sshd of the world runs');
  for (const h of world.hosts) {
    assert.deepEqual(h.processes(), [], `no process of ${h.user}`);
    assert.equal(userExists(h.user), false, `${h.user} is deleted`);
    assert.equal(existsSync(h.home), false, 'its HOME is gone');
    assert.equal(await accepts(h.address, h.port), false, 'the port refuses');
  }
});

test('the users, sshds and dirs of a test process that was killed (no cleanup ran) go with the next sshWorld', {
  timeout: 30_000,
}, async (t) => {
  const helper = join(repoRoot, 'dist', 'test', 'helpers', 'sshd.js');
  // A test context whose after hooks never run, in a process SIGKILLed once its world is up.
  const script = `import { sshWorld } from ${JSON.stringify(helper)};
const w = await sshWorld({ after() {} }, 1);
console.log(JSON.stringify({ ...w.hosts[0], configFile: w.configFile }));
setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  onCleanup(t, () => {
    child.kill('SIGKILL');
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve(out);
    });
    child.once('exit', (code) => reject(new Error(`the child exited (${code}) before its world was up`)));
  });
  const stale = JSON.parse(line) as { user: string; home: string; address: string; port: number; configFile: string };
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  assert.equal(userExists(stale.user), true, 'the killed process left its user');
  assert.equal(await accepts(stale.address, stale.port), true, 'and its sshd');

  await sshWorld(t, 1);
  assert.equal(userExists(stale.user), false, 'the next world deleted the user');
  assert.equal(await accepts(stale.address, stale.port), false, 'killed the sshd');
  assert.equal(existsSync(stale.home), false, 'removed the HOME');
  assert.equal(existsSync(dirname(dirname(stale.configFile))), false, 'and the config dir');
});
