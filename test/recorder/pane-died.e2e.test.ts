// A pane whose process dies is reported by tmux itself (a pane-died hook the recorder sets), within
// 2 s and with its exit status, even for a state directory whose path has spaces, '#' and '$'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import type { StoreData } from '../../src/store/types.js';

test('a killed pane process is reported exited within 2 s through the pane-died hook', { timeout: 60_000 }, async (t) => {
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const state = join(tempDir(t), 'st ate #1 $HOME');
  const server = privateServer(t);
  const env = { CLAUDE_BIN: join(fixtures, 'bin', 'fake-claude-repl') };
  const started = await run(startScript, ['--socket', server.socket!, '--state', state, '--no-attach'], { cwd: project, env });
  assert.equal(started.exitCode, 0, started.stderr);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(() => Object.values(store().agents).every((a) => a.status === 'idle'), 30_000, 'agents idle');
  const hooks = await retryUntil(async () => { const h = await server.cmd(['show-hooks', '-t', store().session!.tmux_id, 'pane-died']); return h.includes('pane-died') && h; }, 10_000, 'the recorder set its pane-died hook');
  assert.ok(hooks.includes('tmux-events'));

  const pane = store().agents['worker-2']!.pane;
  const pid = (await server.cmd(['display-message', '-p', '-t', pane, '#{pane_pid}'])).trim();
  const children = execFileSync('pgrep', ['-P', pid]).toString().trim().split('\n').map(Number);
  const killedAt = Date.now();
  // The launch script first (so it cannot record the exit itself), then its claude.
  process.kill(Number(pid), 'SIGKILL');
  for (const c of children) process.kill(c, 'SIGKILL');
  const agent = await retryUntil(() => { const a = store().agents['worker-2']!; return a.status === 'exited' && a; }, 2000, 'worker-2 exited within 2 s').catch(async (error: Error) => {
    // What the recorder saw: its own log, and what tmux's hook wrote.
    const log = await server.cmd(['capture-pane', '-p', '-S', '-60', '-t', store().session!.control!.recorderPane]).catch((e: Error) => e.message);
    const events = readFileSync(join(state, 'tmux-events'), 'utf8').split('\n').length - 1;
    throw new Error(`${error.message}; ${events} pane-died event(s) written; recorder log:\n${log}`);
  });
  assert.ok(Date.parse(agent.updated_at) - killedAt < 2000);
  assert.match(agent.reason ?? '', /its pane's process exited/);
  assert.equal(store().events!.filter((e) => e.agent === 'worker-2' && e.event === 'PaneDied').length, 1);
});

test('a pane death that no hook reports (tmux\'s pane-died hook does not always fire on a loaded machine) is seen within 2 s', { timeout: 60_000 }, async (t) => {
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const state = join(tempDir(t), 'state');
  const server = privateServer(t);
  const env = { CLAUDE_BIN: join(fixtures, 'bin', 'fake-claude-repl') };
  const started = await run(startScript, ['--socket', server.socket!, '--state', state, '--no-attach'], { cwd: project, env });
  assert.equal(started.exitCode, 0, started.stderr);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(() => Object.values(store().agents).every((a) => a.status === 'idle'), 30_000, 'agents idle');
  const session = store().session!.tmux_id;
  await retryUntil(async () => (await server.cmd(['show-hooks', '-t', session, 'pane-died'])).includes('tmux-events'), 10_000, 'the recorder set its hook');
  // Its first look at tmux (which notes each pane's process) is done once the hook is set; the hook goes.
  await new Promise((r) => setTimeout(r, 300));
  await server.cmd(['set-hook', '-u', '-t', session, 'pane-died']);
  const pid = (await server.cmd(['display-message', '-p', '-t', store().agents['worker-3']!.pane, '#{pane_pid}'])).trim();
  const children = execFileSync('pgrep', ['-P', pid]).toString().trim().split('\n').map(Number);
  process.kill(Number(pid), 'SIGKILL');
  for (const c of children) process.kill(c, 'SIGKILL');
  const agent = await retryUntil(() => { const a = store().agents['worker-3']!; return a.status === 'exited' && a; }, 2000, 'worker-3 exited within 2 s without the hook');
  assert.match(agent.reason ?? '', /its pane's process exited/);
  assert.equal(existsSync(join(state, 'tmux-events')), false, 'no hook reported it');
});
