// The recorder's effects in tmux: a delivery whose pane (or server) went away under it is the
// agent's death: the agent is recorded exited (it takes nothing more, so there is no loop of
// deliveries into nothing), the task is cut short once and waits, and tmux is looked at.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Store } from '../../src/store/store.js';
import { emptyStore, type AgentRecord } from '../../src/store/types.js';
import { newTask, startDelivery } from '../../src/tasks/lifecycle.js';
import { performEffects } from '../../src/recorder/effects.js';
import { schedule } from '../../src/tasks/tasks.js';
import { privateServer, tempDir } from '../helpers/tmux.js';

const agent = (name: string, pane: string): AgentRecord => ({
  name,
  role: 'worker',
  mode: 'interactive',
  pane,
  window: '@1',
  cwd: '/',
  session_id: 's',
  launch_script: '',
  status: 'idle',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: new Date().toISOString(),
});

test('a delivery into a pane that is gone cuts the task short; into a server that is gone too', async (t) => {
  for (const running of [true, false]) {
    const server = privateServer(t);
    if (running) await server.cmd(['new-session', '-d', '-s', 'x', 'sleep 100']);
    const store = await Store.open(tempDir(t));
    await store.mutate((data) => {
      Object.assign(data, emptyStore(), { session: { socket: server.socket }, agents: { w1: agent('w1', '%999') } });
      const task = newTask(data, {
        id: 't1',
        target: { agent: 'w1' },
        prompt: 'hello',
        created_at: new Date().toISOString(),
      });
      startDelivery(task, data.agents.w1!, Date.now());
    });
    const lines: string[] = [];
    let looked = 0;
    await performEffects(
      {
        stateDir: tempDir(t),
        store,
        log: (l) => lines.push(l),
        again: () => {},
        look: () => {
          looked++;
        },
        hostSilent: () => {},
      },
      [{ kind: 'deliver', task: 't1', agent: 'w1', attempt: 1 }],
    );
    const task = store.data.tasks!.t1!;
    assert.equal(task.state, 'queued', `${running ? 'pane' : 'server'} gone: ${task.error ?? ''} ${lines.join(' | ')}`);
    assert.equal(task.interruptions?.length, 1);
    assert.match(task.interruptions![0]!.reason, /its pane went away during a delivery/);
    const w1 = store.data.agents.w1!;
    assert.deepEqual([w1.status, w1.task_id], ['exited', null], 'the agent takes nothing until it comes back');
    assert.equal(schedule(store.data, Date.now()).effects.length, 0, 'no second delivery into nothing');
    assert.equal(looked, 1, 'tmux is looked at');
  }
});
