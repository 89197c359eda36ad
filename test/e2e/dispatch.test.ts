// Dispatch with the real claude CLI in real tmux: prompts arrive as written (and no shell runs
// them), a busy agent's tasks wait their turn, failures and timeouts have their exit codes, and a
// running task can be cancelled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { run, orchestrateScript } from '../helpers/cli.js';
import { retryUntil } from '../helpers/tmux.js';

const TEAM = ['lead', 'worker-1', 'worker-2', 'worker-3'];

/** Every UserPromptSubmit prompt an agent's hooks recorded. */
function submittedPrompts(state: string, agent: string): string[] {
  return readFileSync(join(state, 'agents', agent, 'status.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { event: { hook_event_name?: string; prompt?: string } | null })
    .filter((l) => l.event?.hook_event_name === 'UserPromptSubmit')
    .map((l) => l.event!.prompt ?? '');
}

test('dispatch to real agents: verbatim prompts, a FIFO queue per agent, errors, timeouts, cancel', {
  timeout: 300_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    `windows:\n  - name: agents\n    panes:\n${TEAM.map((n) => `      - agent: ${n}\n        role: ${n === 'lead' ? 'lead' : 'worker'}\n        permission_mode: acceptEdits\n`).join('')}`,
  );
  const live = await startLiveSession(t, { layout });
  const orch = (args: string[], input?: string) =>
    run(orchestrateScript, [args[0]!, '--state', live.state, ...args.slice(1)], {
      env: live.env,
      ...(input !== undefined ? { input } : {}),
    });
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    90_000,
    'all four agents idle',
  );

  // Text a shell would act on arrives as text: nothing runs it.
  const marker = join(live.project, 'pwned');
  const probes = [
    `quotes "double" 'single' and $(touch ${marker}) and \`touch ${marker}\`; touch ${marker}; echo done`,
    'two\nlines\n\nand a blank one, unicode ünïcødé 🙂 日本語',
    `!touch ${marker}`,
    '/exit now, please',
    'a tab\there',
  ];
  for (const prompt of probes) {
    const r = await orch(['dispatch', '--wait', '--timeout', '60', 'worker-1', '--', prompt]);
    assert.equal(r.exitCode, 0, `dispatch of ${JSON.stringify(prompt)}: ${r.stderr}`);
    assert.ok(r.stdout.includes('OK: '), `the answer is printed: ${r.stdout}`);
  }
  const big = `${'twenty kilobytes of text with "quotes", $(subshells) and `ticks`; '.repeat(300)}END`.slice(-20_000);
  const bigRun = await orch(['dispatch', 'worker-1', '-', '--wait', '--timeout', '90'], big);
  assert.equal(bigRun.exitCode, 0, bigRun.stderr);

  const seen = submittedPrompts(live.state, 'worker-1');
  assert.equal(seen[0], probes[0], 'shell syntax arrives byte for byte');
  assert.equal(seen[1], probes[1], 'newlines and unicode arrive byte for byte');
  // Claude's box would run "!..." as a shell command and "/..." as a slash command: one leading space keeps them prompts.
  assert.equal(seen[2], ` ${probes[2]}`);
  assert.equal(seen[3], ` ${probes[3]}`);
  // Claude's prompt box turns a tab into four spaces (headless agents get tabs as they are).
  assert.equal(seen[4], 'a tab    here');
  assert.equal(seen[5], big, '20 KB arrive byte for byte');
  assert.equal(seen.length, 6, 'each prompt delivered exactly once');
  assert.equal(existsSync(marker), false, 'no shell ran any of it');
  const apiPrompts = live.standin.requests.map((r) => r.prompt ?? '');
  assert.ok(apiPrompts.includes(probes[0]!), 'the API got the prompt as written');
  assert.equal(
    (await live.agent('worker-1')).status,
    'idle',
    'worker-1 is still running (the /exit probe did not quit it)',
  );

  // A busy agent: its second task waits in the queue until the first is done, then goes out.
  const first = await orch(['dispatch', 'worker-2', '[[slow 2500]] first in line']);
  const second = await orch(['dispatch', 'worker-2', 'second in line']);
  assert.equal(first.exitCode, 0, first.stderr);
  assert.equal(second.exitCode, 0, second.stderr);
  const [firstId, secondId] = [first.stdout.trim(), second.stdout.trim()];
  assert.match(firstId, /^t-/);
  await retryUntil(() => live.store().tasks?.[firstId]?.state === 'running', 30_000, 'first task running');
  await retryUntil(() => live.store().tasks?.[secondId], 10_000, 'second task taken in');
  assert.equal(live.store().tasks?.[secondId]?.state, 'queued', 'second task queued while worker-2 is busy');
  const waited = await orch(['wait', secondId, '--timeout', '60']);
  assert.equal(waited.exitCode, 0, waited.stderr);
  assert.match(waited.stdout, /OK: second in line/);
  // tmux itself shows the states: the recorder updated the status line and the pane border option.
  // (tmux is told right after each store write: it trails the store by one tmux call.)
  const session = live.store().session!.tmux_id;
  const pane = live.store().agents['worker-2']!.pane;
  await retryUntil(
    async () => /● worker-2 /.test(await live.server.cmd(['show-options', '-v', '-t', session, 'status-right'])),
    2000,
    'worker-2 idle in the status line',
  );
  await retryUntil(
    async () => /● idle/.test(await live.server.cmd(['show-options', '-pv', '-t', pane, '@state'])),
    2000,
    'worker-2 idle on its pane border',
  );
  const [a, b] = [live.store().tasks![firstId]!, live.store().tasks![secondId]!];
  assert.equal(a.state, 'done');
  assert.ok(Date.parse(b.started_at!) >= Date.parse(a.ended_at!), 'the second started after the first ended');
  assert.match(a.result ?? '', /first in line/);
  const result = await orch(['result', firstId]);
  assert.equal(result.exitCode, 0);
  assert.match(result.stdout, /first in line/);

  // --role picks an idle worker (never the caller); an API error exits 1 with the reason.
  const failed = await run(
    orchestrateScript,
    ['dispatch', '--role', 'worker', '[[error 500]]', '--wait', '--timeout', '60', '--state', live.state],
    { env: { ...live.env, ORCH_AGENT: 'worker-3' } },
  );
  assert.equal(failed.exitCode, 1, failed.stdout);
  assert.match(failed.stderr, /failed on worker-[12].*API request failed/);

  // A timeout exits 124 and the task goes on.
  const slow = await orch(['dispatch', 'worker-3', '[[slow 6000]] take your time', '--wait', '--timeout', '1']);
  assert.equal(slow.exitCode, 124, slow.stderr);
  assert.match(slow.stderr, /timed out waiting for task t-/);
  const slowId = /task (t-\S+)/.exec(slow.stderr)![1]!;
  assert.equal((await orch(['wait', slowId, '--timeout', '60'])).exitCode, 0);

  // Cancel: a running task is interrupted, a queued one dropped; the agent takes work again after.
  const long = (await orch(['dispatch', 'worker-3', '[[slow 20000]] a long one'])).stdout.trim();
  const queued = (await orch(['dispatch', 'worker-3', 'behind the long one'])).stdout.trim();
  await retryUntil(() => live.store().tasks?.[long]?.state === 'running', 30_000, 'long task running');
  const cancelQueued = await orch(['cancel', queued]);
  assert.equal(cancelQueued.exitCode, 0, cancelQueued.stderr);
  const cancelLong = await orch(['cancel', long]);
  assert.equal(cancelLong.exitCode, 0, cancelLong.stderr);
  assert.equal(live.store().tasks![long]!.state, 'cancelled');
  assert.equal(live.store().tasks![queued]!.state, 'cancelled');
  await live.waitFor('worker-3', (a) => a.status === 'idle' && a.reason === null, 'idle after the interrupt', 10_000);
  const after = await orch(['dispatch', 'worker-3', 'after the cancel', '--wait', '--timeout', '60']);
  assert.equal(after.exitCode, 0, after.stderr);
  assert.match(after.stdout, /OK: after the cancel/);
  assert.ok(
    !submittedPrompts(live.state, 'worker-3').includes('behind the long one'),
    'the cancelled queued task was never delivered',
  );

  // Bad requests fail loudly and leave nothing behind.
  const unknown = await orch(['dispatch', 'nobody', 'hello']);
  assert.equal(unknown.exitCode, 1);
  assert.match(unknown.stderr, /no agent named "nobody" \(agents: lead, worker-1, worker-2, worker-3\)/);
  const tasks = JSON.parse((await orch(['tasks', '--json'])).stdout) as { tasks: { state: string }[] };
  assert.equal(
    tasks.tasks.filter((x) => !['done', 'failed', 'cancelled'].includes(x.state)).length,
    0,
    'no task left open',
  );
});
