// bench/dashboard: latency from an agent's status event to the change in the dashboard page, in a
// real browser (Debian's chromium via playwright-core). A session of waiting stand-in agents
// (fake claude) runs on a private tmux server with its recorder and the dashboard the control
// window starts; the bench appends UserPromptSubmit / Stop lines to worker-1's status file, as
// its hooks would, and each stage stamps when it sees the change, all on this machine's clock:
//   - baseline: the recorder has written store.json (an fs.watch on the state directory here)
//   - the dashboard's event stream delivered the patch (an SSE client here)
//   - the card's data-state changed in the page (MutationObserver, performance.timeOrigin + now())
//   - the next frame after that change (requestAnimationFrame in the page)
// Target: page change median under 150 ms. Run: npm run bench:dashboard [-- runs]
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { toolkitRoot } from '../src/util/paths.js';
import { readDashboardInfo, type DashboardInfo } from '../src/dashboard/info.js';
import { launchChromium } from '../test/helpers/browser.js';
import { sh, table, median } from './measure.mjs';

const runs = Number(process.argv[2] ?? 30);
const now = (): number => performance.timeOrigin + performance.now();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const p90 = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.9))]!;
async function until<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'orch-bench-dashboard-'));
const project = join(dir, 'proj');
mkdirSync(project);
const state = join(dir, 'state');
const socket = `bench_dash_${process.pid}`;
const socketFile = join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket);
const env = { CLAUDE_BIN: join(toolkitRoot, 'test', 'fixtures', 'bin', 'fake-claude'), ORCH_NO_REBUILD: '1' };
const browser = await launchChromium();
try {
  sh(join(toolkitRoot, 'start.mts'), ['--no-attach', '--socket', socket, '--state', state], env, project);
  const info: DashboardInfo = await until(() => readDashboardInfo(state), 20_000, 'the dashboard to start');
  const statusFile = join(state, 'agents', 'worker-1', 'status.jsonl');
  const agentStatus = (): string | undefined => {
    try {
      return (
        JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as { agents: Record<string, { status: string }> }
      ).agents['worker-1']?.status;
    } catch {
      return undefined;
    }
  };

  // The recorder's part: when store.json says the new state.
  let storeSeen: { state: string; at: number } | undefined;
  const watcher = watch(state, (_, file) => {
    if (file === 'store.json') {
      const s = agentStatus();
      if (s) storeSeen = { state: s, at: now() };
    }
  });

  // The dashboard's part: when its event stream delivers the patch.
  let sseSeen: { state: string; at: number } | undefined;
  const token = new URL(info.open_url).searchParams.get('token') ?? '';
  const sse = request(
    { host: '127.0.0.1', port: info.port, path: '/events', headers: { Authorization: `Bearer ${token}` } },
    (res) => {
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = now();
        const m = /"name":"worker-1"[^}]*?"status":"(\w+)"/.exec(chunk);
        if (m && chunk.includes('event: patch')) sseSeen = { state: m[1]!, at };
      });
    },
  );
  sse.end();

  // The page's part: a MutationObserver on worker-1's card, and the frame after the change.
  const page = await browser.context.newPage();
  await page.goto(info.open_url);
  await page.locator('[data-agent="worker-1"]').waitFor({ timeout: 20_000 });
  await page.evaluate(() => {
    const w = window as unknown as { changes: { state: string; at: number; frame?: number }[] };
    w.changes = [];
    const card = document.querySelector<HTMLElement>('[data-agent="worker-1"]')!;
    new MutationObserver(() => {
      const change = { state: card.dataset.state ?? '', at: performance.timeOrigin + performance.now() } as {
        state: string;
        at: number;
        frame?: number;
      };
      w.changes.push(change);
      requestAnimationFrame(() => {
        change.frame = performance.timeOrigin + performance.now();
      });
    }).observe(card, { attributes: true, attributeFilter: ['data-state'] });
  });

  const stages = { store: [] as number[], sse: [] as number[], dom: [] as number[], frame: [] as number[] };
  for (let i = 0; i <= runs; i++) {
    const busy = i % 2 === 0;
    const want = busy ? 'busy' : 'idle';
    const event = busy
      ? { hook_event_name: 'UserPromptSubmit', prompt: `bench ${i}` }
      : { hook_event_name: 'Stop', last_assistant_message: `done ${i}` };
    const before = await page.evaluate(() => (window as unknown as { changes: unknown[] }).changes.length);
    storeSeen = undefined;
    sseSeen = undefined;
    const t0 = now();
    appendFileSync(statusFile, `${JSON.stringify({ at: Date.now(), event })}\n`);
    await page.waitForFunction(
      ([n, s]) => {
        const c = (window as unknown as { changes: { state: string; frame?: number }[] }).changes;
        return c.length > (n as number) && c[c.length - 1]!.state === s && c[c.length - 1]!.frame !== undefined;
      },
      [before, want] as const,
      { timeout: 10_000, polling: 20 },
    );
    const change = await page.evaluate(() => {
      const c = (window as unknown as { changes: { at: number; frame: number }[] }).changes;
      return c[c.length - 1]!;
    });
    await until(
      () => storeSeen?.state === want && sseSeen?.state === want,
      5000,
      `the store and stream to say ${want}`,
    );
    // The first pass warms everything up and is not counted.
    if (i > 0) {
      stages.store.push(storeSeen!.at - t0);
      stages.sse.push(sseSeen!.at - t0);
      stages.dom.push(change.at - t0);
      stages.frame.push(change.frame - t0);
    }
    await sleep(100);
  }
  watcher.close();
  sse.destroy();

  const rows = [
    { what: 'status line -> store.json written (recorder; baseline)', xs: stages.store },
    { what: 'status line -> SSE patch received (dashboard server)', xs: stages.sse },
    { what: 'status line -> card changed in the page (DOM)', xs: stages.dom, target: '< 150' },
    { what: 'status line -> next frame after the change', xs: stages.frame },
  ];
  console.log(
    `bench/dashboard: ${runs} state changes, chromium ${browser.context.browser()?.version() ?? ''}, tmux ${sh('tmux', ['-V']).trim().split(' ')[1]}, ${new Date().toISOString().slice(0, 10)}\n`,
  );
  table(
    rows.map((r) => ({
      what: r.what,
      ms: median(r.xs),
      vs: r === rows[0] ? undefined : rows[0]!.what,
      ...(r.target ? { target: r.target } : {}),
    })),
  );
  console.log(
    `\np90 ms: ${rows.map((r) => `${r.what.split(' -> ')[1]!.split(' (')[0]} ${p90(r.xs).toFixed(0)}`).join('; ')}`,
  );
  console.log(
    `dashboard's own share (page DOM - store): median ${median(stages.dom.map((d, i) => d - stages.store[i]!)).toFixed(1)} ms`,
  );
} finally {
  try {
    sh('tmux', ['-L', socket, 'kill-server']);
  } catch {
    /* not running */
  }
  rmSync(socketFile, { force: true });
  await browser.close();
  rmSync(dir, { recursive: true, force: true });
}
