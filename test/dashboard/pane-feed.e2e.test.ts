// A pane's live screen on the dashboard comes from a real tmux pane (a private server), with its
// colours, as text, secrets redacted, following the pane while a page watches it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { onCleanup, privateServer, retryUntil } from '../helpers/tmux.js';
import { openEvents, request } from '../helpers/http.js';
import { SECRET_KEY, agent, dashboard, fixtureStore } from '../helpers/dashboard.js';

test("dashboard: a pane's live screen comes from a real tmux pane with its colours, as text", async (t) => {
  const server = privateServer(t);
  const pane = (
    await server.cmd([
      'new-session',
      '-d',
      '-s',
      'p',
      '-x',
      '80',
      '-y',
      '10',
      '-P',
      '-F',
      '#{pane_id}',
      'sh',
      '-c',
      `printf '\\033[31mRED\\033[0m <script>x</script> ${SECRET_KEY}\\n'; read line; printf 'second %s\\n' "$line"; exec sleep 600`,
    ])
  ).trim();
  const data = fixtureStore({}, [agent('lead', { pane })]);
  data.session!.socket = server.socket!;
  const before = process.env.ANTHROPIC_API_KEY;
  process.env.ANTHROPIC_API_KEY = SECRET_KEY;
  onCleanup(t, () => {
    if (before === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = before;
  });
  const { d } = await dashboard(t, { data });
  assert.equal((await request(d.port, '/events/pane?agent=nobody')).status, 404);
  const stream = await openEvents(d.port, '/events/pane?agent=lead');
  onCleanup(t, () => stream.close());
  const first = JSON.parse(
    (await stream.next((e) => e.event === 'screen' && e.data.includes('RED'), 10_000, 'the first screen')).data,
  );
  assert.equal(first.pane, pane);
  assert.equal(first.width, 80);
  assert.deepEqual(first.segments[0], { t: 'RED', c: 'f1' });
  assert.match(first.segments[1].t, /^ <script>x<\/script> \[redacted\]\n/);
  // The screen follows the pane while it is watched.
  await server.cmd(['send-keys', '-t', pane, '-l', 'typed'], ['send-keys', '-t', pane, 'Enter']);
  await stream.next((e) => e.event === 'screen' && e.data.includes('second typed'), 10_000, 'the updated screen');
  stream.close();
  await retryUntil(
    async () => (await request(d.port, '/api/state')).status === 200 && d.streams() === 0,
    5000,
    'the stream to close',
  );
});
