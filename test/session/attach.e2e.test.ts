// orchestrate attach AGENT on a real private tmux server: from a terminal (a pty made by
// script(1)) it attaches to the session with that agent's pane selected and zoomed; without a
// terminal, or with --print, it prints the command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { quoteArgv } from '../../src/util/shell-quote.js';

test("attach zooms the agent's pane from a terminal and prints the command without one", {
  timeout: 60_000,
}, async (t) => {
  const server = privateServer(t);
  await server.cmd(
    ['new-session', '-d', '-s', 'att', '-x', '120', '-y', '40', 'sleep 300'],
    ['split-window', '-t', 'att', 'sleep 300'],
    ['select-pane', '-t', 'att.0'],
  );
  const panes = await server.panes();
  const target = panes.at(-1)!.pane_id;
  const state = tempDir(t);
  const agent = (name: string, pane: string) => ({
    name,
    role: 'worker',
    mode: 'interactive',
    pane,
    window: panes[0]!.window_id,
    cwd: '/tmp',
    session_id: name,
    launch_script: '/x',
    status: 'idle',
    reason: null,
    task: null,
    last_result: null,
    cost_usd: 0,
    updated_at: new Date().toISOString(),
  });
  writeFileSync(
    join(state, 'store.json'),
    JSON.stringify({
      version: 1,
      agents: { w0: agent('w0', panes[0]!.pane_id), w1: agent('w1', target) },
      session: {
        name: 'att',
        socket: server.socket,
        tmux_id: '$0',
        layout_file: '/x',
        root: '/tmp',
        state_dir: state,
        created_at: '',
        ended_at: null,
        windows: [],
      },
    }),
  );

  const printed = await run(orchestrateScript, ['attach', 'w1', '--state', state]);
  assert.equal(printed.exitCode, 0, printed.stderr);
  assert.equal(
    printed.stdout.trim(),
    `tmux -L ${server.socket} attach-session -t =att ';' select-window -t ${target} ';' select-pane -t ${target} ';' if-shell -F -t ${target} '#{window_zoomed_flag}' '' 'resize-pane -Z -t ${target}'`,
  );

  const command = quoteArgv([
    process.execPath,
    join(orchestrateScript, '..', '..', 'dist', 'bin', 'orchestrate.mjs'),
    'attach',
    'w1',
    '--state',
    state,
  ]);
  const terminal = spawn('script', ['-qfc', command, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm' },
    stdio: 'ignore',
  });
  t.after(() => {
    terminal.kill();
  });
  const shown = await retryUntil(
    async () => {
      const line = (
        await server.cmd([
          'display-message',
          '-p',
          '-t',
          target,
          '#{session_attached} #{window_zoomed_flag} #{pane_active}',
        ])
      ).trim();
      return line === '1 1 1' && line;
    },
    15_000,
    'a client attached with the pane zoomed',
  );
  assert.equal(shown, '1 1 1');
  await server.cmd(['detach-client', '-s', 'att']);
  const missing = await run(orchestrateScript, ['attach', 'nobody', '--state', state]);
  assert.equal(missing.exitCode, 1);
  assert.match(missing.stderr, /no agent named "nobody" \(agents: w0, w1\)/);
});
