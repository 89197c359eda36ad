// 32 agents (8 windows of 4) in real tmux with the real recorder and dashboard: all start, 160
// tasks given at once by eight dispatchers go through, each once and on its first paste, the live
// store keeps its window, and the dashboard in chromium shows every agent (a screenshot is saved).
// The agents are fake (a raw-mode prompt box that runs the hooks as claude does): bench/fleet runs
// 32 real claudes, which take minutes to start on two cores.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { fixtures, repoRoot } from '../helpers/paths.js';
import { browserForTest } from '../helpers/browser.js';
import { readDashboardInfo } from '../../src/dashboard/info.js';
import { taskPage } from '../../src/tasks/client.js';
import type { StoreData } from '../../src/store/types.js';

const AGENTS = 32;

test('32 agents in 8 windows: all idle, 160 concurrent tasks each delivered once, the dashboard shows all 32', {
  timeout: 300_000,
}, async (t) => {
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const state = join(tempDir(t), 'state');
  const layout = join(tempDir(t), 'fleet.yaml');
  writeFileSync(
    layout,
    `windows:\n${Array.from({ length: AGENTS / 4 }, (_, w) => `  - name: w${w}\n    panes:\n${Array.from({ length: 4 }, (_, p) => `      - agent: a${w * 4 + p + 1}\n`).join('')}`).join('')}`,
  );
  const server = privateServer(t);
  const env = { CLAUDE_BIN: join(fixtures, 'bin', 'fake-claude-repl') };
  const started = await run(
    startScript,
    ['--socket', server.socket!, '--state', state, '--layout', layout, '--no-attach'],
    { cwd: project, env },
  );
  assert.equal(started.exitCode, 0, started.stderr);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(
    () =>
      Object.values(store().agents).length === AGENTS &&
      Object.values(store().agents).every((a) => a.status === 'idle'),
    90_000,
    `${AGENTS} agents idle`,
  );
  const windows = (await server.cmd(['list-windows', '-a', '-F', '#{window_name} #{window_panes}'])).trim().split('\n');
  assert.equal(
    windows.filter((w) => /^w\d /.test(w) && w.endsWith(' 4')).length,
    AGENTS / 4,
    `8 windows of 4 panes: ${windows.join(', ')}`,
  );

  const names = Object.keys(store().agents);
  const ids = (
    await Promise.all(
      Array.from({ length: 8 }, async (_, p) => {
        const mine: string[] = [];
        for (let i = 0; i < 20; i++) {
          const args = i % 4 === 3 ? ['--any', `p${p}-${i}`] : [names[(p * 20 + i) % AGENTS]!, `p${p}-${i}`];
          const r = await run(orchestrateScript, ['dispatch', '--state', state, ...args], { env });
          assert.equal(r.exitCode, 0, r.stderr);
          mine.push(r.stdout.trim());
        }
        return mine;
      }),
    )
  ).flat();

  // The dashboard meanwhile: every card, whatever the agents are doing.
  const info = await retryUntil(() => readDashboardInfo(state), 30_000, 'the dashboard');
  const page = await (await browserForTest(t, { width: 1600, height: 1200 })).newPage();
  await page.goto(info.open_url);
  await page
    .locator('#agents [data-agent]')
    .nth(AGENTS - 1)
    .waitFor({ timeout: 30_000 });
  assert.equal(await page.locator('#agents [data-agent]').count(), AGENTS);

  await retryUntil(
    () => {
      const all = taskPage(store(), state, 1, 1000).tasks;
      return all.length === ids.length && all.every((x) => x.state === 'done');
    },
    180_000,
    'all 160 tasks done',
  );
  const tasks = taskPage(store(), state, 1, 1000).tasks;
  assert.deepEqual(new Set(tasks.map((x) => x.id)), new Set(ids));
  assert.deepEqual(
    tasks.filter((x) => x.attempts !== 1).map((x) => x.id),
    [],
    'every prompt went through on its first paste',
  );
  for (const x of tasks) assert.equal(x.result, `OK: ${x.prompt}`);
  const submitted = names.flatMap((a) =>
    readFileSync(join(state, 'agents', a, 'status.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"UserPromptSubmit"')),
  );
  assert.equal(submitted.length, ids.length, 'each task submitted exactly once');
  assert.ok(Object.keys(store().tasks ?? {}).length <= 70, 'the live store kept its window');
  await page
    .locator(`#agents [data-agent][data-state="idle"]`)
    .nth(AGENTS - 1)
    .waitFor({ timeout: 30_000 });

  const shots = join(repoRoot, 'dist', 'test-output');
  mkdirSync(shots, { recursive: true });
  const shot = join(shots, `dashboard-${AGENTS}-agents.png`);
  await page.screenshot({ path: shot, fullPage: true, timeout: 60_000 });
  t.diagnostic(`screenshot: ${shot}`);
});
