// A headless agent with the real claude CLI in real tmux against the API stand-in: its pane runs our
// runner, every prompt file becomes a new message to one long-lived `claude -p` in the same
// conversation, a cancel interrupts only the turn, a claude killed mid-task fails that task and the
// next task resumes the session in a new claude, the hooks and the runner's own events keep its
// status right, and the pane shows the rendered stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { retryUntil } from '../helpers/tmux.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { enqueuePrompt } from '../../src/headless/queue.js';

test('a headless agent: idle, a task that writes a file, a second task in the same claude and conversation, a cancel, a killed claude, all rendered in its pane', {
  timeout: 240_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    'windows:\n  - name: agents\n    panes:\n      - agent: hl\n        mode: headless\n        permission_mode: acceptEdits\n',
  );
  const live = await startLiveSession(t, { layout });
  const ready = await live.waitFor('hl', (a) => a.status === 'idle', 'idle', 60_000);
  assert.equal(live.store().agents.hl!.mode, 'headless');
  const agentDir = join(live.state, 'agents', 'hl');
  const prompts = join(agentDir, 'prompts');
  const events = (): Record<string, unknown>[] =>
    readFileSync(join(agentDir, 'status.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event);
  // Each claude process fires SessionStart once, when it starts.
  const starts = (): unknown[] =>
    events()
      .filter((e) => e.hook_event_name === 'SessionStart')
      .map((e) => e.source);
  const paneText = (): Promise<string> => live.server.cmd(['capture-pane', '-p', '-J', '-S', '-400', '-t', ready.pane]);
  assert.equal(events()[0]?.hook_event_name, 'HeadlessReady');

  // A task: busy, the Write creates the file in the agent's directory, idle with the answer.
  enqueuePrompt(prompts, 1, 't-1', '[[slow 1500]] [[write made.txt hello from headless]]');
  const busy = await live.waitFor('hl', (a) => a.status === 'busy', 'busy');
  assert.match(busy.task ?? '', /\[\[write made\.txt/);
  const done = await live.waitFor(
    'hl',
    (a) => a.status === 'idle' && (a.last_result ?? '').includes('wrote'),
    'idle with an answer',
    60_000,
  );
  assert.equal(readFileSync(join(live.project, 'made.txt'), 'utf8'), 'hello from headless');
  assert.equal(done.last_result, `wrote ${join(live.project, 'made.txt')}`);
  assert.equal(done.session_id, ready.session_id);
  assert.ok(!readdirSync(prompts).some((n) => n.endsWith('.json')), 'the prompt file is gone once claude took it');

  // A second task goes to the same claude, in the same conversation: its API request carries the first.
  enqueuePrompt(prompts, 2, 't-2', 'what did you write before?');
  await live.waitFor(
    'hl',
    (a) => a.status === 'idle' && (a.last_result ?? '').includes('what did you write before?'),
    'second answer',
    60_000,
  );
  const calls = live.standin.requests.filter((r) => !r.side && r.prompt !== undefined);
  const second = calls.find((r) => r.prompt === 'what did you write before?');
  assert.ok(second, 'the second prompt reached the API');
  assert.ok((second.messageCount ?? 0) >= 4, `the earlier turns are sent again (messages: ${second.messageCount})`);
  assert.match(JSON.stringify(second.body), /hello from headless/);
  assert.deepEqual(
    new Set(calls.map((r) => r.headers['x-claude-code-session-id'])),
    new Set([ready.session_id]),
    'one Claude session throughout',
  );
  assert.deepEqual(starts(), ['startup'], 'one claude process for both tasks');
  // The runner records each claude -p's exit just after its Stop hook: wait for the second.
  await retryUntil(
    () => events().filter((e) => e.hook_event_name === 'HeadlessTaskExit').length >= 2,
    10_000,
    'both runs recorded as ended',
  );
  const exits = events().filter((e) => e.hook_event_name === 'HeadlessTaskExit');
  assert.deepEqual(exits, [
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 't-1' },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 't-2' },
  ]);
  assert.ok(
    !events().some((e) => e.hook_event_name === 'SessionEnd'),
    'the end of each claude -p is not the end of the agent',
  );
  assert.ok(!live.store().events!.some((e) => e.agent === 'hl' && e.status === 'exited'), 'never reported exited');

  // The pane shows the rendered stream.
  const screen = await live.server.cmd(['capture-pane', '-p', '-J', '-S', '-200', '-t', ready.pane]);
  assert.match(screen, /━━ task t-1 · /);
  assert.match(screen, /› \[\[slow 1500\]\] \[\[write made\.txt hello from headless\]\]/);
  assert.match(screen, /⏺ Write made\.txt/);
  assert.match(screen, / {2}⎿ File created successfully/);
  assert.match(screen, /✓ done · 2 turns · \$[0-9.]+ · [0-9.]+ s/);
  assert.match(screen, /━━ task t-2 · [^\n]*\n› what did you write before\?/);
  assert.match(screen, /waiting for tasks/);
  assert.ok(!/\{"type":/.test(screen), 'no raw JSON on screen');
  const firstPid = Number(/claude started \(pid (\d+), new session\)/.exec(screen)?.[1]);
  assert.ok(firstPid > 0, screen);

  // A cancel file interrupts the running claude; the agent is idle again and the next task runs.
  enqueuePrompt(prompts, 3, 't-3', '[[slow 30000]] take your time');
  await live.waitFor(
    'hl',
    (a) => a.status === 'busy' && (a.task ?? '').includes('take your time'),
    'busy with the slow task',
  );
  writeFileSync(join(prompts, 't-3.cancel'), '');
  await retryUntil(
    () => events().some((e) => e.hook_event_name === 'HeadlessTaskExit' && e.task === 't-3'),
    20_000,
    'the slow task ended',
  );
  assert.deepEqual(
    events().filter((e) => e.task === 't-3'),
    [{ hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 't-3', cancelled: true }],
  );
  await live.waitFor('hl', (a) => a.status === 'idle', 'idle after the cancel');
  assert.ok(!existsSync(join(prompts, 't-3.cancel')), 'the cancel file is removed');
  const afterCancel = await retryUntil(
    async () => {
      const text = await live.server.cmd(['capture-pane', '-p', '-J', '-S', '-200', '-t', ready.pane]);
      return text.includes('■ cancelled') && text;
    },
    10_000,
    'the cancel on screen',
  );
  assert.match(afterCancel, /cancelling task t-3/);

  // `orchestrate dispatch` to a headless agent: the text arrives byte for byte, tabs included.
  const prompt = 'tab\there, "quotes", $(touch pwned) `id`; and\na second line\t';
  const r = await run(
    orchestrateScript,
    ['dispatch', '--state', live.state, '--wait', '--timeout', '90', 'hl', '--', prompt],
    { env: live.env },
  );
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(
    events()
      .filter((e) => e.hook_event_name === 'UserPromptSubmit')
      .at(-1)?.prompt,
    prompt,
  );
  assert.ok(!existsSync(join(live.project, 'pwned')), 'no shell ran it');
  const task = Object.values(live.store().tasks ?? {}).at(-1)!;
  assert.equal(task.state, 'done');
  assert.equal(task.agent, 'hl');
  assert.deepEqual(
    starts(),
    ['startup'],
    'the cancel stopped the turn, not the process: the next task ran in the same claude',
  );

  // claude killed in the middle of a task: that task fails, the next task starts a new claude that
  // resumes the session (same id, the earlier conversation sent again).
  const doomed = (
    await run(orchestrateScript, ['dispatch', '--state', live.state, 'hl', '--', '[[slow 30000]] killed midway'], {
      env: live.env,
    })
  ).stdout.trim();
  await live.waitFor(
    'hl',
    (a) => a.status === 'busy' && (a.task ?? '').includes('killed midway'),
    'busy with the task to kill',
  );
  process.kill(firstPid, 'SIGKILL');
  const killed = await retryUntil(
    () => {
      const k = live.store().tasks?.[doomed];
      return k && k.state !== 'running' && k;
    },
    20_000,
    'the killed task ended',
  );
  assert.equal(killed.state, 'failed');
  assert.match(killed.error ?? '', /code 137/);
  assert.deepEqual(
    events().filter((e) => e.task === doomed),
    [{ hook_event_name: 'HeadlessTaskExit', exit_code: 137, task: doomed, error: 'no error output' }],
  );
  const after = await run(
    orchestrateScript,
    ['dispatch', '--state', live.state, '--wait', '--timeout', '90', 'hl', '--', 'after the kill'],
    { env: live.env },
  );
  assert.equal(after.exitCode, 0, after.stderr);
  assert.deepEqual(starts(), ['startup', 'resume']);
  const resumed = live.standin.requests.find((r) => !r.side && r.prompt === 'after the kill');
  assert.ok(resumed, 'the next prompt reached the API as it is');
  assert.equal(resumed.headers['x-claude-code-session-id'], ready.session_id);
  assert.match(JSON.stringify(resumed.body), /hello from headless/, 'the conversation from before the kill goes on');
  const end = await paneText();
  assert.match(end, /✗ claude exited with code 137 during the task/);
  const secondPid = Number(/claude started \(pid (\d+), --resume [0-9a-f-]{36}\)/.exec(end)?.[1]);
  assert.ok(secondPid > 0 && secondPid !== firstPid, end);
});
