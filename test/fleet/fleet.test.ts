// Limits, budgets and busy caps as pure changes to store data, through the recorder's own
// functions (applyLines for hook events, schedule for deliveries): a limit pauses the account and
// requeues the task on the same agent; after the time one agent goes first; budgets hold tasks back
// with a reason and fail a task over its own cap; max_busy holds the rest of the queue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyStore, type AgentRecord, type RunTaskRecord, type StoreData } from '../../src/store/types.js';
import { setTurnCosts } from '../../src/tasks/lifecycle.js';
import { applyLines } from '../../src/recorder/apply.js';
import { intake, schedule } from '../../src/tasks/tasks.js';
import { classifyLimit, resetTime, settleLimited } from '../../src/fleet/limits.js';
import { budgetLines, budgetText, setCap } from '../../src/fleet/budget.js';
import { statusTable } from '../../src/cli/commands/status.js';
import { buildView } from '../../src/dashboard/view.js';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmux.js';

const agent = (name: string, extra: Partial<AgentRecord> = {}): AgentRecord => ({
  name,
  role: 'worker',
  mode: 'interactive',
  pane: '%1',
  window: '@1',
  cwd: '/tmp',
  session_id: name,
  launch_script: '/x',
  status: 'idle',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: new Date(0).toISOString(),
  account: 'default',
  ...extra,
});

function store(
  agents: AgentRecord[],
  fleet: StoreData['fleet'] = { on_limit: { backoff_s: 10, max_backoff_s: 40 } },
): StoreData {
  return {
    ...emptyStore(),
    session: {
      name: 's',
      socket: null,
      tmux_id: '$1',
      layout_file: '/x',
      root: '/tmp',
      state_dir: '/tmp/s',
      created_at: '',
      ended_at: null,
      windows: [],
    },
    agents: Object.fromEntries(agents.map((a) => [a.name, a])),
    fleet,
  };
}

const dispatch = (
  data: StoreData,
  id: string,
  target: { agent?: string; role?: string },
  now: number,
  extra: { budget_usd?: number } = {},
): void => {
  intake(data, { kind: 'dispatch', id, at: new Date(now).toISOString(), prompt: `do ${id}`, target, ...extra }, now);
};
const hook = (data: StoreData, name: string, at: number, event: Record<string, unknown>): void => {
  applyLines(data, name, [{ at, event }]);
};
/** Delivers what schedule hands out and confirms it as the agent's UserPromptSubmit would. */
function run(data: StoreData, now: number): string[] {
  const { effects } = schedule(data, now);
  const delivered = effects.filter((e) => e.kind === 'deliver');
  for (const e of delivered)
    hook(data, e.agent, now, { hook_event_name: 'UserPromptSubmit', prompt: data.tasks![e.task]!.prompt });
  return delivered.map((e) => `${e.task}->${e.agent}`);
}

test('limit texts: the kind, and the time the API named', () => {
  const now = Date.UTC(2026, 11, 2, 10, 0, 0);
  assert.equal(classifyLimit('rate_limit', 'API Error: Request rejected (429) · slow down'), 'rate_limit');
  assert.equal(classifyLimit('server_error', 'API Error: 529 Overloaded. This is a server-side issue'), 'overloaded');
  assert.equal(
    classifyLimit('rate_limit', 'API Error: Request rejected (429) · Claude AI usage limit reached|1796200000'),
    'usage_limit',
  );
  assert.equal(
    classifyLimit(
      'unknown',
      'API Error: 400 You have reached your specified workspace API usage limits. You will regain access on 2026-12-03 at 00:00 UTC.',
    ),
    'usage_limit',
  );
  assert.equal(classifyLimit('server_error', 'API Error: 500 boom'), null);
  assert.equal(resetTime('Claude AI usage limit reached|1796200000', now), 1796200000_000);
  assert.equal(resetTime('You will regain access on 2026-12-03 at 00:00 UTC.', now), Date.UTC(2026, 11, 3));
  assert.equal(resetTime("You've hit your usage limit · resets 5pm (UTC)", now), Date.UTC(2026, 11, 2, 17));
  assert.equal(
    resetTime('resets at 9:30am (UTC)', now),
    Date.UTC(2026, 11, 3, 9, 30),
    'a time of day already past is tomorrow',
  );
  assert.equal(resetTime('please try again in 45 seconds', now), now + 45_000);
  assert.equal(resetTime('Number of requests has exceeded your rate limit', now), null);
});

test('hostile limit texts: no throw, every time a Date can hold, and a pause of at most an hour (rate, overload) or a week (usage), said so', () => {
  const now = Date.UTC(2026, 11, 7, 10, 0, 0);
  const texts = [
    'try again in 99999999999 hours',
    'usage limit reached|9999999999999',
    `try again in ${'9'.repeat(400)} seconds`,
    'try again in -5 seconds',
    'try again in NaN seconds',
    'regain access on 9999-99-99 at 99:99 UTC',
    'resets 99:99pm',
    '|',
    '\u0000\uffff garbage',
    '',
  ];
  for (const text of texts) {
    const t = resetTime(text, now);
    assert.ok(t === null || Number.isFinite(new Date(t).getTime()), `${JSON.stringify(text).slice(0, 40)}: ${t}`);
  }
  assert.equal(resetTime('try again in -5 seconds', now), null, 'no negative wait');
  assert.equal(resetTime('try again in NaN seconds', now), null);
  const hit = (message: string): StoreData => {
    const data = store([agent('w1')]);
    dispatch(data, 'a', { agent: 'w1' }, now);
    run(data, now);
    hook(data, 'w1', now, { hook_event_name: 'StopFailure', error: 'rate_limit', last_assistant_message: message });
    settleLimited(data, now + 1000);
    return data;
  };
  const rate = hit('API Error: Request rejected (429) · try again in 99999999999 hours');
  assert.equal(rate.limits!.default!.until, new Date(now + 3600_000).toISOString());
  assert.equal(rate.tasks!.a!.state, 'queued');
  assert.match(
    rate.agents.w1!.reason ?? '',
    /^rate limited \(429\): until 11:00:00 UTC \(the time it named is more than 1 hour away: cut to that\); its tasks wait/,
  );
  const usage = hit('Claude AI usage limit reached|9999999999999');
  assert.equal(usage.limits!.default!.until, new Date(now + 7 * 86_400_000).toISOString(), 'not the year 2286');
  assert.match(
    usage.agents.w1!.reason ?? '',
    /^usage limit reached: until Mon 14 Dec 10:00:00 UTC \(the time it named is more than 7 days away: cut to that\)/,
  );
  for (const garbage of ['try again in -5 seconds', 'try again in NaN seconds', '\u0000 429 garbage']) {
    const data = hit(garbage);
    assert.equal(data.limits!.default!.until, new Date(now + 10_000).toISOString(), `${garbage}: the backoff`);
  }
  // A limit recorded before the cap (a store of an earlier version) waits no longer than it either.
  const old = hit('429 slow down');
  old.limits!.default!.until = '2286-11-20T17:46:39.999Z';
  settleLimited(old, now + 2000);
  assert.equal(old.limits!.default!.until, new Date(now + 2000 + 3600_000).toISOString());
});

test("a reset that is not today is shown with its date, in the agent's reason, status and the dashboard", () => {
  const now = Date.UTC(2026, 11, 7, 22, 0, 0);
  const data = store([agent('w1')]);
  hook(data, 'w1', now, {
    hook_event_name: 'StopFailure',
    error: 'rate_limit',
    last_assistant_message: 'You will regain access on 2026-12-10 at 14:00 UTC. usage limit reached',
  });
  settleLimited(data, now);
  assert.match(data.agents.w1!.reason ?? '', /^usage limit reached: until Thu 10 Dec 14:00:00 UTC;/);
  hook(data, 'w1', now, {
    hook_event_name: 'StopFailure',
    error: 'rate_limit',
    last_assistant_message: 'usage limit reached · resets 11pm (UTC)',
  });
  settleLimited(data, now);
  assert.match(data.agents.w1!.reason ?? '', /^usage limit reached: until 23:00:00 UTC;/, 'today: the time alone');
  const newYear = Date.UTC(2026, 11, 30, 22, 0, 0);
  hook(data, 'w1', newYear, {
    hook_event_name: 'StopFailure',
    error: 'rate_limit',
    last_assistant_message: 'usage limit reached · regain access on 2027-01-02 at 10:00 UTC',
  });
  settleLimited(data, newYear);
  assert.match(
    data.agents.w1!.reason ?? '',
    /^usage limit reached: until Sat 2 Jan 2027 10:00:00 UTC;/,
    'another year: with the year',
  );
  // What status and the dashboard show (they read the clock): a reset three days from now, with its date.
  const later = new Date(Date.now() + 3 * 86_400_000);
  data.limits!.default!.until = later.toISOString();
  const date = `${later.toUTCString().slice(0, 3)} ${later.getUTCDate()} ${later.toUTCString().slice(8, 11)}`;
  assert.ok(statusTable(data, 400).includes(`limit: usage limit reached: until ${date}`), statusTable(data, 400));
  assert.ok(
    buildView(data, []).alerts.some((a) => a.startsWith(`limit: usage limit reached: until ${date}`)),
    buildView(data, []).alerts.join('\n'),
  );
});

test('a limit pauses the whole account and requeues its task on the same agent; another account goes on; after the time one agent goes first, then the rest', () => {
  const t0 = 1_000_000;
  const data = store([agent('w1'), agent('w2'), agent('w3', { account: 'other' })]);
  dispatch(data, 'a', { agent: 'w1' }, t0);
  assert.deepEqual(run(data, t0), ['a->w1']);
  hook(data, 'w1', t0 + 100, {
    hook_event_name: 'StopFailure',
    error: 'rate_limit',
    last_assistant_message: 'API Error: Request rejected (429) · slow down',
  });
  assert.equal(data.agents.w1!.status, 'limited');
  assert.deepEqual(
    [data.tasks!.a!.state, data.tasks!.a!.resume_on, data.tasks!.a!.attempts, data.tasks!.a!.limited?.length],
    ['queued', 'w1', 0, 1],
  );
  assert.equal(data.limits!.default!.until, new Date(t0 + 100 + 10_000).toISOString());
  dispatch(data, 'b', { role: 'worker' }, t0 + 200);
  dispatch(data, 'c', { role: 'worker' }, t0 + 200);
  // Only w3 (another account) takes work while the limit runs.
  assert.deepEqual(run(data, t0 + 300), ['b->w3']);
  assert.deepEqual(run(data, t0 + 5000), []);
  settleLimited(data, t0 + 5000);
  assert.match(
    data.agents.w2!.reason ?? '',
    /^rate limited \(429\): trying again at .* \(backoff 10 s\); its tasks wait, nothing failed/,
  );
  // The time passed: w1 goes first with its own task; w2 waits for w1's turn to go through.
  assert.deepEqual(run(data, t0 + 10_200), ['a->w1']);
  assert.equal(data.limits!.default!.probe, 'w1');
  assert.deepEqual(run(data, t0 + 10_300), []);
  hook(data, 'w1', t0 + 10_500, { hook_event_name: 'PostToolUse', tool_name: 'Bash' });
  assert.equal(data.limits?.default, undefined);
  assert.equal(data.agents.w2!.status, 'idle');
  assert.deepEqual(run(data, t0 + 10_600), ['c->w2']);
});

test('a limit hit again doubles the backoff up to the cap; a named reset time is kept', () => {
  const data = store([agent('w1')]);
  dispatch(data, 'a', { agent: 'w1' }, 0);
  let now = 1000;
  const backoffs: number[] = [];
  for (let i = 0; i < 4; i++) {
    run(data, now);
    hook(data, 'w1', now, {
      hook_event_name: 'StopFailure',
      error: 'rate_limit',
      last_assistant_message: '429 slow down',
    });
    backoffs.push(data.limits!.default!.backoff_s);
    now = Date.parse(data.limits!.default!.until) + 1;
  }
  assert.deepEqual(backoffs, [10, 20, 40, 40]);
  run(data, now);
  hook(data, 'w1', now, {
    hook_event_name: 'StopFailure',
    error: 'rate_limit',
    last_assistant_message: 'usage limit reached, try again in 2 hours',
  });
  assert.equal(data.limits!.default!.until, new Date(now + 7_200_000).toISOString());
  assert.equal(data.limits!.default!.kind, 'usage_limit');
  assert.equal(data.tasks!.a!.state, 'queued', 'never failed');
});

test("a headless agent: its runner's report of a turn the API refused on a limit (before or after the StopFailure) fails nothing; the task goes back once", () => {
  const limitExit = {
    hook_event_name: 'HeadlessTaskExit',
    exit_code: 1,
    task: 'a',
    error: 'API Error: Request rejected (429) · slow down',
    api_error_status: 429,
  };
  const stopFailure = {
    hook_event_name: 'StopFailure',
    error: 'rate_limit',
    last_assistant_message: 'API Error: Request rejected (429) · slow down',
  };
  for (const order of [
    [limitExit, stopFailure],
    [stopFailure, limitExit],
  ]) {
    const data = store([agent('w1', { mode: 'headless' })]);
    dispatch(data, 'a', { agent: 'w1' }, 0);
    run(data, 1000);
    assert.equal(data.tasks!.a!.state, 'running');
    for (const event of order) hook(data, 'w1', 1100, event);
    assert.deepEqual(
      [data.tasks!.a!.state, data.tasks!.a!.limited?.length, data.agents.w1!.status, data.limits!.default!.hits],
      ['queued', 1, 'limited', 1],
      String(order[0]!.hook_event_name),
    );
  }
  // Any other failed turn still fails its task.
  const data = store([agent('w1', { mode: 'headless' })]);
  dispatch(data, 'a', { agent: 'w1' }, 0);
  run(data, 1000);
  hook(data, 'w1', 1100, { ...limitExit, error: 'API Error: 500 boom', api_error_status: 500 });
  assert.deepEqual([data.tasks!.a!.state, data.agents.w1!.status], ['failed', 'error']);
});

test('budgets: a reached session cap holds tasks back saying why, budget set lets them go; a task over its own cap fails and is interrupted', () => {
  const data = store([agent('w1', { cost_usd: 0.9 }), agent('w2')], { budget: { session_usd: 1 } });
  assert.deepEqual(budgetLines(data).map(budgetText), ['session: $0.9000 of $1.0000 (90%)']);
  data.agents.w1!.cost_usd = 1.01;
  dispatch(data, 'a', { agent: 'w2' }, 0);
  assert.deepEqual(run(data, 10), []);
  assert.match(
    data.tasks!.a!.waiting ?? '',
    /^the session's budget is reached \(\$1.0100 of \$1.0000\); orchestrate budget set session USD raises it$/,
  );
  setCap(data, 'session', 2);
  assert.deepEqual(run(data, 20), ['a->w2']);
  assert.equal(data.tasks!.a!.waiting, null);
  // Its own cap: over it while running, it fails and its turn is interrupted.
  dispatch(data, 'b', { agent: 'w1' }, 30, { budget_usd: 0.05 });
  assert.deepEqual(run(data, 40), ['b->w1']);
  data.agents.w1!.cost_usd = 1.07;
  const { effects } = schedule(data, 50);
  assert.deepEqual(effects, [{ kind: 'interrupt', task: 'b', agent: 'w1' }]);
  assert.equal(data.tasks!.b!.state, 'failed');
  assert.equal(data.tasks!.b!.error, 'over its budget: $0.0600 spent, its cap is $0.0500 (dispatch --budget)');
});

test("a task's cost is its own turns': the line of the task before, written after its Stop, counts for that one, not against the next one's cap", (t) => {
  const transcript = join(tempDir(t), 's.jsonl');
  const line = (entry: object): void => appendFileSync(transcript, `${JSON.stringify(entry)}\n`);
  const user = (promptId: string, content: string): void =>
    line({ type: 'user', promptId, message: { role: 'user', content } });
  // $3 per million input tokens (Sonnet): a message of a million input tokens costs $3.
  const message = (id: string, millions: number): void =>
    line({
      type: 'assistant',
      message: { id, model: 'claude-sonnet-4-5', usage: { input_tokens: millions * 1e6, output_tokens: 0 } },
    });
  const data = store([agent('w1', { transcript_path: transcript })]);
  setCap(data, 'task', 5);
  dispatch(data, 'a', { agent: 'w1' }, 0);
  schedule(data, 1000);
  hook(data, 'w1', 1000, { hook_event_name: 'UserPromptSubmit', prompt: 'do a', prompt_id: 'pa' });
  user('pa', 'do a');
  message('m1', 1);
  hook(data, 'w1', 2000, { hook_event_name: 'Stop', last_assistant_message: 'a done' });
  assert.deepEqual([data.tasks!.a!.state, data.tasks!.a!.cost_usd], ['done', 3]);
  dispatch(data, 'b', { agent: 'w1' }, 2000);
  schedule(data, 2000);
  hook(data, 'w1', 2100, { hook_event_name: 'UserPromptSubmit', prompt: 'do b', prompt_id: 'pb' });
  // a's last message reaches the transcript only now, after b started.
  message('m2', 1);
  user('pb', 'do b');
  message('m3', 1);
  hook(data, 'w1', 2500, { hook_event_name: 'PostToolUse', tool_name: 'Bash' });
  assert.equal(data.agents.w1!.cost_usd, 9);
  assert.deepEqual([data.tasks!.a!.cost_usd, data.tasks!.b!.cost_usd], [6, 3]);
  assert.deepEqual(budgetLines(data).map(budgetText), ['task:b: $3.0000 of $5.0000 (60%)']);
  assert.deepEqual(schedule(data, 2600).effects, [], 'b is within its cap');
  assert.equal(data.tasks!.b!.state, 'running');
});

test("a finished task's late cost reaches its workflow run's task (once it took the try's cost) and the archive (written again)", () => {
  const data = store([agent('w1')]);
  dispatch(data, 'a', { agent: 'w1' }, 0);
  const task = Object.assign(data.tasks!.a!, {
    state: 'done',
    run: 'r',
    run_task: 's',
    prompt_costs: { pa: 3 },
    cost_usd: 3,
    archived: true,
  } as const);
  const runTask = (state: 'running' | 'done'): RunTaskRecord => ({
    name: 's',
    state,
    needs: [],
    target: { agent: 'w1' },
    tries: ['a'],
    agent: 'w1',
    started_at: null,
    ended_at: null,
    result: null,
    error: null,
    cost_usd: state === 'done' ? 3 : 0,
  });
  data.runs = {
    r: {
      id: 'r',
      name: 'wf',
      file: 'wf.yaml',
      state: 'running',
      created_at: '',
      ended_at: null,
      spec: { name: 'wf', file: 'wf.yaml', description: null, tasks: [] },
      tasks: { s: runTask('done') },
    },
  };
  assert.equal(
    setTurnCosts(
      data,
      task,
      new Map([
        ['pa', 3],
        ['not-its', 1],
      ]),
    ),
    false,
    'nothing new',
  );
  assert.equal(setTurnCosts(data, task, new Map([['pa', 4.5]])), true);
  assert.deepEqual([task.cost_usd, data.runs.r!.tasks.s!.cost_usd, task.archived], [4.5, 4.5, false]);
  // A run task that has not taken its try's cost yet takes it whole later.
  data.runs.r!.tasks.s = runTask('running');
  setTurnCosts(data, task, new Map([['pa', 5]]));
  assert.deepEqual([task.cost_usd, data.runs.r!.tasks.s!.cost_usd], [5, 0]);
});

test('max_busy: at most N agents work at once, the rest of the queue waits in order and says why', () => {
  const data = store(
    ['w1', 'w2', 'w3'].map((n) => agent(n)),
    { max_busy: 2 },
  );
  for (const id of ['a', 'b', 'c']) dispatch(data, id, { role: 'worker' }, 0);
  assert.deepEqual(run(data, 10), ['a->w1', 'b->w2']);
  assert.equal(data.tasks!.c!.waiting, 'max_busy: 2 agents are working already');
  hook(data, 'w1', 20, { hook_event_name: 'Stop', last_assistant_message: 'done' });
  assert.deepEqual(run(data, 30), ['c->w1']);
});
