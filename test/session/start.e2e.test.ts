// ./start.mts against a real tmux on a private socket, with a fake claude that prints its argv.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { run, startScript } from '../helpers/cli.js';
import { Pane } from '../../src/tmux/objects.js';

test('the default layout gives 4 titled panes, tiled, in the project directory, recorded in the store', async (t) => {
  const project = join(tempDir(t), 'my-project');
  mkdirSync(project);
  const state = join(tempDir(t), 'state');
  const server = privateServer(t);
  const result = await run(startScript, ['--socket', server.socket!, '--state', state], { cwd: project });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /Started tmux session "my-project" with 4 agents \(lead, worker-1, worker-2, worker-3\)/);
  assert.match(result.stdout, new RegExp(`Attach: tmux -L ${server.socket} attach -t my-project`));

  const all = await server.panes();
  const panes = all.filter((p) => p.window_name === 'agents');
  assert.deepEqual(
    panes.map((p) => p['@agent']),
    ['lead', 'worker-1', 'worker-2', 'worker-3'],
  );
  assert.deepEqual(
    all.filter((p) => p.window_name === 'control').map((p) => p.pane_title),
    ['recorder', 'status', 'dashboard'],
  );
  assert.ok(
    panes.every(
      (p) => p.session_name === 'my-project' && p.window_name === 'agents' && p.pane_current_path === project,
    ),
  );
  // Tiled 2x2: two distinct columns and two distinct rows, lead top-left and focused.
  assert.equal(new Set(panes.map((p) => p.pane_left)).size, 2);
  assert.equal(new Set(panes.map((p) => p.pane_top)).size, 2);
  assert.equal(panes[0]!.pane_left, '0');
  assert.equal(panes.find((p) => p.pane_active === '1')?.['@agent'], 'lead');
  const activeWindow = await server.cmd(['display-message', '-p', '-t', 'my-project', '#{window_name}']);
  assert.equal(activeWindow.trim(), 'agents', 'the agents window is the one selected for the user');
  // Border titles say who is who.
  const border = await server.cmd(['show-options', '-wv', '-t', panes[0]!.window_id, 'pane-border-status']);
  assert.equal(border.trim(), 'top');
  const title = await server.cmd(['display-message', '-p', '-t', panes[1]!.pane_id, '#{T:pane-border-format}']);
  assert.match(title, /worker-1.*\(worker\)/);
  // Each pane runs its own claude with its own flags (started with the pane, not typed in).
  const screen = await retryUntil(
    async () => {
      const text = await new Pane(server, panes[1]!.pane_id).capture({ join: true });
      return text.includes('fake claude') && text;
    },
    5000,
    'the fake claude to start',
  );
  assert.match(
    screen,
    /--session-id [0-9a-f-]{36} --settings \S+\/worker-1\/settings\.json --permission-mode acceptEdits/,
  );

  const store = JSON.parse(readFileSync(join(state, 'store.json'), 'utf8'));
  assert.equal(store.session.name, 'my-project');
  assert.equal(store.session.socket, server.socket);
  assert.deepEqual(Object.keys(store.agents), ['lead', 'worker-1', 'worker-2', 'worker-3']);
  assert.deepEqual(
    Object.values(store.agents).map((a) => (a as { pane: string }).pane),
    panes.map((p) => p.pane_id),
  );
  assert.equal(store.agents.lead.role, 'lead');
  assert.equal(store.agents['worker-2'].status, 'starting');
});

test('--dry-run prints the tmux commands and agent command lines and starts nothing', async (t) => {
  const dir = tempDir(t);
  const server = privateServer(t);
  const result = await run(startScript, ['--dry-run', '--socket', server.socket!, '--state', join(dir, 'state')], {
    cwd: dir,
  });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, new RegExp(`^tmux -L ${server.socket} new-session -d -s`, 'm'));
  assert.match(result.stdout, /\\; split-window /);
  assert.match(result.stdout, /# agent worker-3 \(worker\)/);
  assert.match(
    result.stdout,
    /fake-claude --session-id \S+ --settings \S+settings\.json --permission-mode acceptEdits --append-system-prompt-file \S+\/prompts\/worker\.md$/m,
  );
  assert.match(result.stdout, /new-window -t =\S+: -n control/);
  assert.deepEqual(await server.panes(), []);
  assert.equal(existsSync(join(dir, 'state')), false, 'dry run writes no state');
});

test('a second start makes no duplicate; --restart replaces the session', async (t) => {
  const dir = tempDir(t);
  const server = privateServer(t);
  const args = ['--socket', server.socket!, '--state', join(dir, 'state'), '--no-attach'];
  assert.equal((await run(startScript, args, { cwd: dir })).exitCode, 0);
  const first = await server.panes();
  const again = await run(startScript, args, { cwd: dir });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /already running; not starting a second one/);
  assert.match(again.stdout, /Attach: tmux -L \S+ attach -t /);
  assert.deepEqual(
    (await server.panes()).map((p) => p.pane_id),
    first.map((p) => p.pane_id),
  );
  assert.equal(first.filter((p) => p['@agent']).length, 4);
  const sessions = await server.cmd(['list-sessions', '-F', '#{session_name}']);
  assert.equal(sessions.trim().split('\n').length, 1);

  const before = JSON.parse(readFileSync(join(dir, 'state', 'store.json'), 'utf8'));
  const restarted = await run(startScript, [...args, '--restart'], { cwd: dir });
  assert.equal(restarted.exitCode, 0, restarted.stderr);
  assert.match(restarted.stdout, /Started tmux session/);
  assert.equal((await server.panes()).filter((p) => p['@agent']).length, 4);
  const after = JSON.parse(readFileSync(join(dir, 'state', 'store.json'), 'utf8'));
  assert.notEqual(after.session.created_at, before.session.created_at);
  assert.notEqual(after.agents.lead.session_id, before.agents.lead.session_id, 'fresh agents replace the old ones');
});

test('16 agents in 4 windows of 4, custom options, env and awkward text reach claude intact', async (t) => {
  const dir = tempDir(t);
  const project = join(dir, 'odd #dir; name');
  mkdirSync(project);
  const windows = [0, 1, 2, 3]
    .map(
      (w) =>
        `  - name: team-${w}\n    layout: tiled\n    panes:\n${[0, 1, 2, 3].map((p) => `      - agent: a${w}${p}\n`).join('')}`,
    )
    .join('')
    .replace('- agent: a33\n', '- agent: a33\n        prompt: "say \\"hi\\"; echo $HOME"\n');
  const layout = join(dir, 'big.yaml');
  writeFileSync(
    layout,
    `session: big\nroot: ${JSON.stringify(project)}\noptions:\n  status-left: "[big];"\nenv:\n  GREETING: "it's $(not run); \`no\`"\nwindows:\n${windows}`,
  );
  const server = privateServer(t);
  const result = await run(
    startScript,
    ['--layout', layout, '--socket', server.socket!, '--state', join(dir, 'state')],
    { cwd: dir },
  );
  assert.equal(result.exitCode, 0, result.stderr);
  const panes = (await server.panes()).filter((p) => p['@agent']);
  assert.equal(panes.length, 16);
  assert.equal(new Set(panes.map((p) => p.window_id)).size, 4);
  assert.ok(
    panes.every((p) => p.pane_current_path === project),
    'a path with "#" and ";" is used literally',
  );
  assert.equal((await server.cmd(['show-options', '-v', '-t', 'big', 'status-left'])).trim(), '[big];');
  const envFile = join(dir, 'state', 'agents', 'a32', 'env');
  assert.match(readFileSync(envFile, 'utf8'), /^export GREETING='it'\\''s \$\(not run\); `no`'$/m);
  assert.equal(statSync(envFile).mode & 0o777, 0o600, 'env: values are in a file only its user can read');
  assert.ok(
    !readFileSync(join(dir, 'state', 'agents', 'a32', 'launch.sh'), 'utf8').includes('GREETING'),
    'the launch script holds no env: value',
  );
  const screen = await retryUntil(
    async () => {
      const text = await new Pane(server, panes[15]!.pane_id).capture({ join: true });
      return text.includes('fake claude') && text;
    },
    5000,
    'the fake claude to start',
  );
  assert.match(screen, /-- say "hi"; echo \$HOME/, 'the prompt arrives as one argument, unexpanded');
});

test('./start.mts warns, before starting, about what would hold the agents at a first-run dialog', async (t) => {
  const project = join(tempDir(t), 'fresh-project');
  mkdirSync(project);
  const home = tempDir(t);
  const server = privateServer(t);
  const result = await run(
    startScript,
    ['--socket', server.socket!, '--state', join(tempDir(t), 'state'), '--no-attach'],
    { cwd: project, env: { HOME: home, ANTHROPIC_API_KEY: '' } },
  );
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /warning: .*onboarding/);
  assert.match(result.stdout, /warning: .*trust/);
  assert.match(result.stdout, /orchestrate\.mts doctor gives the exact fix for each/);
  assert.match(result.stdout, /Started tmux session "fresh-project"/);
});
