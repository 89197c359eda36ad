// The archive with real claude agents in real tmux: with a live window of 3 finished tasks, tasks
// that left store.json are still read whole by id (result, wait, the lead's tools, the dashboard in
// chromium) and listed page by page, and the handover counts them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { retryUntil } from '../helpers/tmux.js';
import { browserForTest } from '../helpers/browser.js';
import { callTool } from '../../src/mcp/handlers.js';
import { readDashboardInfo } from '../../src/dashboard/info.js';
import { archiveFile } from '../../src/store/paths.js';
import { LIVE_TEXT } from '../../src/store/retention.js';
import type { TaskRecord } from '../../src/store/types.js';

test("archived tasks: result, wait, tasks --page, the lead's task_result and list_tasks, the dashboard's Find and pages, the handover", {
  timeout: 300_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    'windows:\n  - name: agents\n    panes:\n      - agent: lead\n        role: lead\n      - agent: worker-1\n',
  );
  const live = await startLiveSession(t, { layout, env: { ORCH_KEEP_FINISHED: '3' } });
  const orch = (...args: string[]) =>
    run(orchestrateScript, [args[0]!, '--state', live.state, ...args.slice(1)], { env: live.env });
  await live.waitFor('worker-1', (a) => a.status === 'idle', 'idle', 90_000);

  const long = `${'every word of a long answer, '.repeat(40)}end.`;
  const prompts = [
    'first task',
    `answer at length [[say ${long}]]`,
    ...Array.from({ length: 6 }, (_, i) => `task ${i + 3}`),
  ];
  const ids: string[] = [];
  for (const p of prompts) {
    const r = await orch('dispatch', 'worker-1', '--', p);
    assert.equal(r.exitCode, 0, r.stderr);
    ids.push(r.stdout.trim());
  }
  const last = await orch('wait', ids.at(-1)!, '--timeout', '120');
  assert.equal(last.exitCode, 0, last.stderr);

  // The live store kept its window; the rest is in the archive, the long one whole.
  await retryUntil(() => (live.store().archive?.tasks?.count ?? 0) >= 4, 10_000, 'the oldest tasks archived');
  const store = live.store();
  assert.ok(!store.tasks?.[ids[0]!], 'the first task left store.json');
  assert.ok(Object.keys(store.tasks ?? {}).length <= 4);
  // (A task is archived a few seconds after it ends, with its turn's last transcript lines in its cost.)
  const archivedTasks = (): TaskRecord[] =>
    readFileSync(archiveFile(live.state, 'tasks'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as TaskRecord);
  const archived = await retryUntil(
    () => {
      const all = archivedTasks();
      return new Set(all.map((x) => x.id)).size === ids.length && all;
    },
    15_000,
    'every task archived',
  );
  // A task with a long text is archived at once (store.json never holds it whole) and written again
  // when its late cost arrives; the others once, when their cost has settled. The newest copy counts.
  const isLong = (x: TaskRecord): boolean => x.prompt.length > LIVE_TEXT || (x.result?.length ?? 0) > LIVE_TEXT;
  assert.deepEqual(
    archived
      .filter((x) => !isLong(x))
      .map((x) => x.id)
      .sort(),
    ids.filter((id) => !archived.some((x) => x.id === id && isLong(x))).sort(),
    'every short finished task was written to the archive once',
  );
  const newest = [...new Map(archived.map((x) => [x.id, x])).values()];
  assert.equal(newest.length, ids.length);
  assert.deepEqual(
    newest.filter((x) => !(x.cost_usd > 0)).map((x) => x.id),
    [],
    'each with its cost (its one message is written after its Stop)',
  );

  const first = await orch('result', ids[0]!);
  assert.equal(first.exitCode, 0, first.stderr);
  assert.equal(first.stdout.trim(), 'OK: first task');
  const whole = await orch('result', ids[1]!);
  assert.equal(whole.stdout.trim(), long, "the long answer whole, not the live copy's start");
  const waited = await orch('wait', ids[0]!.slice(-6), '--timeout', '5');
  assert.equal(waited.exitCode, 0, waited.stderr);
  assert.equal(waited.stdout.trim(), 'OK: first task', 'wait finds an archived task by the end of its id');

  const page = (n: number) =>
    orch('tasks', '--page', String(n), '--per-page', '5', '--json').then(
      (r) => JSON.parse(r.stdout) as { tasks: TaskRecord[]; total: number; pages: number },
    );
  const [p1, p2] = [await page(1), await page(2)];
  assert.equal(p1.total, 8);
  assert.equal(p1.pages, 2);
  assert.deepEqual(
    [...p1.tasks, ...p2.tasks].map((x) => x.id),
    [...ids].reverse(),
    'every task once, newest first',
  );
  const table = await orch('tasks');
  assert.match(table.stdout, /older finished task\(s\) are in the archive: orchestrate tasks --page 1/);

  const ctx = { stateDir: live.state, caller: 'lead' };
  const result = await callTool(ctx, 'task_result', { task: ids[1]! });
  assert.ok(!result.isError && result.text.includes(long), result.text.slice(0, 300));
  const listed = JSON.parse((await callTool(ctx, 'list_tasks', { page: 2 })).text) as {
    tasks: { id: string }[];
    total: number;
  };
  assert.equal(listed.total, 8);
  assert.deepEqual(
    listed.tasks.map((x) => x.id),
    [],
    'page 2 of 50 a page is empty',
  );
  const listedAll = JSON.parse((await callTool(ctx, 'list_tasks', {})).text) as { archived?: string };
  assert.match(listedAll.archived ?? '', /older finished tasks/);

  // The dashboard finds an archived task by id and pages through every task.
  const info = await retryUntil(() => readDashboardInfo(live.state), 30_000, 'the dashboard');
  const browser = await (await browserForTest(t)).newPage();
  await browser.goto(info.open_url);
  await browser
    .locator('#history-count')
    .filter({ hasText: /archived/ })
    .waitFor({ timeout: 15_000 });
  await browser.fill('#task-find-id', ids[0]!);
  await browser.click('#task-find button[type="submit"]');
  await browser.locator(`#task-found[data-task="${ids[0]}"]`).waitFor({ timeout: 10_000 });
  assert.match((await browser.locator('#task-found').textContent()) ?? '', /result: OK: first task/);
  await browser.click('#history-load');
  await browser.locator('#history tbody tr').first().waitFor({ timeout: 10_000 });
  assert.deepEqual(
    await browser.locator('#history tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.task)),
    [...ids].reverse(),
  );
  assert.match((await browser.locator('#history-page').textContent()) ?? '', /page 1 of 1 · 8 tasks/);

  const handover = await orch('handover');
  assert.equal(handover.exitCode, 0, handover.stderr);
  assert.match(
    readFileSync(handover.stdout.trim(), 'utf8'),
    /\d+ older finished tasks? \(\d+ done\), .* are in the archive/,
  );
});
