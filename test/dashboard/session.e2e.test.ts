// ./start.mts starts the dashboard in the control window (unless the layout says dashboard: false);
// it records its address in <state>/dashboard.json. Fake claude agents: only the wiring is tested.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { writeLayout } from '../helpers/session.js';
import { request } from '../helpers/http.js';
import { readDashboardInfo } from '../../src/dashboard/info.js';

test('the control window runs the dashboard, which says where it is', async (t) => {
  const project = join(tempDir(t), 'proj');
  mkdirSync(project);
  const state = join(tempDir(t), 'state');
  const server = privateServer(t);
  const started = await run(startScript, ['--socket', server.socket!, '--state', state, '--no-attach'], {
    cwd: project,
  });
  assert.equal(started.exitCode, 0, started.stderr);
  assert.match(
    started.stdout,
    /Dashboard: starting in the control window; \S+orchestrate\.mts dashboard --url --state \S+ prints its address\./,
  );
  const info = await retryUntil(() => readDashboardInfo(state), 20_000, 'dashboard.json');
  assert.equal(info.host, '127.0.0.1');
  assert.equal(info.token_required, true, "the session's dashboard has a token of its own (actions on)");
  const printed = await run(orchestrateScript, ['dashboard', '--url', '--state', state]);
  assert.equal(printed.stdout.trim(), info.open_url);
  const token = new URL(info.open_url).searchParams.get('token')!;
  assert.equal((await request(info.port, '/api/state')).status, 401);
  const reply = await request(info.port, '/api/state', { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(reply.status, 200);
  assert.deepEqual(
    JSON.parse(reply.body).view.agents.map((a: { name: string }) => a.name),
    ['lead', 'worker-1', 'worker-2', 'worker-3'],
  );
  const panes = (await server.panes()).filter((p) => p.window_name === 'control');
  assert.deepEqual(
    panes.map((p) => p.pane_title),
    ['recorder', 'status', 'dashboard'],
  );
  // Killing the session stops the dashboard, which removes its file.
  await server.kill();
  await retryUntil(() => !existsSync(join(state, 'dashboard.json')), 10_000, 'dashboard.json to be removed');
});

test('a layout with dashboard: false starts no dashboard', async (t) => {
  const layout = writeLayout(t, 'dashboard: false\nwindows:\n  - name: w\n    panes:\n      - agent: solo\n');
  const state = join(tempDir(t), 'state');
  const server = privateServer(t);
  const dry = await run(startScript, ['--dry-run', '--layout', layout, '--state', state], { cwd: tempDir(t) });
  assert.doesNotMatch(dry.stdout, / dashboard --state /);
  const started = await run(
    startScript,
    ['--socket', server.socket!, '--state', state, '--no-attach', '--layout', layout],
    { cwd: tempDir(t) },
  );
  assert.equal(started.exitCode, 0, started.stderr);
  assert.doesNotMatch(started.stdout, /Dashboard:/);
  const panes = (await server.panes()).filter((p) => p.window_name === 'control');
  assert.deepEqual(
    panes.map((p) => p.pane_title),
    ['recorder', 'status'],
  );
  const url = await run(orchestrateScript, ['dashboard', '--url', '--state', state]);
  assert.equal(url.exitCode, 1);
  assert.match(url.stderr, /no dashboard is running/);
});
