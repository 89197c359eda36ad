// The real claude CLI in real tmux against the API stand-in: every state an agent can be in is
// reported from its hooks, recorded by the recorder, and read back through `status --json`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { retryUntil } from '../helpers/tmux.js';

const TEAM = ['lead', 'worker-1', 'worker-2', 'worker-3'];
const childPid = (pid: string): number => Number(execFileSync('pgrep', ['-P', pid]).toString().trim().split('\n')[0]);

test('a team of real agents: idle, busy with a file write, error, exit and restart with the same conversation, recorder crash', {
  timeout: 240_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    `windows:\n  - name: agents\n    panes:\n${TEAM.map((n) => `      - agent: ${n}\n        permission_mode: acceptEdits\n        restart: on-failure\n`).join('')}`,
  );
  const live = await startLiveSession(t, { layout });

  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    60_000,
    'all four agents idle',
  );
  const status = await live.status();
  assert.deepEqual(
    status.agents.map((a) => a.name),
    TEAM,
  );
  assert.equal(status.socket, live.server.socket);
  for (const a of status.agents) assert.match(a.session_id, /^[0-9a-f-]{36}$/);

  // A prompt makes worker-1 busy; the Write tool_use creates the file in its directory; idle again.
  const target = join(live.project, 'hello.txt');
  await live.type('worker-1', `[[slow 1500]] [[write ${target} hello from worker-1]]`);
  const busy = await live.waitFor('worker-1', (a) => a.status === 'busy', 'busy');
  assert.match(busy.task ?? '', /\[\[write /);
  const done = await live.waitFor(
    'worker-1',
    (a) => a.status === 'idle' && a.last_result !== null,
    'idle with an answer',
  );
  assert.equal(readFileSync(target, 'utf8'), 'hello from worker-1');
  assert.match(done.last_result ?? '', /wrote/);
  assert.ok(done.cost_usd > 0, 'cost from the transcript');

  // An API 500 is an error with its reason.
  await live.type('worker-2', '[[error 500]]');
  const failed = await live.waitFor('worker-2', (a) => a.status === 'error', 'error');
  assert.match(failed.reason ?? '', /API request failed/);

  // A killed claude is reported exited within 2 s (restart: on-failure brings it back, resumed).
  await live.type('worker-3', 'the first thing is apples');
  await live.waitFor(
    'worker-3',
    (a) => a.status === 'idle' && (a.last_result ?? '').includes('apples'),
    'first answer',
  );
  const before = await live.agent('worker-3');
  const panePid = (await live.server.cmd(['display-message', '-p', '-t', before.pane, '#{pane_pid}'])).trim();
  const killedAt = Date.now();
  process.kill(childPid(panePid), 'SIGKILL');
  await retryUntil(
    () =>
      live
        .store()
        .events?.some((e) => e.agent === 'worker-3' && e.event === 'ProcessExit' && Date.parse(e.at) >= killedAt - 50),
    2000,
    'worker-3 reported exited within 2 s',
  );
  const exit = live.store().events!.find((e) => e.agent === 'worker-3' && e.event === 'ProcessExit')!;
  assert.equal(exit.status, 'exited');
  assert.match(exit.detail ?? '', /code 137/);
  const back = await live.waitFor(
    'worker-3',
    (a) => a.status === 'idle' && Date.parse(live.store().agents['worker-3']!.updated_at) > killedAt,
    'back after restart',
    60_000,
  );
  assert.equal(back.session_id, before.session_id, 'same Claude session id after restart');
  await live.type('worker-3', 'remember the first thing');
  await live.waitFor(
    'worker-3',
    (a) => a.status === 'idle' && (a.last_result ?? '').includes('remember'),
    'answered after restart',
  );
  const request = live.standin.requests.filter((r) => r.prompt?.includes('remember the first thing')).at(-1);
  assert.ok(
    request && (request.messageCount ?? 0) >= 3,
    `the resumed conversation is sent again (messages: ${request?.messageCount})`,
  );
  assert.match(JSON.stringify(request.body), /the first thing is apples/);

  // The recorder killed with kill -9 while events arrive: restarted by its loop, nothing lost or doubled.
  const recorderPane = live.store().session!.control!.recorderPane;
  const recorderSh = (await live.server.cmd(['display-message', '-p', '-t', recorderPane, '#{pane_pid}'])).trim();
  const turnsBefore = live.store().agents.lead!.turns ?? 0;
  await live.type('lead', '[[slow 800]] first');
  process.kill(childPid(recorderSh), 'SIGKILL');
  await live.waitFor(
    'lead',
    (a) => a.status === 'idle' && (a.last_result ?? '').includes('first'),
    'first answer recorded after the recorder restart',
  );
  await live.type('lead', 'second');
  await live.waitFor('lead', (a) => a.status === 'idle' && (a.last_result ?? '').includes('second'), 'second answer');
  const lead = live.store().agents.lead!;
  assert.equal(lead.turns, turnsBefore + 2, 'each Stop counted exactly once');
  const cursor = live.store().cursors!.lead!;
  assert.equal(
    cursor,
    readFileSync(join(live.state, 'agents', 'lead', 'status.jsonl')).length,
    'every byte of the status file recorded',
  );
  assert.ok(existsSync(join(live.state, 'hook.sh')));
});

test('an agent held at the folder trust dialog reports waiting with the reason and the fix', {
  timeout: 60_000,
}, async (t) => {
  const layout = writeLayout(t, 'windows:\n  - panes:\n      - agent: solo\n');
  const live = await startLiveSession(t, { layout, trust: false });
  const waiting = await live.waitFor('solo', (a) => a.status === 'waiting', 'waiting', 20_000);
  assert.match(waiting.reason ?? '', /folder trust dialog: attach and choose "Yes, I trust this folder"/);
  // Answering the dialog lets the agent start: its SessionStart hook makes it idle.
  await live.server.cmd(['send-keys', '-t', waiting.pane, 'Enter']);
  await live.waitFor('solo', (a) => a.status === 'idle', 'idle after the dialog', 30_000);
});
