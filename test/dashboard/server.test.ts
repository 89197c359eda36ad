// The dashboard's server: who may talk to it (Host, Origin, token, CSRF), what can be reached (no
// file outside its assets and handovers), what it sends (no secrets), and its event streams (a
// snapshot, then the sections a store write changed; capped per client). A pane's live screen,
// from a real tmux, is in pane-feed.e2e.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { onCleanup, retryUntil, tempDir } from '../helpers/tmux.js';
import { openEvents, request } from '../helpers/http.js';
import { SECRET_KEY, agent, dashboard, fixtureStore, writeStore } from '../helpers/dashboard.js';
import { orchestrateScript } from '../helpers/cli.js';
import { agentFiles, inboxDir, paneEnvFile } from '../../src/store/paths.js';
import { writeEnvFile } from '../../src/util/secrets.js';

test('dashboard: on 127.0.0.1 without a token it answers loopback names only, same-origin only, and is read-only', async (t) => {
  const { d } = await dashboard(t);
  assert.equal(d.token, undefined);
  const page = await request(d.port, '/');
  assert.equal(page.status, 200);
  assert.match(page.body, /<script src="\/app.js" defer><\/script>/);
  assert.doesNotMatch(page.body, /orch-csrf/, 'no action header for a read-only page');
  assert.match(String(page.headers['content-security-policy']), /script-src 'self'/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  assert.equal((await request(d.port, '/', { headers: { Host: `localhost:${d.port}` } })).status, 200);
  assert.equal(
    (await request(d.port, '/', { headers: { Host: 'localhost:9999' } })).status,
    200,
    'an SSH tunnel may use another local port',
  );
  assert.equal((await request(d.port, '/', { headers: { Host: `[::1]:${d.port}` } })).status, 200);
  // DNS rebinding: a page on another site whose name now points at 127.0.0.1.
  const rebound = await request(d.port, '/api/state', { headers: { Host: `evil.example:${d.port}` } });
  assert.equal(rebound.status, 403);
  assert.doesNotMatch(rebound.body, /demo/);
  assert.equal((await request(d.port, '/events', { headers: { Host: 'evil.example' } })).status, 403);
  // Cross-origin reads by another site's script.
  assert.equal((await request(d.port, '/api/state', { headers: { Origin: 'http://evil.example' } })).status, 403);
  assert.equal(
    (await request(d.port, '/api/state', { headers: { Origin: `http://127.0.0.1:${d.port}` } })).status,
    200,
  );
  const dispatch = await request(d.port, '/api/dispatch', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: '{"agent":"lead","prompt":"x"}',
  });
  assert.equal(dispatch.status, 403);
  assert.match(dispatch.body, /actions are off/);
  assert.equal((await request(d.port, '/api/state', { method: 'DELETE' })).status, 405);
});

test('dashboard: with a token every request and event stream needs it; ?token= becomes a strict HttpOnly cookie', async (t) => {
  const token = 'tok-0123456789abcdef';
  const { d } = await dashboard(t, { token });
  for (const path of [
    '/',
    '/app.js',
    '/style.css',
    '/api/state',
    '/events',
    '/events/pane?agent=lead',
    '/api/handover?name=a.md',
    '/nothing',
  ]) {
    const r = await request(d.port, path);
    assert.equal(r.status, 401, `${path} without the token`);
    assert.doesNotMatch(r.body, /demo|tok-0123/, `${path} says nothing of the session or the token`);
  }
  assert.equal(
    (await request(d.port, '/api/state', { headers: { Authorization: 'Bearer wrong-token-123' } })).status,
    401,
  );
  assert.equal(
    (await request(d.port, '/api/state', { headers: { Cookie: `orch_dash_${d.port}=wrong-token-123` } })).status,
    401,
  );
  const login = await request(d.port, `/?token=${token}`);
  assert.equal(login.status, 303);
  assert.equal(login.headers.location, '/', 'the token leaves the address bar');
  const cookie = String(login.headers['set-cookie']);
  assert.match(cookie, new RegExp(`^orch_dash_${d.port}=${token}; HttpOnly; SameSite=Strict; Path=/`));
  const jar = { Cookie: `orch_dash_${d.port}=${token}` };
  const page = await request(d.port, '/', { headers: jar });
  assert.equal(page.status, 200);
  assert.match(page.body, /<meta name="orch-csrf" content="[\w-]{20,}">/);
  assert.ok(!page.body.includes(token), 'the page does not contain the token');
  // Any Host name is fine with a token (it is what keeps others out), but never another origin.
  assert.equal(
    (await request(d.port, '/api/state', { headers: { ...jar, Host: `myserver.example:${d.port}` } })).status,
    200,
  );
  assert.equal(
    (await request(d.port, '/api/state', { headers: { ...jar, Origin: 'http://evil.example' } })).status,
    403,
  );
  const stream = await openEvents(d.port, '/events', jar);
  onCleanup(t, () => stream.close());
  assert.equal(stream.status, 200);
  const snapshot = await stream.next((e) => e.event === 'snapshot');
  assert.ok(!snapshot.data.includes(token));
  assert.equal((await openEvents(d.port, '/events')).status, 401);
  for (const path of ['/app.js', '/api/state'])
    assert.ok(
      !(await request(d.port, path, { headers: jar })).body.includes(token),
      `${path} does not contain the token`,
    );
});

test('dashboard: a non-loopback bind without a token generates one and refuses requests without it', async (t) => {
  const { d } = await dashboard(t, { host: '0.0.0.0' });
  assert.ok(d.tokenGenerated && d.token && d.token.length >= 20);
  assert.equal(d.openUrl, `http://127.0.0.1:${d.port}/?token=${encodeURIComponent(d.token)}`);
  const refused = await request(d.port, '/api/state');
  assert.equal(refused.status, 401);
  assert.match(refused.body, /needs its token/);
  assert.equal(
    (await request(d.port, '/', { headers: { Host: `10.1.2.3:${d.port}`, Accept: 'text/html' } })).status,
    401,
  );
  assert.equal((await request(d.port, '/api/state', { headers: { Authorization: `Bearer ${d.token}` } })).status, 200);
});

test('dashboard: the command says which port it took when the asked one is in use, and generates a token for 0.0.0.0', async (t) => {
  const state = tempDir(t);
  writeStore(state, fixtureStore());
  const blocker = createServer();
  await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
  onCleanup(t, () => new Promise<void>((r) => blocker.close(() => r())));
  const busy = (blocker.address() as { port: number }).port;
  const child = execa(orchestrateScript, ['dashboard', '--state', state, '--port', String(busy), '--host', '0.0.0.0'], {
    reject: false,
    env: { ORCH_NO_REBUILD: '1' },
  });
  onCleanup(t, async () => {
    child.kill('SIGTERM');
    await child;
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const url = await retryUntil(() => /Dashboard: (http:\S+)/.exec(out)?.[1], 15_000, 'the dashboard to print its URL');
  const taken = Number(new RegExp(`Port ${busy} is in use; took port (\\d+) instead`).exec(out)?.[1]);
  assert.ok(taken > busy, out);
  assert.match(url, new RegExp(`^http://127\\.0\\.0\\.1:${taken}/\\?token=[\\w-]{20,}$`));
  assert.match(out, /every request needs the token \(generated/);
  // The dashboard writes where it is right after it says so.
  const info = await retryUntil(
    () => JSON.parse(readFileSync(join(state, 'dashboard.json'), 'utf8')) as { open_url: string; port: number },
    5000,
    'dashboard.json',
  );
  assert.equal(info.open_url, url);
  assert.equal(info.port, taken);
  const printed = await execa(orchestrateScript, ['dashboard', '--url', '--state', state], {
    env: { ORCH_NO_REBUILD: '1' },
  });
  assert.equal(printed.stdout.trim(), url);
  child.kill('SIGTERM');
  assert.equal((await child).exitCode, 0);
  assert.deepEqual(
    readdirSync(state).filter((f) => f.startsWith('dashboard')),
    [],
    'dashboard.json is removed when it stops',
  );

  const bad = await execa(orchestrateScript, ['dashboard', '--state', state, '--port', 'http'], {
    reject: false,
    env: { ORCH_NO_REBUILD: '1' },
  });
  assert.equal(bad.exitCode, 2);
  assert.match(bad.stderr, /--port must be a port number/);
});

test('dashboard: no path reaches a file outside its assets and the handovers folder', async (t) => {
  const token = 'tok-traversal-123456';
  const { d, state } = await dashboard(t, { token });
  const auth = { Authorization: `Bearer ${token}` };
  mkdirSync(join(state, 'handovers'));
  writeFileSync(join(state, 'handovers', 'lead-to-worker.md'), '# Handover\n<b>next</b>: the API\n');
  writeFileSync(join(state, 'secret.md'), 'SECRET-OUTSIDE');
  symlinkSync(join(state, 'store.json'), join(state, 'handovers', 'link.md'));
  symlinkSync(join(state, 'secret.md'), join(state, 'handovers', 'other.md'));
  const ok = await request(d.port, '/api/handover?name=lead-to-worker.md', { headers: auth });
  assert.equal(ok.status, 200);
  assert.equal(JSON.parse(ok.body).text, '# Handover\n<b>next</b>: the API\n');
  const attempts = [
    '/../store.json',
    '/%2e%2e/store.json',
    '/app.js/../store.json',
    '/..%2fstore.json',
    '/%2E%2E%2Fsecret.md',
    '/store.json',
    '/handovers/lead-to-worker.md',
    '/api/handover?name=../store.json',
    '/api/handover?name=..%2fsecret.md',
    '/api/handover?name=%2Fetc%2Fpasswd',
    '/api/handover?name=link.md',
    '/api/handover?name=other.md',
    '/api/handover?name=.',
    '/api/handover?name=',
    '//etc/passwd',
    '/\\..\\store.json',
  ];
  for (const path of attempts) {
    const r = await request(d.port, path, { headers: auth });
    assert.equal(r.status, 404, path);
    assert.doesNotMatch(r.body, /SECRET-OUTSIDE|"cursors"|root:x:0/, path);
  }
  const listed = JSON.parse((await request(d.port, '/api/state', { headers: auth })).body).view.handovers.map(
    (h: { name: string }) => h.name,
  );
  assert.deepEqual(listed, ['lead-to-worker.md'], 'links are not listed');
});

test("dashboard: actions need the page's CSRF header, JSON and the same origin; a dispatch becomes an inbox request", async (t) => {
  const token = 'tok-actions-1234567';
  // A recorder that is alive (this process), so that a dispatch is accepted.
  const { d, state } = await dashboard(t, {
    token,
    data: fixtureStore({ recorder: { pid: process.pid, started_at: new Date().toISOString() } }),
  });
  const jar = { Cookie: `orch_dash_${d.port}=${token}` };
  const csrf = /name="orch-csrf" content="([^"]+)"/.exec((await request(d.port, '/', { headers: jar })).body)![1]!;
  const post = (
    headers: Record<string, string>,
    body = JSON.stringify({ agent: 'worker-1', prompt: 'write the tests' }),
  ) =>
    request(d.port, '/api/dispatch', {
      method: 'POST',
      headers: { ...jar, 'Content-Type': 'application/json', ...headers },
      body,
    });
  assert.equal((await post({})).status, 403, 'the cookie alone (what a forged form would send) is not enough');
  assert.equal((await post({ 'X-Orch-Csrf': 'guess' })).status, 403);
  assert.equal((await post({ 'X-Orch-Csrf': csrf, Origin: 'http://evil.example' })).status, 403);
  assert.equal((await post({ 'X-Orch-Csrf': csrf, 'Content-Type': 'text/plain' })).status, 415);
  assert.equal((await post({ 'X-Orch-Csrf': csrf, 'Sec-Fetch-Site': 'cross-site' })).status, 403);
  assert.equal((await post({ 'X-Orch-Csrf': csrf }, '{"agent":"nobody","prompt":"x"}')).status, 400);
  assert.equal((await post({ 'X-Orch-Csrf': csrf }, '{"agent":"lead","prompt":"   "}')).status, 400);
  assert.equal((await post({ 'X-Orch-Csrf': csrf }, 'not json')).status, 400);
  assert.equal(
    (await post({ 'X-Orch-Csrf': csrf }, JSON.stringify({ agent: 'lead', prompt: 'x'.repeat(70_000) }))).status,
    400,
  );
  const requests = (): string[] => {
    try {
      return readdirSync(inboxDir(state)).filter((f) => f.endsWith('.json'));
    } catch {
      return [];
    }
  };
  assert.deepEqual(requests(), [], 'nothing refused reached the inbox');

  const accepted = await post({ 'X-Orch-Csrf': csrf, Origin: `http://127.0.0.1:${d.port}` });
  assert.equal(accepted.status, 202, accepted.body);
  const { id } = JSON.parse(accepted.body) as { id: string };
  const files = requests();
  assert.equal(files.length, 1);
  const req = JSON.parse(readFileSync(join(inboxDir(state), files[0]!), 'utf8'));
  assert.deepEqual(
    { kind: req.kind, id: req.id, prompt: req.prompt, target: req.target, by: req.by },
    { kind: 'dispatch', id, prompt: 'write the tests', target: { agent: 'worker-1' }, by: 'dashboard' },
  );
  // A script that sends the token itself needs no page header.
  const scripted = await request(d.port, '/api/dispatch', {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: '{"any":true,"prompt":"anyone"}',
  });
  assert.equal(scripted.status, 202, scripted.body);
  const cancel = await request(d.port, '/api/cancel', {
    method: 'POST',
    headers: { ...jar, 'Content-Type': 'application/json', 'X-Orch-Csrf': csrf },
    body: '{"task":"t-none"}',
  });
  assert.equal(cancel.status, 400);
  assert.match(JSON.parse(cancel.body).error, /no task "t-none"/);
});

test('dashboard: no secret in any response, agent text included; only whitelisted fields are sent', async (t) => {
  const before = process.env.ANTHROPIC_API_KEY;
  process.env.ANTHROPIC_API_KEY = SECRET_KEY;
  onCleanup(t, () => {
    if (before === undefined) delete process.env.ANTHROPIC_API_KEY;
    else process.env.ANTHROPIC_API_KEY = before;
  });
  const token = 'tok-secret-abcdefgh';
  const { d } = await dashboard(t, {
    token,
    data: fixtureStore({}, [
      agent('lead', {
        last_result: `my key is ${SECRET_KEY} and the token ${token}`,
        task: 'print sk-ant-api03-another-key-value-here',
      }),
    ]),
  });
  const body = (await request(d.port, '/api/state', { headers: { Authorization: `Bearer ${token}` } })).body;
  assert.ok(!body.includes(SECRET_KEY) && !body.includes(token) && !body.includes('sk-ant-api03-another'), body);
  const lead = JSON.parse(body).view.agents[0];
  assert.equal(lead.last_result, 'my key is [redacted] and the token [redacted]');
  assert.equal(lead.task, 'print [redacted]');
  assert.ok(!body.includes('/secret/launch.sh'), 'launch scripts and other store internals are not sent');
});

test("dashboard: the values of secret-named env: variables of the session's agents and command panes are redacted too", async (t) => {
  const { d } = await dashboard(t, {
    data: fixtureStore({}, [
      agent('lead', { last_result: 'pw hunter2-secret, token cmd-token-value, other plain-value-here' }),
    ]),
    prepare: (state) => {
      writeEnvFile(agentFiles(state, 'lead').env, { DB_PASSWORD: 'hunter2-secret', OTHER: 'plain-value-here' });
      writeEnvFile(paneEnvFile(state, 0, 1), { CMD_TOKEN: 'cmd-token-value' });
    },
  });
  const lead = JSON.parse((await request(d.port, '/api/state')).body).view.agents[0];
  assert.equal(lead.last_result, 'pw [redacted], token [redacted], other plain-value-here');
});

test('dashboard: the event stream sends a snapshot, then only the sections a store write changed', async (t) => {
  const data = fixtureStore();
  const { d, state } = await dashboard(t, { data });
  const stream = await openEvents(d.port, '/events');
  onCleanup(t, () => stream.close());
  assert.equal(stream.status, 200);
  const snapshot = JSON.parse((await stream.next((e) => e.event === 'snapshot')).data);
  assert.deepEqual(
    snapshot.view.agents.map((a: { name: string; status: string }) => [a.name, a.status]),
    [
      ['lead', 'idle'],
      ['worker-1', 'idle'],
    ],
  );
  assert.equal(typeof snapshot.now, 'number');

  data.agents['worker-1'] = {
    ...data.agents['worker-1']!,
    status: 'busy',
    task: '<script>alert(1)</script>',
    busy_since: new Date().toISOString(),
  };
  writeStore(state, data);
  const patch = JSON.parse(
    (await stream.next((e) => e.event === 'patch', 10_000, 'a patch after the store changed')).data,
  );
  assert.deepEqual(Object.keys(patch.view).sort(), ['agents', 'totals']);
  assert.equal(patch.view.agents[1].status, 'busy');
  assert.equal(patch.view.agents[1].task, '<script>alert(1)</script>', 'sent as data; the page shows it as text');

  // A write that changes nothing the page shows sends nothing; the next real change does.
  writeStore(state, { ...data, cursors: { lead: 123 } });
  mkdirSync(join(state, 'handovers'));
  writeFileSync(join(state, 'h.tmp'), 'x');
  renameSync(join(state, 'h.tmp'), join(state, 'handovers', 'h.md'));
  const next = JSON.parse((await stream.next((e) => e.event === 'patch', 10_000, 'a patch for the new handover')).data);
  assert.deepEqual(Object.keys(next.view), ['handovers']);
  assert.equal(next.view.handovers[0].name, 'h.md');
  assert.equal(stream.events.filter((e) => e.event === 'patch').length, 2, 'the cursor-only write sent nothing');
});

test('dashboard: event streams are capped per client, so 64 streams of one local process do not lock a page out', async (t) => {
  const { d, state } = await dashboard(t);
  const hog = await Promise.all(Array.from({ length: 64 }, () => openEvents(d.port, '/events')));
  onCleanup(t, () => {
    for (const s of hog) s.close();
  });
  assert.ok(hog.every((s) => s.status === 200));
  await retryUntil(() => d.streams() <= 16, 5000, 'the anonymous client keeps at most its share');
  // A browser: the page gives it its own client cookie, and its streams get in.
  const page = await request(d.port, '/');
  const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
  assert.match(cookie, new RegExp(`^orch_client_${d.port}=`));
  const mine = await openEvents(d.port, '/events', { Cookie: cookie });
  onCleanup(t, () => mine.close());
  assert.equal(mine.status, 200);
  await mine.next((e) => e.event === 'snapshot', 5000, "the page's snapshot");
  // More of the hog's streams push out only its own oldest ones, never the page's.
  const more = await Promise.all(Array.from({ length: 8 }, () => openEvents(d.port, '/events')));
  onCleanup(t, () => {
    for (const s of more) s.close();
  });
  assert.ok(more.every((s) => s.status === 200));
  assert.ok(d.streams() <= 17, `open streams: ${d.streams()}`);
  writeStore(state, fixtureStore({}, [agent('lead', { role: 'lead', status: 'busy' }), agent('worker-1')]));
  await mine.next((e) => e.event === 'patch', 5000, 'the page still gets the changes');
});
