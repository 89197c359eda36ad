// The dashboard in a real browser (Debian's chromium via playwright-core) against a real session:
// four real claude agents on a private tmux server, talking to the API stand-in, with the
// dashboard that ./start.mts starts in the control window.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Page } from 'playwright-core';
import { startLiveSession } from '../helpers/session.js';
import { onCleanup, retryUntil } from '../helpers/tmux.js';
import { browserForTest } from '../helpers/browser.js';
import { FAKE_API_KEY } from '../helpers/claude-env.js';
import { orchestrateScript } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';
import { readDashboardInfo } from '../../src/dashboard/info.js';

const AGENTS = ['lead', 'worker-1', 'worker-2', 'worker-3'];

/** Dispatches a prompt through the page's form and returns the task id the page reports. */
async function dispatchFromPage(page: Page, agent: string, prompt: string): Promise<string> {
  await page.selectOption('#dispatch-agent', agent);
  await page.fill('#dispatch-prompt', prompt);
  await page.click('#dispatch button[type="submit"]');
  const reply = page.locator('#dispatch-result');
  await reply.filter({ hasText: /queued as|refused|failed/ }).waitFor({ timeout: 15_000 });
  const text = (await reply.textContent()) ?? '';
  const id = /queued as (\S+)/.exec(text)?.[1];
  assert.ok(id, `the page says the task was queued: ${text}`);
  return id;
}

/** This machine's first address that is not loopback (the dashboard must not be reachable there without the token). */
function outsideAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '0.0.0.0';
}

test('dashboard in chromium: cards, a dispatched task busy then idle without reload, the XSS probe as text, a non-loopback bind refused without its token', {
  timeout: 300_000,
}, async (t) => {
  const live = await startLiveSession(t);
  for (const name of AGENTS) await live.waitFor(name, (a) => a.status === 'idle', 'idle', 90_000);
  const info = await retryUntil(
    () => readDashboardInfo(live.state),
    30_000,
    "the control window's dashboard to write dashboard.json",
  );
  assert.match(info.open_url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/);

  const context = await browserForTest(t);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations++;
  });
  await page.goto(info.open_url);
  assert.equal(new URL(page.url()).search, '', 'the token left the address bar (it is now an HttpOnly cookie)');

  // The cards appear, one per agent, each idle, and the stream is live.
  await page.locator('#conn[data-conn="live"]').waitFor({ timeout: 15_000 });
  for (const name of AGENTS)
    await page.locator(`[data-agent="${name}"][data-state="idle"]`).waitFor({ timeout: 15_000 });
  assert.deepEqual(
    await page
      .locator('#agents [data-agent]')
      .evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.agent)),
    AGENTS,
  );
  await page.evaluate(() => {
    (window as unknown as { sameDocument: boolean }).sameDocument = true;
  });
  const navigationsBefore = navigations;

  // A task dispatched from the page turns worker-1's card busy, then idle, with its answer; no reload.
  const taskId = await dispatchFromPage(page, 'worker-1', '[[slow 3000]] [[say dispatch probe finished]]');
  await page.locator('[data-agent="worker-1"][data-state="busy"]').waitFor({ timeout: 60_000 });
  assert.match((await page.locator('[data-agent="worker-1"] .task').textContent()) ?? '', /\[\[slow 3000\]\]/);
  await page.locator(`#tasks tr[data-task="${taskId}"]`).waitFor({ timeout: 10_000 });
  await page.locator('[data-agent="worker-1"][data-state="idle"]').waitFor({ timeout: 60_000 });
  await page.locator(`#tasks tr[data-task="${taskId}"][data-task-state="done"]`).waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('[data-agent="worker-1"] .last').textContent(), 'dispatch probe finished');
  assert.equal(
    await page.evaluate(() => (window as unknown as { sameDocument?: boolean }).sameDocument),
    true,
    'the same document all along',
  );
  assert.equal(navigations, navigationsBefore, 'no navigation (no reload)');

  // The XSS probe: an agent answers with markup (and the API key); the page shows the characters.
  const probe = '<script>window.__xss=1</script><img src=x onerror="window.__xss=2"><b>bold?</b>';
  await dispatchFromPage(page, 'worker-2', `[[say ${probe} key=${FAKE_API_KEY}]]`);
  const last = page.locator('[data-agent="worker-2"] .last');
  await last.filter({ hasText: '<script>' }).waitFor({ timeout: 60_000 });
  assert.equal(await last.textContent(), `${probe} key=[redacted]`);
  assert.equal(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss), undefined, 'no script ran');
  assert.equal(await page.locator('main script, main img, main b').count(), 0, 'no element came from agent text');
  assert.match(
    (await page.locator('#tasks td.prompt').first().textContent()) ?? '',
    /<script>window.__xss=1<\/script>/,
  );

  // The live screen of worker-2's pane: claude's own screen, coloured spans and text only.
  await page.locator('[data-agent="worker-2"]').click();
  await page.locator('#pane[data-agent="worker-2"]').waitFor({ timeout: 15_000 });
  await retryUntil(
    async () => ((await page.locator('#pane').textContent()) ?? '').includes('window.__xss=1'),
    20_000,
    "the probe on worker-2's screen",
  );
  assert.equal(await page.locator('#pane *:not(span)').count(), 0);
  assert.ok((await page.locator('#pane span').count()) > 0, 'the screen has colours');
  assert.ok(!(await page.content()).includes(FAKE_API_KEY), 'the API key is nowhere in the page');
  assert.deepEqual(pageErrors, []);

  const shots = join(repoRoot, 'dist', 'test-output');
  mkdirSync(shots, { recursive: true });
  const shot = join(shots, 'dashboard-live.png');
  await page.screenshot({ path: shot, fullPage: true });
  t.diagnostic(`screenshot: ${shot}`);

  // A second dashboard on a non-loopback address, without --token: a token is generated, and
  // the browser is refused without it.
  const host = outsideAddress();
  const child = execa(orchestrateScript, ['dashboard', '--state', live.state, '--host', host, '--port', '0'], {
    reject: false,
    env: { ...live.env, ORCH_NO_REBUILD: '1' },
  });
  onCleanup(t, async () => {
    child.kill('SIGTERM');
    await child;
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const url = new URL(
    await retryUntil(() => /Dashboard: (http:\S+)/.exec(out)?.[1], 15_000, 'the second dashboard to print its URL'),
  );
  assert.ok(url.searchParams.get('token'), 'the printed URL carries the generated token');
  const bare = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${url.port}/`;
  const other = await context.newPage();
  const refused = await other.goto(bare);
  assert.equal(refused?.status(), 401);
  assert.match((await other.textContent('body')) ?? '', /needs its token/);
  assert.equal(await other.locator('[data-agent]').count(), 0);
  const refusedEvents = await other.evaluate(async (u) => (await fetch(`${u}events`)).status, bare);
  assert.equal(refusedEvents, 401);
  const allowed = await other.goto(`${bare}?token=${url.searchParams.get('token')}`);
  assert.equal(allowed?.status(), 200);
  for (const name of AGENTS) await other.locator(`#agents [data-agent="${name}"]`).waitFor({ timeout: 15_000 });
});
