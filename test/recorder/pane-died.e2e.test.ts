// A pane whose process dies is reported within 2 s and with its exit status: by tmux itself (a
// pane-died hook the recorder sets), even for a state directory whose path has spaces, '#' and
// '$', and by the recorder's own check of the pane processes when no hook reports it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import type { StoreData } from '../../src/store/types.js';
import type { Server } from '../../src/tmux/objects.js';

/** Four fake agents (a raw-mode prompt box running the real hooks), idle, with the recorder's hook set. */
async function idleSession(
  t: TestContext,
  stateName: string,
): Promise<{ server: Server; state: string; store: () => StoreData }> {
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const state = join(tempDir(t), stateName);
  const server = privateServer(t);
  const started = await run(startScript, ['--socket', server.socket!, '--state', state, '--no-attach'], {
    cwd: project,
    env: { CLAUDE_BIN: join(fixtures, 'bin', 'fake-claude-repl') },
  });
  assert.equal(started.exitCode, 0, started.stderr);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(() => Object.values(store().agents).every((a) => a.status === 'idle'), 30_000, 'agents idle');
  await retryUntil(
    async () => (await server.cmd(['show-hooks', '-t', store().session!.tmux_id, 'pane-died'])).includes('tmux-events'),
    10_000,
    'the recorder set its pane-died hook',
  );
  return { server, state, store };
}

/** Kills an agent's launch script first (so it cannot record the exit itself), then its claude. */
async function killAgent(server: Server, pane: string): Promise<number> {
  const pid = (await server.cmd(['display-message', '-p', '-t', pane, '#{pane_pid}'])).trim();
  const children = execFileSync('pgrep', ['-P', pid]).toString().trim().split('\n').map(Number);
  const killedAt = Date.now();
  process.kill(Number(pid), 'SIGKILL');
  for (const c of children) process.kill(c, 'SIGKILL');
  return killedAt;
}

test('a killed pane process is reported exited within 2 s through the pane-died hook', {
  timeout: 60_000,
}, async (t) => {
  const { server, state, store } = await idleSession(t, 'st ate #1 $HOME');
  const killedAt = await killAgent(server, store().agents['worker-2']!.pane);
  const agent = await retryUntil(
    () => {
      const a = store().agents['worker-2']!;
      return a.status === 'exited' && a;
    },
    2000,
    'worker-2 exited within 2 s',
  ).catch(async (error: Error) => {
    // What the recorder saw: its own log, and what tmux's hook wrote.
    const log = await server
      .cmd(['capture-pane', '-p', '-S', '-60', '-t', store().session!.control!.recorderPane])
      .catch((e: Error) => e.message);
    const events = existsSync(join(state, 'tmux-events'))
      ? readFileSync(join(state, 'tmux-events'), 'utf8').split('\n').length - 1
      : 0;
    throw new Error(`${error.message}; ${events} pane-died event(s) written; recorder log:\n${log}`);
  });
  assert.ok(Date.parse(agent.updated_at) - killedAt < 2000);
  assert.match(agent.reason ?? '', /its pane's process exited/);
  assert.equal(store().events!.filter((e) => e.agent === 'worker-2' && e.event === 'PaneDied').length, 1);
});

test("a pane death that no hook reports (tmux's pane-died hook does not always fire on a loaded machine) is seen within 2 s", {
  timeout: 60_000,
}, async (t) => {
  const { server, state, store } = await idleSession(t, 'state');
  // The recorder's first look at tmux (which notes each pane's process) is done by now; the hook goes.
  await new Promise((r) => setTimeout(r, 300));
  await server.cmd(['set-hook', '-u', '-t', store().session!.tmux_id, 'pane-died']);
  await killAgent(server, store().agents['worker-3']!.pane);
  const agent = await retryUntil(
    () => {
      const a = store().agents['worker-3']!;
      return a.status === 'exited' && a;
    },
    2000,
    'worker-3 exited within 2 s without the hook',
  );
  assert.match(agent.reason ?? '', /its pane's process exited/);
  assert.equal(existsSync(join(state, 'tmux-events')), false, 'no hook reported it');
});

test('a recorder whose state directory is deleted stops: nothing is left to record into, and nothing else would ever end it', {
  timeout: 60_000,
}, async (t) => {
  const { state, store } = await idleSession(t, 'state');
  const recorder = store().recorder!.pid;
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  // As a test's clean-up or a person's rm -rf does it, while the tmux server is still up.
  const { rmSync } = await import('node:fs');
  rmSync(state, { recursive: true, force: true });
  // Something late (a dashboard that starts slowly and writes its address) makes a folder of that name again: it is not the session's.
  mkdirSync(state);
  await retryUntil(() => !alive(recorder), 20_000, 'the recorder gone');
});
