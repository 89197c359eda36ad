// Where `session end` runs: a plain shell that exported ORCH_STATE_DIR to pick the session (no tmux
// there) ends it in the foreground and returns when everything has ended; a pane of the session
// hands the end to a detached process (it would be stopped halfway itself).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { spawn } from 'node:child_process';
import { alive, processesOf } from '../../src/session/processes.js';
import { socketPath } from '../../src/tmux/command.js';
import { sessionEndLog } from '../../src/store/paths.js';
import { quoteArgv } from '../../src/util/shell-quote.js';
import { retryUntil, tempDir } from '../helpers/tmux.js';

test("session end in a plain shell with ORCH_STATE_DIR exported ends the session before it returns, and leaves that shell's other processes alone", {
  timeout: 180_000,
}, async (t) => {
  const live = await startLiveSession(t, {
    layout: writeLayout(t, 'session: plain\nwindows:\n  - panes:\n      - agent: w1\n'),
  });
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  // Something else that shell runs (an editor): it has the variable too, and is not the session's.
  const mine = spawn('sleep', ['1000'], { env: { ...process.env, ORCH_STATE_DIR: live.state }, stdio: 'ignore' });
  t.after(() => mine.kill('SIGKILL'));
  // No --state: the exported variable picks the session, as in a person's shell; no tmux around.
  const ended = await run(orchestrateScript, ['session', 'end'], {
    env: { ...live.env, ORCH_STATE_DIR: live.state, TMUX: '', TMUX_PANE: '' },
  });
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.match(ended.stdout, /Session "plain" ended\./);
  assert.doesNotMatch(ended.stdout, /from outside it/);
  assert.equal(existsSync(sessionEndLog(live.state)), false, 'nothing was handed to a detached process');
  // Done when it returned: the session is marked ended, its tmux server is gone, nothing of it runs.
  assert.ok(live.store().session!.ended_at, 'marked ended');
  assert.equal(await live.server.running(), false, 'its tmux server is gone');
  assert.equal(existsSync(socketPath(live.server.socket!)), false, 'no socket left');
  assert.deepEqual(processesOf(live.state), []);
  assert.ok(alive(mine.pid!), "the shell's other process is left alone");
});

test('session end from a pane of the session (its tmux variables unset) hands itself to a detached process, which ends the session', {
  timeout: 180_000,
}, async (t) => {
  const live = await startLiveSession(t, {
    layout: writeLayout(t, 'session: inpane\nwindows:\n  - panes:\n      - agent: w1\n'),
  });
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  const out = join(tempDir(t), 'out.txt');
  // Its ancestors say where it runs, with or without $TMUX and $TMUX_PANE.
  const command = `env -u TMUX -u TMUX_PANE ORCH_NO_REBUILD=1 ${quoteArgv([orchestrateScript, 'session', 'end', '--state', live.state])} > ${quoteArgv([out])} 2>&1`;
  await live.server.cmd(['new-window', '-d', '-t', `=${live.store().session!.name}:`, command]);
  await retryUntil(
    () => existsSync(out) && /from outside it/.test(readFileSync(out, 'utf8')),
    30_000,
    'the end handed over',
  );
  await retryUntil(
    () => /Session "inpane" ended\./.test(readFileSync(sessionEndLog(live.state), 'utf8')),
    60_000,
    'the session ended',
  );
  assert.ok(live.store().session!.ended_at);
  await retryUntil(async () => !(await live.server.running()), 10_000, 'its tmux server gone');
});
