// No layout value reaches a shell or tmux's format expander: window names, pane names and
// directories holding #(...) and #{...} reach real tmux as literal text and run nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { run, startScript } from '../helpers/cli.js';

test('window and pane names with #(command) and #{format} are shown as written, and nothing runs', {
  timeout: 60_000,
}, async (t) => {
  const project = join(tempDir(t), 'project');
  const marker = join(project, 'pwned');
  const weird = join(project, 'dir #(touch pwned-cwd) #{pane_id}');
  mkdirSync(weird, { recursive: true });
  const server = privateServer(t);
  const name = `#(touch ${marker}-window)w#{pane_id}`;
  const pane = `#(touch ${marker}-pane)#{session_name}`;
  writeFileSync(
    join(project, 'layout.yaml'),
    `dashboard: false\nwindows:\n  - name: ${JSON.stringify(name)}\n    panes:\n      - command: sleep 60\n        name: ${JSON.stringify(pane)}\n        cwd: ${JSON.stringify(weird)}\n`,
  );
  const started = await run(
    startScript,
    [
      '--layout',
      join(project, 'layout.yaml'),
      '--socket',
      server.socket!,
      '--state',
      join(project, 'state'),
      '--no-attach',
    ],
    { cwd: project },
  );
  assert.equal(started.exitCode, 0, started.stderr);
  const rows = await retryUntil(
    async () => {
      const r = (await server.panes()).filter((p) => p.window_name !== 'control');
      return r.length && r;
    },
    5000,
    'the pane',
  );
  assert.equal(rows[0]!.window_name, name);
  assert.equal(rows[0]!.pane_title, pane);
  assert.equal(rows[0]!.pane_current_path, weird);
  await sleep(500);
  for (const what of ['-window', '-pane', ''])
    assert.equal(existsSync(`${marker}${what}`), false, `nothing ran (${what || 'cwd'})`);
  assert.equal(existsSync(join(weird, 'pwned-cwd')), false);
});
