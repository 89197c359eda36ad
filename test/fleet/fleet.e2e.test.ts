// Fleet control with the real claude CLI against the API stand-in: a 429 in the middle of a
// four-task workflow pauses every agent of that account, fails nothing, and the run finishes once
// the stand-in stops refusing (each refused task goes on with a short note); a task over its own
// budget is interrupted and failed; a reached session cap holds new tasks until budget set; and
// max_busy: 2 never lets three agents be busy at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLiveSession, writeLayout, type LiveSession } from '../helpers/session.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { retryUntil, tempDir } from '../helpers/tmux.js';
import type { StoreData } from '../../src/store/types.js';
import { RETRY_NOTE } from '../../src/drivers/claude/retry.js';

const orch = (live: LiveSession) => (args: string[]) =>
  run(orchestrateScript, [...args, '--state', live.state], { env: live.env });
/** claude retries a refused request itself by default; with none, its turn ends at once and the team's pause is what is tested. */
const NO_RETRIES = { CLAUDE_CODE_MAX_RETRIES: '0' };

/** How many times each prompt was submitted (UserPromptSubmit in the agents' status files). */
function submissions(live: LiveSession, agents: string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const name of agents) {
    for (const l of readFileSync(join(live.state, 'agents', name, 'status.jsonl'), 'utf8').split('\n')) {
      if (!l.includes('"UserPromptSubmit"')) continue;
      const prompt = (JSON.parse(l) as { event: { prompt: string } }).event.prompt;
      counts.set(prompt, (counts.get(prompt) ?? 0) + 1);
    }
  }
  return counts;
}

test('a 429 in the middle of a four-task workflow pauses the account, fails nothing, and the run finishes once the API accepts again', {
  timeout: 300_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    `session: limits
on_limit:
  backoff: 2
  max_backoff: 4
windows:
  - panes:
      - agent: w1
      - agent: w2
      - agent: w3
        account: other
`,
  );
  const live = await startLiveSession(t, { layout, env: NO_RETRIES });
  const o = orch(live);
  await retryUntil(async () => (await live.status()).agents.every((a) => a.status === 'idle'), 120_000, 'agents idle');
  const flow = join(tempDir(t), 'flow.yaml');
  const prompts = {
    one: 'step one [[say one done]]',
    two: 'step two [[say two done]]',
    three: 'step three [[say three done]]',
    four: 'step four [[say four done]]',
  };
  writeFileSync(
    flow,
    `tasks:
  one: { agent: w1, prompt: "${prompts.one}" }
  two: { agent: w2, prompt: "${prompts.two}" }
  three: { agent: w1, needs: [one], prompt: "${prompts.three}" }
  four: { agent: w2, needs: [two], prompt: "${prompts.four}" }
`,
  );
  // The first two go through; then the API refuses (three and four, whenever they come), so they meet the limit.
  live.standin.refuse({
    status: 429,
    retryAfterS: 2,
    message: 'Number of requests has exceeded your rate limit',
    match: /step (three|four)/,
  });
  const started = await o(['run', flow, '--json']);
  const runId = (JSON.parse(started.stdout) as { id: string }).id;
  await retryUntil(
    () => {
      const d = live.store();
      const r = d.runs?.[runId];
      return r?.tasks.one?.state === 'done' && r.tasks.two?.state === 'done';
    },
    60_000,
    'one and two done',
  );
  // Both agents of the account pause; the other account's agent does not.
  const paused = await retryUntil(
    async () => {
      const st = (await live.status()) as unknown as {
        agents: { name: string; status: string; reason: string | null }[];
        limits: { account: string; kind: string }[];
      };
      const by = Object.fromEntries(st.agents.map((a) => [a.name, a]));
      return by.w1?.status === 'limited' && by.w2?.status === 'limited' && st;
    },
    60_000,
    'w1 and w2 limited',
  );
  assert.deepEqual(
    paused.limits.map((l) => [l.account, l.kind]),
    [['default', 'rate_limit']],
  );
  assert.match(
    paused.agents.find((a) => a.name === 'w1')!.reason!,
    /^rate limited \(429\): .*its tasks wait, nothing failed/,
  );
  assert.equal(paused.agents.find((a) => a.name === 'w3')!.status, 'idle', 'another account is not paused');
  const during = live.store();
  assert.ok(
    Object.values(during.tasks ?? {}).every((x) => x.state !== 'failed'),
    'nothing failed while refused',
  );
  assert.equal(during.runs![runId]!.state, 'running');

  live.standin.refuse(null);
  const finished = await retryUntil(
    () => {
      const r = live.store().runs?.[runId];
      return r && r.state !== 'running' && r;
    },
    120_000,
    'the run finished',
  );
  assert.equal(finished.state, 'done');
  for (const name of ['one', 'two', 'three', 'four'] as const) {
    assert.equal(finished.tasks[name]!.state, 'done', name);
    assert.equal(finished.tasks[name]!.tries.length, 1, `${name}: no retry was used`);
  }
  const data: StoreData = live.store();
  // Each prompt reached claude as a new user prompt once, and per limit it met a short note went
  // on (claude keeps the refused prompt in its conversation). The first of three and four to meet
  // the limit paused the account; the other met it too, or was not even sent until the pause was
  // over (both are right).
  const counts = submissions(live, ['w1', 'w2']);
  assert.equal(counts.get(prompts.one), 1);
  assert.equal(counts.get(prompts.two), 1);
  let limitedTotal = 0;
  for (const name of ['three', 'four'] as const) {
    const task = data.tasks![finished.tasks[name]!.tries[0]!]!;
    const hits = task.limited?.length ?? 0;
    limitedTotal += hits;
    assert.equal(counts.get(prompts[name]), 1, name);
    const refused = live.standin.requests.filter(
      (r) => r.prompt?.startsWith(prompts[name]) && r.reply === 'refused:429',
    ).length;
    assert.equal(
      refused,
      hits,
      `${name}: each refused request sent its task back once (${refused} refused, ${hits} back)`,
    );
    assert.equal(task.result, `${name} done`);
  }
  assert.ok(limitedTotal >= 1, 'a task went back to the queue on the limit');
  assert.equal(counts.get(RETRY_NOTE), limitedTotal, 'a note per limit met');
  assert.equal(live.store().limits?.default, undefined, 'the limit is over');
});

test('budgets: a task over its own cap is interrupted and failed; a reached session cap holds new tasks until budget set', {
  timeout: 300_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    `session: budget
budget:
  session_usd: 0.02
windows:
  - panes:
      - agent: w1
        allowed_tools: [Bash]
`,
  );
  const live = await startLiveSession(t, { layout });
  const o = orch(live);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  const over = await o([
    'dispatch',
    '--wait',
    '--timeout',
    '90',
    '--budget',
    '0.001',
    'w1',
    '[[bash echo one]][[bash sleep 5]][[bash echo three]]',
  ]);
  assert.equal(over.exitCode, 1, over.stdout);
  assert.match(over.stderr, /over its budget: \$0\.\d+ spent, its cap is \$0\.0010 \(dispatch --budget\)/);
  await live
    .waitFor('w1', (a) => a.status === 'idle', 'idle after the interrupt', 30_000)
    .catch(async (e) => {
      const rec = live.store().session!.control!.recorderPane;
      console.log('DEBUGREC', await live.server.cmd(['capture-pane', '-p', '-S', '-80', '-t', rec]));
      console.log('DEBUGPANE', await live.server.cmd(['capture-pane', '-p', '-t', live.store().agents.w1!.pane]));
      throw e;
    });
  // The session's spend is past its cap now (each request costs more than a cent here): new tasks wait, saying why.
  const spent = live.store().agents.w1!.cost_usd;
  if (spent < 0.02) {
    const more = await o(['dispatch', '--wait', '--timeout', '90', 'w1', '[[bash echo spend]] more']);
    assert.equal(more.exitCode, 0, more.stderr);
  }
  const held = (await o(['dispatch', 'w1', 'held back'])).stdout.trim();
  const reason = await retryUntil(() => live.store().tasks?.[held]?.waiting, 20_000, 'the task says why it waits');
  assert.match(
    reason,
    /^the session's budget is reached \(\$[\d.]+ of \$0\.0200\); orchestrate budget set session USD raises it$/,
  );
  assert.equal(live.store().tasks![held]!.state, 'queued');
  const shown = await o(['budget']);
  assert.match(shown.stdout, /session: \$[\d.]+ of \$0\.0200 \(\d+%\), reached/);
  const status = await run(orchestrateScript, ['status', '--state', live.state], { env: live.env });
  assert.match(status.stdout, /budget: session: .* reached/);
  // tmux shows it too, next to the agents' badges.
  const right = await retryUntil(
    async () => {
      const r = await live.server.cmd(['show-options', '-v', '-t', live.store().session!.tmux_id, 'status-right']);
      return /bg=red\] \$ session \d+% /.test(r) && r;
    },
    10_000,
    'the budget in the tmux status line',
  );
  assert.match(right, /⏸|●|▶/);
  const set = await o(['budget', 'set', 'session', '5']);
  assert.equal(set.exitCode, 0, set.stderr);
  assert.match(set.stdout, /budget session: \$5\.0000/);
  const went = await o(['wait', held, '--timeout', '60']);
  assert.equal(went.exitCode, 0, went.stderr);
  assert.equal(live.store().fleet?.budget?.session_usd, 5);
  // The cap is the store's: a recorder killed outright comes back (its loop restarts it) with it.
  const recorder = live.store().recorder!.pid;
  process.kill(recorder, 'SIGKILL');
  await retryUntil(
    () => {
      const r = live.store().recorder;
      return r && r.pid !== recorder && r;
    },
    30_000,
    'a new recorder',
  );
  assert.equal(live.store().fleet?.budget?.session_usd, 5);
  assert.equal((await o(['dispatch', '--wait', '--timeout', '60', 'w1', 'after the restart'])).exitCode, 0);
  const bad = await o(['budget', 'set', 'agent:nobody', '1']);
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /no agent named "nobody"/);
});

test('max_busy: 2 keeps at most two of three agents busy at once; the rest of the queue waits in order', {
  timeout: 300_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    `session: busy
max_busy: 2
windows:
  - panes:
      - agent: w1
      - agent: w2
      - agent: w3
`,
  );
  const live = await startLiveSession(t, { layout });
  const o = orch(live);
  await retryUntil(async () => (await live.status()).agents.every((a) => a.status === 'idle'), 120_000, 'agents idle');
  const ids = [];
  for (let i = 0; i < 6; i++)
    ids.push((await o(['dispatch', '--role', 'worker', `[[slow 1500]] job ${i}`])).stdout.trim());
  for (const id of ids) assert.equal((await o(['wait', id, '--timeout', '120'])).exitCode, 0, id);
  // Replay the event history: never three busy at once.
  const busy = new Set<string>();
  let most = 0;
  for (const e of live.store().events ?? []) {
    if (e.status === 'busy') busy.add(e.agent);
    else busy.delete(e.agent);
    most = Math.max(most, busy.size);
  }
  assert.equal(most, 2);
  // Handed out in the order they were queued (two in one pass share a time).
  const order = ids.map((id) => live.store().tasks![id]!.delivered_at!);
  assert.deepEqual([...order].sort(), order, 'delivered in the order they were queued');
});

test('a usage limit with a reset time waits until then; an overload (529) pauses and goes on after the backoff', {
  timeout: 240_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    `session: usage
on_limit:
  backoff: 2
windows:
  - panes:
      - agent: w1
`,
  );
  const live = await startLiveSession(t, { layout, env: NO_RETRIES });
  const o = orch(live);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  // The reset time the message names (a few seconds from now, to the second) is the one shown and kept.
  const reset = new Date(Date.now() + 6000);
  const hhmmss = reset.toISOString().slice(0, 19);
  live.standin.refuse({
    status: 429,
    message: `You have reached your usage limit. You will regain access on ${hhmmss.replace('T', ' at ')} UTC.`,
  });
  const id = (await o(['dispatch', 'w1', '[[say after the reset]] go'])).stdout.trim();
  const limited = await live.waitFor('w1', (a) => a.status === 'limited', 'limited', 60_000);
  assert.match(
    limited.reason!,
    new RegExp(`^usage limit reached: until ${hhmmss.slice(11)} UTC; its tasks wait, nothing failed`),
  );
  assert.equal(live.store().limits!.default!.until, new Date(Math.floor(reset.getTime() / 1000) * 1000).toISOString());
  live.standin.refuse(null);
  const done = await o(['wait', id, '--timeout', '60']);
  assert.equal(done.exitCode, 0, done.stderr);
  assert.equal(done.stdout.trim(), 'after the reset');
  const task = live.store().tasks![id]!;
  assert.ok(
    Date.parse(task.started_at!) >= Math.floor(reset.getTime() / 1000) * 1000,
    'it was not tried again before the reset time',
  );

  live.standin.refuse({ status: 529, message: 'Overloaded', type: 'overloaded_error' });
  const second = (await o(['dispatch', 'w1', '[[say after the overload]] again'])).stdout.trim();
  const overloaded = await live.waitFor('w1', (a) => a.status === 'limited', 'limited by the overload', 60_000);
  assert.match(overloaded.reason!, /^API overloaded \(529\): trying again at .* \(backoff 2 s\)/);
  live.standin.refuse(null);
  const after = await o(['wait', second, '--timeout', '60']);
  assert.equal(after.exitCode, 0, after.stderr);
  assert.equal(after.stdout.trim(), 'after the overload');
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle again');
});
