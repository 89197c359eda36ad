// Notifications with the real claude CLI: three agents failing at the same moment reach a webhook
// (a local HTTP server of the test) as one POST that ntfy and Slack both read; a workflow run that
// ends later is a second one; nothing is sent for what was already so when the recorder started.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { retryUntil, tempDir } from '../helpers/tmux.js';
import { emptyStore, type StoreData } from '../../src/store/types.js';
import { emptySeen, newNotices, webhookBody } from '../../src/notify/notify.js';

test('a burst of errors is one webhook POST; a workflow run that ends is the next', { timeout: 240_000 }, async (t) => {
  const posts: { body: Record<string, unknown>; type: string | undefined }[] = [];
  const hook = createServer((req, res) => {
    let raw = '';
    req
      .on('data', (c) => {
        raw += c;
      })
      .on('end', () => {
        posts.push({ body: JSON.parse(raw) as Record<string, unknown>, type: req.headers['content-type'] });
        res.end('ok');
      });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => hook.close(() => r())));
  const port = (hook.address() as { port: number }).port;
  const layout = writeLayout(
    t,
    `session: notes
notify:
  webhook: http://127.0.0.1:${port}/hook
  topic: team
  debounce: 1500
  desktop: false
windows:
  - panes:
      - agent: w1
      - agent: w2
      - agent: w3
`,
  );
  // claude retries a 500 by itself by default; with none its turn ends at once.
  const live = await startLiveSession(t, { layout, env: { CLAUDE_CODE_MAX_RETRIES: '0' } });
  const o = (args: string[]) => run(orchestrateScript, [...args, '--state', live.state], { env: live.env });
  await retryUntil(async () => (await live.status()).agents.every((a) => a.status === 'idle'), 120_000, 'agents idle');
  assert.equal(posts.length, 0, `nothing to say at the start: ${JSON.stringify(posts[0]?.body.events)}`);
  live.standin.refuse({ status: 500, message: 'the server broke' });
  await Promise.all(['w1', 'w2', 'w3'].map((n) => o(['dispatch', '--wait', '--timeout', '60', n, 'break'])));
  live.standin.refuse(null);
  const first = await retryUntil(() => posts[0], 20_000, 'the first POST');
  await new Promise((r) => setTimeout(r, 2500));
  assert.equal(posts.length, 1, 'one POST for the burst');
  assert.equal(first.type, 'application/json');
  const events = first.body.events as string[];
  assert.deepEqual(events.map((e) => e.split(' ')[0]).sort(), ['w1', 'w2', 'w3']);
  assert.ok(
    events.every((e) => / error: API request failed: /.test(e)),
    events.join('\n'),
  );
  assert.equal(first.body.topic, 'team');
  assert.equal(first.body.title, 'Claude Orchestrator: notes');
  assert.match(String(first.body.text), /^\*notes\*\nw\d error: /);

  const flow = join(tempDir(t), 'flow.yaml');
  writeFileSync(flow, 'tasks:\n  one: { agent: w1, prompt: "[[say fine]] ok" }\n');
  const ran = await o(['run', flow, '--wait', '--timeout', '60']);
  assert.equal(ran.exitCode, 0, `${ran.stdout}${ran.stderr}`);
  const second = await retryUntil(() => posts[1], 20_000, 'the second POST');
  assert.match((second.body.events as string[]).join('\n'), /^workflow flow \(run r-\S+\) done: 1\/1 tasks done$/m);
});

test('notices: the first look only learns; then each change that needs a person once, a limit once, runs that end, budgets that warn', () => {
  const data: StoreData = {
    ...emptyStore(),
    agents: { w1: { name: 'w1', status: 'idle', reason: null } as StoreData['agents'][string] },
  };
  const seen = emptySeen();
  data.agents.w1!.status = 'error';
  assert.deepEqual(newNotices(data, seen, true), []);
  assert.deepEqual(newNotices(data, seen), []);
  Object.assign(data.agents.w1!, { status: 'limited', reason: 'rate limited (429): trying again at 10:00:00' });
  assert.deepEqual(newNotices(data, seen), ['w1 limited: rate limited (429): trying again at 10:00:00']);
  data.agents.w1!.reason = 'rate limited (429): w1 is trying first';
  assert.deepEqual(newNotices(data, seen), []);
  data.fleet = { budget: { session_usd: 1 } };
  data.agents.w1!.cost_usd = 0.85;
  assert.deepEqual(newNotices(data, seen), ['budget at 80%: session: $0.8500 of $1.0000 (85%)']);
  assert.deepEqual(webhookBody('s', ['a', 'b']), {
    title: 'Claude Orchestrator: s',
    message: 'a\nb',
    text: '*s*\na\nb',
    session: 's',
    events: ['a', 'b'],
  });
});
