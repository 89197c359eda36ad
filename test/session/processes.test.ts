// Which processes belong to a session (what session end sweeps up), and stopping a process tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { alive, childrenOf, isOurs, processesOf, stopAll, withDescendants } from '../../src/session/processes.js';
import { retryUntil, tempDir } from '../helpers/tmux.js';

const S = '/work/state/shop';

test('ours: what an agent started, our scripts under the state directory, our long-running commands for it; nothing else', () => {
  const cases: [string[], string[], boolean][] = [
    [
      ['node', '/x/claude', '--settings', `${S}/agents/lead/settings.json`],
      [`ORCH_STATE_DIR=${S}`, 'ORCH_AGENT=lead'],
      true,
    ],
    [['npm', 'run', 'dev'], ['HOME=/root', `ORCH_STATE_DIR=${S}`, 'ORCH_AGENT=w1'], true],
    // A person's shell that exported ORCH_STATE_DIR to pick the session, and what it runs: not ours.
    [['vim', 'notes.md'], ['HOME=/root', `ORCH_STATE_DIR=${S}`], false],
    [['/bin/sh', `${S}/agents/lead/launch.sh`], [], true],
    [['/bin/sh', `${S}/recorder.sh`], [], true],
    [['node', '/t/dist/bin/orchestrate.mjs', 'record', '--state', S], [], true],
    [['node', '/t/dist/bin/orchestrate.mjs', 'dashboard', '--state', S, '--new-token'], [], true],
    [['node', '/t/dist/bin/orchestrate.mjs', 'wait', 't-1', '--state', S], [], false],
    [['node', '/t/dist/bin/orchestrate.mjs', 'record', '--state', `${S}-other`], [], false],
    [['tail', '-f', `${S}/store.json`], [], false],
    [['/bin/sh', '/work/state/shop2/recorder.sh'], [`ORCH_STATE_DIR=${S}2`], false],
  ];
  for (const [argv, env, ours] of cases) assert.equal(isOurs(argv, env, S), ours, argv.join(' '));
});

test('a process tree is found from its root and stopped, SIGKILL for what ignores SIGTERM', async (t) => {
  const state = tempDir(t);
  // A shell with a child that ignores SIGTERM (an ignored signal stays ignored across exec), carrying the session's tag like an agent's tool would.
  const root = spawn('/bin/sh', ['-c', 'sh -c \'trap "" TERM; exec sleep 1000\' & wait'], {
    env: { ...process.env, ORCH_STATE_DIR: state, ORCH_AGENT: 'w1' },
    stdio: 'ignore',
  });
  t.after(() => {
    try {
      process.kill(root.pid!, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
  const [child] = await retryUntil(
    () => {
      const c = childrenOf(root.pid!);
      return c.length ? c : undefined;
    },
    5000,
    'the child',
  );
  const tree = withDescendants([root.pid!]);
  assert.ok(tree.includes(root.pid!) && tree.includes(child!), `tree ${tree.join(' ')}`);
  assert.deepEqual(new Set(processesOf(state).map((p) => p.pid)), new Set(tree.filter(alive)), 'found by its tag');
  const killed = await stopAll(tree, 500);
  assert.ok(killed.includes(child!), 'the one that ignored SIGTERM was killed hard');
  assert.deepEqual(tree.filter(alive), []);
  assert.deepEqual(processesOf(state), []);
});
