// Agents run below the control plane: an agent's claude (and what it runs) at the layout's nice
// (default 5), the recorder at tmux's own priority, and nice: 0 keeps an agent beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import type { StoreData } from '../../src/store/types.js';

/** A process's nice value (field 19 of /proc/PID/stat). */
const niceOf = (pid: number): number =>
  Number(
    readFileSync(`/proc/${pid}/stat`, 'utf8')
      .replace(/^.*\) /, '')
      .split(' ')[16],
  );

test("agents run at the layout's nice (default 5), the recorder does not", { timeout: 60_000 }, async (t) => {
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const state = join(tempDir(t), 'state');
  const layout = join(tempDir(t), 'nice.yaml');
  writeFileSync(
    layout,
    'windows:\n  - name: a\n    panes:\n      - agent: usual\n      - agent: eager\n        nice: 0\n      - agent: meek\n        nice: 12\n',
  );
  const server = privateServer(t);
  const started = await run(
    startScript,
    ['--socket', server.socket!, '--state', state, '--layout', layout, '--no-attach'],
    { cwd: project, env: { CLAUDE_BIN: join(fixtures, 'bin', 'fake-claude-repl') } },
  );
  assert.equal(started.exitCode, 0, started.stderr);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(
    () => Object.values(store().agents).every((a) => a.status === 'idle') && store().recorder?.pid,
    30_000,
    'agents idle',
  );
  const panePid = async (agent: string): Promise<number> =>
    Number((await server.cmd(['display-message', '-p', '-t', store().agents[agent]!.pane, '#{pane_pid}'])).trim());
  assert.equal(niceOf(await panePid('usual')), 5);
  assert.equal(niceOf(await panePid('eager')), 0);
  assert.equal(niceOf(await panePid('meek')), 12);
  assert.equal(niceOf(store().recorder!.pid), 0, 'the recorder keeps its priority');
});
