// bench/fleet: 32 real claude agents (8 windows of 4) on this machine, against the instant API
// stand-in, each next to a baseline from the same run:
//   1. ./start.mts -> all 32 idle, next to 32 plain claudes launched in tmux (target: <= 1.2x);
//   2. all 32 busy, each making a tool call every 200 ms (the stand-in waits 200 ms before each
//      reply, every reply a Bash tool call): a probe line appended to a status file -> recorded in
//      store.json (target: median < 100 ms), the recorder's CPU (< 25% of a core) and RSS (< 80 MB);
//   3. the dashboard in chromium meanwhile: load -> 32 cards, and a screenshot.
// Run: npm run bench:fleet [-- AGENTS [BUSY_SECONDS]]   (default 32 and 30; FLEET_NICE=N gives the agents nice: N)
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { median } from './measure.mjs';
import { whenStore, readStoreData } from './fake-session.mjs';
import { claudeHome } from './claude-home.mjs';
import { plainClaudes } from './plain-claudes.mjs';
import { statusFile, storeFile } from '../src/store/paths.js';
import { Server } from '../src/tmux/objects.js';
import { readDashboardInfo } from '../src/dashboard/info.js';
import { orchestrateBin } from '../src/util/paths.js';
import { killServerAndWait } from '../test/helpers/tmux.js';
import { launchChromium } from '../test/helpers/browser.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const AGENTS = Number(process.argv[2] ?? 32);
const BUSY_S = Number(process.argv[3] ?? 30);
const claudeBin = join(root, 'node_modules', '.bin', 'claude');
const orchestrate = orchestrateBin;
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orch-bench-fleet-')));
const project = join(dir, 'project');
mkdirSync(project);
const rows: { what: string; value: number; unit: string; vs?: string; target?: string }[] = [];
const servers: Server[] = [];

const statLine = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ')
    .map(Number);
const cpuMs = (pid: number): number => {
  const f = statLine(pid);
  return (f[11]! + f[12]!) * 10;
};
const rssMb = (pid: number, field = 'VmRSS'): number =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

function layout(n: number): string {
  const file = join(dir, `fleet-${n}.yaml`);
  const windows = Array.from(
    { length: Math.ceil(n / 4) },
    (_, w) =>
      `  - name: w${w}\n    panes:\n${Array.from({ length: Math.min(4, n - w * 4) }, (_, p) => `      - agent: a${w * 4 + p + 1}\n        permission_mode: bypassPermissions\n${process.env.FLEET_NICE ? `        nice: ${process.env.FLEET_NICE}\n` : ''}`).join('')}`,
  );
  writeFileSync(file, `windows:\n${windows.join('')}`);
  return file;
}

// The stand-in in a process of its own: serving 32 claudes in this one would delay what this one measures.
const standinProcess = spawn(process.execPath, [join(root, 'dist', 'src', 'standin', 'main.js')], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
const standinUrl = await new Promise<string>((resolve, reject) => {
  let out = '';
  standinProcess.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
    const line = out.split('\n')[0];
    if (out.includes('\n')) resolve((JSON.parse(line!) as { url: string }).url);
  });
  standinProcess.once('exit', (code) => reject(new Error(`the stand-in exited ${code}`)));
});
const { home, env } = claudeHome(standinUrl, [project]);
const full = { ...process.env, ...env, CLAUDE_BIN: claudeBin, ORCH_NO_REBUILD: '1', IS_SANDBOX: '1' };
try {
  // 1. Start-up, the plain claudes first (a warm file cache for both).
  const plain = await plainClaudes({
    n: AGENTS,
    dir: join(dir, 'plain'),
    project,
    claudeBin,
    env: { ...env, IS_SANDBOX: '1' },
    socket: `bench_fleet_plain_${process.pid}`,
  });
  rows.push({ what: `${AGENTS} plain claudes launched in tmux -> all SessionStart`, value: plain, unit: 'ms' });
  const server = new Server(`bench_fleet_${process.pid}`);
  servers.push(server);
  const state = join(dir, 'state');
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      join(root, 'start.mts'),
      ['--no-attach', '--socket', server.socket!, '--state', state, '--layout', layout(AGENTS)],
      { cwd: project, env: full, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`start.mts exited ${code}: ${stderr}`))));
  });
  const returned = performance.now() - t0;
  const idle =
    (await whenStore(
      state,
      (d) => Object.keys(d.agents).length === AGENTS && Object.values(d.agents).every((a) => a.status === 'idle'),
      600_000,
    )) - t0;
  rows.push({ what: `./start.mts returns, ${AGENTS} agents`, value: returned, unit: 'ms' });
  rows.push({
    what: `./start.mts -> all ${AGENTS} agents idle`,
    value: idle,
    unit: 'ms',
    vs: `${AGENTS} plain claudes launched in tmux -> all SessionStart`,
    target: '<= 1.2x',
  });

  // 2. Everyone busy: a tool call every 200 ms for BUSY_S seconds.
  const names = Object.keys(readStoreData(state)!.agents);
  const steps = Math.ceil((BUSY_S * 1000) / 200);
  const prompt = `[[slow 200]] ${Array.from({ length: steps }, (_, i) => `[[bash true ${i}]]`).join(' ')}`;
  await Promise.all(
    names.map(
      (a) =>
        new Promise<void>((resolve, reject) => {
          const child = spawn(process.execPath, [orchestrate, 'dispatch', '--state', state, a, prompt], {
            env: full,
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let stderr = '';
          child.stderr!.on('data', (d: Buffer) => {
            stderr += d.toString();
          });
          child.on('close', (code) =>
            code === 0 ? resolve() : reject(new Error(`dispatch to ${a} exited ${code}: ${stderr}`)),
          );
        }),
    ),
  );
  await whenStore(state, (d) => Object.values(d.agents).every((a) => a.status === 'busy'), 120_000);
  const recorder = readStoreData(state)!.recorder!.pid;
  // Let the turns get going, then measure while every agent works.
  await sleep(3000);
  const tmuxPid = Number((await server.cmd(['display-message', '-p', '#{pid}'])).trim());
  const [cpu0, wall0, tmux0] = [cpuMs(recorder), performance.now(), cpuMs(tmuxPid)];
  const probes: number[] = [];
  const written: number[] = [];
  const toolEvents0 = names.reduce(
    (n, a) => n + (readFileSync(statusFile(state, a), 'utf8').match(/"PostToolUse"/g)?.length ?? 0),
    0,
  );
  const busyUntil = performance.now() + (BUSY_S - 8) * 1000;
  let shotMs = 0;
  const page = (async () => {
    // 3. The dashboard meanwhile.
    await sleep(2000);
    const info = readDashboardInfo(state);
    if (!info) return;
    const browser = await launchChromium();
    try {
      const p = await browser.context.newPage();
      const l0 = performance.now();
      await p.goto(info.open_url, { timeout: 120_000 });
      // Cards shown, looked at every 250 ms for up to 2 minutes (what a person waiting would see).
      let cards = 0;
      while (cards < AGENTS && performance.now() - l0 < 120_000) {
        cards = await p.locator('#agents [data-agent]').count();
        if (cards < AGENTS) await sleep(250);
      }
      if (cards < AGENTS)
        console.log(
          `dashboard: ${cards} of ${AGENTS} cards after 2 minutes; connection: ${await p.locator('#conn').textContent()}`,
        );
      shotMs = performance.now() - l0;
      const shot = join(root, 'dist', 'test-output', `dashboard-${AGENTS}-busy.png`);
      mkdirSync(join(root, 'dist', 'test-output'), { recursive: true });
      await p.screenshot({ path: shot, fullPage: true, timeout: 120_000 });
      console.log(`screenshot: ${shot}`);
    } finally {
      await browser.close();
    }
  })().catch((error: Error) => console.log(`dashboard: ${error.message.split('\n')[0]}`));
  for (let i = 0; performance.now() < busyUntil; i++) {
    const a = names[i % names.length]!;
    const file = statusFile(state, a);
    appendFileSync(file, `${JSON.stringify({ at: Date.now(), event: { hook_event_name: 'BenchProbe', n: i } })}\n`);
    const end = statSync(file).size;
    const p0 = performance.now();
    // Recorded: the store's cursor for that agent is at or past the probe's end.
    const appended = Date.now();
    probes.push((await whenStore(state, (d) => (d.cursors?.[a] ?? 0) >= end, 30_000)) - p0);
    // When the recorder wrote it (the file's time), apart from when this process saw it.
    written.push(statSync(storeFile(state)).mtimeMs - appended);
    await sleep(150);
  }
  const [cpu1, wall1, tmux1] = [cpuMs(recorder), performance.now(), cpuMs(tmuxPid)];
  const toolEvents1 = names.reduce(
    (n, a) => n + (readFileSync(statusFile(state, a), 'utf8').match(/"PostToolUse"/g)?.length ?? 0),
    0,
  );
  await page;
  const busyNow = Object.values(readStoreData(state)!.agents).filter((a) => a.status === 'busy').length;
  rows.push({
    what: `tool calls made while measured (all ${AGENTS} agents; ${busyNow} still busy at the end)`,
    value: (toolEvents1 - toolEvents0) / ((wall1 - wall0) / 1000),
    unit: 'per s',
  });
  rows.push({
    what: 'probe line -> recorded in store.json, all busy',
    value: median(probes),
    unit: 'ms',
    target: '< 100',
  });
  rows.push({ what: '  of which until the recorder wrote store.json (its mtime)', value: median(written), unit: 'ms' });
  rows.push({
    what: '  90th percentile',
    value: [...probes].sort((x, y) => x - y)[Math.floor(probes.length * 0.9)]!,
    unit: 'ms',
  });
  rows.push({
    what: 'recorder CPU, all busy',
    value: ((cpu1 - cpu0) / (wall1 - wall0)) * 100,
    unit: '% of a core',
    target: '< 25',
  });
  rows.push({
    what: "tmux server CPU, all busy (32 claude screens; at the recorder's priority)",
    value: ((tmux1 - tmux0) / (wall1 - wall0)) * 100,
    unit: '% of a core',
  });
  rows.push({ what: 'recorder RSS, all busy', value: rssMb(recorder), unit: 'MB', target: '< 80' });
  rows.push({ what: 'recorder peak RSS (VmHWM)', value: rssMb(recorder, 'VmHWM'), unit: 'MB', target: '< 80' });
  if (shotMs) rows.push({ what: `dashboard: load -> ${AGENTS} cards, all busy`, value: shotMs, unit: 'ms' });
  await killServerAndWait(server);
  servers.splice(servers.indexOf(server), 1);
} finally {
  for (const s of servers) await killServerAndWait(s).catch(() => {});
  standinProcess.kill('SIGTERM');
  rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
const byName = new Map(rows.map((r) => [r.what, r]));
console.log(`bench/fleet: ${AGENTS} real claudes (${new Date().toISOString().slice(0, 10)}), ${BUSY_S} s busy\n`);
console.log('| what | value | unit | vs | target |');
console.log('|---|---:|---|---|---|');
for (const r of rows) {
  const base = r.vs ? byName.get(r.vs) : undefined;
  console.log(
    `| ${r.what} | ${r.value < 10 ? r.value.toFixed(1) : r.value.toFixed(0)} | ${r.unit} | ${base ? `${(r.value / base.value).toFixed(2)}x` : ''} | ${r.target ?? ''} |`,
  );
}
