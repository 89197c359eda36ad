// The session builder against a real tmux server: a layout too big for one client call (tmux
// refuses a call over 16 KB: "command too long") is built in several, every pane where the plan
// says, with the ids of all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCommands, buildSession, CALL_BYTES, type SessionPlan } from '../../src/tmux/builder.js';
import { privateServer, tempDir } from '../helpers/tmux.js';

test("a layout whose commands pass tmux's message size is built in several calls, all of it", async (t) => {
  const server = privateServer(t);
  const cwd = tempDir(t);
  const note = 'x'.repeat(400);
  const plan: SessionPlan = {
    name: 'big',
    cwd,
    width: 240,
    height: 64,
    options: {},
    windowOptions: {},
    windows: Array.from({ length: 16 }, (_, w) => ({
      name: `w${w}`,
      layout: 'tiled',
      panes: Array.from({ length: 4 }, (_, p) => ({
        title: `a${w * 4 + p}`,
        agent: `a${w * 4 + p}`,
        cwd,
        argv: ['/bin/sh', '-c', 'exec sleep 1000', note],
      })),
    })),
  };
  const bytes = buildCommands(plan).reduce((n, c) => n + c.reduce((m, a) => m + a.length + 2, 2), 0);
  assert.ok(bytes > 2 * CALL_BYTES, `the plan needs several calls (${bytes} bytes)`);
  const built = await buildSession(server, plan);
  assert.equal(built.windows.length, 16);
  const panes = (
    await server.cmd([
      'list-panes',
      '-s',
      '-t',
      built.session.id,
      '-F',
      '#{window_name} #{pane_id} #{@agent} #{pane_current_command}',
    ])
  )
    .trim()
    .split('\n');
  assert.equal(panes.length, 64);
  const ids = built.windows.flatMap((w) => w.panes.map((p) => `${w.name} ${p.id} ${p.agent}`));
  assert.deepEqual(
    panes.map((l) => l.split(' ').slice(0, 3).join(' ')).sort(),
    [...ids].sort(),
    'every pane in its window, with the id the builder reported',
  );
  const sessions = (await server.cmd(['list-sessions', '-F', '#{session_name}'])).trim().split('\n');
  assert.deepEqual(sessions, ['big'], 'one session: later calls named it, none made another');
});
