// A worktree's setup with the real claude CLI (API stand-in), real git and real tmux: a setup that
// leaves a server running in the background is done when its shell exits (claude starts, the server
// runs on until session end stops it); a setup that hangs is stopped at setup_timeout, with what it
// started, and says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { alive, signal } from '../../src/session/processes.js';
import { orchestrate, startInProject } from '../helpers/worktrees.js';

/** The live `sleep 1000` processes started for this session (they carry its ORCH_STATE_DIR). */
function sleepsOf(state: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        return (
          readFileSync(`/proc/${pid}/cmdline`, 'utf8') === 'sleep\u00001000\u0000' &&
          readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`ORCH_STATE_DIR=${state}`) &&
          alive(pid)
        );
      } catch {
        return false;
      }
    });
}

test('a setup that leaves a server in the background (cmd &) is done when its shell exits: claude starts, the server runs until session end', {
  timeout: 180_000,
}, async (t) => {
  const live = await startInProject(
    t,
    `session: wtbg
worktrees:
  setup: "sleep 1000 & echo ready"
windows:
  - panes:
      - agent: w1
        worktree: true
`,
  );
  // Should the test fail before session end, its sleep goes all the same.
  t.after(() => signal(sleepsOf(live.state), 'SIGKILL'));
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle (claude started after the setup)', 60_000);
  assert.equal(live.store().agents.w1!.worktree!.setup, 'done');
  assert.equal(readFileSync(join(live.state, 'agents', 'w1', 'setup.log'), 'utf8'), 'ready\n');
  assert.equal(sleepsOf(live.state).length, 1, 'the background server still runs');
  const ended = await orchestrate(live)(['session', 'end']);
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.match(ended.stdout, /Stopping 1 leftover process of the session: \d+ sleep 1000/);
  assert.deepEqual(sleepsOf(live.state), [], 'no sleep 1000 left behind');
});

test('a setup that hangs is stopped at setup_timeout with everything it started, and the agent says so', {
  timeout: 180_000,
}, async (t) => {
  const live = await startInProject(
    t,
    `session: wthang
worktrees:
  setup: "echo installing; sleep 1000 & sleep 1000"
  setup_timeout: 2
windows:
  - panes:
      - agent: w1
        worktree: true
`,
  );
  t.after(() => signal(sleepsOf(live.state), 'SIGKILL'));
  const agent = await live.waitFor('w1', (a) => a.status === 'error', 'in error', 60_000);
  assert.match(agent.reason!, /^worktree setup failed \(timed out after 2 s\), claude was not started/);
  assert.equal(live.standin.requests.length, 0, 'claude never started');
  assert.deepEqual(sleepsOf(live.state), [], "the setup's process group is stopped (its background sleep too)");
  const pane = await live.server.cmd(['capture-pane', '-p', '-t', agent.pane]);
  assert.match(pane, /installing[\s\S]*The setup failed \(timed out after 2 s\); claude was not started/);
  const ended = await orchestrate(live)(['session', 'end']);
  assert.equal(ended.exitCode, 0, ended.stderr);
});
