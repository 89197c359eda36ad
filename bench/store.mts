// bench/store: what a session's history costs each event. The real recorder (`orchestrate record`)
// on 4 fake agents (sleep panes on a private tmux server) whose session already holds 0, 10,000
// or 100,000 finished tasks (2 KB answer each), seeded as the recorder leaves them: every task
// whole in the archive, the live window (the newest 50, with the start of their answers, and 100
// events) in store.json. Per history size: a hook line appended -> recorded in
// store.json, and `status --json`. The 0 row is the baseline; target: 100,000 within 1.5x of it.
// A last row keeps 10,000 tasks in store.json (ORCH_KEEP_FINISHED past it: only their long texts
// clipped), to show what the window saves.
// Run: npm run bench:store [-- ROUNDS]   (default 20)
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, openSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { median, timeMedian } from './measure.mjs';
import { fakeSession, whenStore } from './fake-session.mjs';
import { Store } from '../src/store/store.js';
import { storeFile } from '../src/store/paths.js';
import { appendToArchive } from '../src/store/archive.js';
import { LIVE_TEXT, retentionFromEnv } from '../src/store/retention.js';
import { orchestrateBin } from '../src/util/paths.js';
import { Server } from '../src/tmux/objects.js';
import { emptyStore, type TaskRecord } from '../src/store/types.js';
import { killServerAndWait } from '../test/helpers/tmux.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rounds = Number(process.argv[2] ?? 20);
const orchestrateScript = join(root, 'scripts', 'orchestrate.mts');
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orch-bench-store-')));
const keep = retentionFromEnv({});
const LIVE = keep.tasks;
const ANSWER = 'All done. '.repeat(205).slice(0, 2048);

interface Row {
  what: string;
  ms: number;
  vs?: string;
  target?: string;
  note?: string;
}
const rows: Row[] = [];
const children: ChildProcess[] = [];
const servers: Server[] = [];

function finishedTask(seq: number, agent: string): TaskRecord {
  const at = new Date(Date.now() - 86_400_000 + seq).toISOString();
  return {
    id: `t-hist-${String(seq).padStart(7, '0')}`,
    seq,
    target: { agent },
    agent,
    prompt: `Fix the flaky test number ${seq} in src/module-${seq % 97}.ts and say what was wrong`,
    state: 'done',
    created_at: at,
    delivered_at: at,
    started_at: at,
    ended_at: at,
    result: ANSWER,
    error: null,
    attempts: 1,
    cost_usd: 0.0123,
    by: 'lead',
  };
}

/**
 * Seeds a history of n finished tasks as the recorder leaves it: all of them whole in the archive,
 * the newest `live` also in store.json with the start of their answers only.
 */
async function seedHistory(stateDir: string, agents: string[], n: number, live: number): Promise<void> {
  const counters = emptyStore();
  const kept = Math.min(n, live);
  for (let from = 1; from <= n && live < n; from += 5000) {
    const batch = Array.from({ length: Math.min(5000, n - from + 1) }, (_, i) => ({
      ...finishedTask(from + i, agents[(from + i) % agents.length]!),
      archived: true,
    }));
    appendToArchive(counters, stateDir, 'tasks', batch as unknown as Record<string, unknown>[]);
  }
  if (counters.archive?.tasks) Object.assign(counters.archive.tasks, { count: n - kept, by_state: { done: n - kept } });
  const liveCopy = (t: TaskRecord): TaskRecord =>
    live < n ? { ...t, archived: true, clipped: true, result: `${t.result!.slice(0, LIVE_TEXT)}…` } : t;
  const store = await Store.open(stateDir);
  await store.mutate((data) => {
    data.tasks = Object.fromEntries(
      Array.from({ length: kept }, (_, i) =>
        liveCopy(finishedTask(n - kept + i + 1, agents[(n - kept + i + 1) % agents.length]!)),
      ).map((t) => [t.id, t]),
    );
    data.task_seq = n + 1;
    // A history's events fill their window too.
    data.events = Array.from({ length: n ? keep.events : 0 }, (_, i) => ({
      at: new Date(Date.now() - 1000 + i).toISOString(),
      agent: agents[i % agents.length]!,
      event: i % 2 ? 'Stop' : 'UserPromptSubmit',
      status: i % 2 ? ('idle' as const) : ('busy' as const),
    }));
    if (counters.archive) data.archive = counters.archive;
  });
}

async function measure(label: string, n: number, live: number): Promise<void> {
  const server = new Server(`bench_store_${process.pid}_${n}_${live}`);
  servers.push(server);
  const stateDir = join(dir, `state-${n}-${live}`);
  mkdirSync(stateDir);
  const fake = await fakeSession(server, stateDir, 4);
  await seedHistory(stateDir, fake.agents, n, live);
  const env = { ...process.env, ORCH_NO_REBUILD: '1', ORCH_KEEP_FINISHED: String(live) };
  const log = openSync(join(dir, `recorder-${n}-${live}.log`), 'a');
  const rec = spawn(process.execPath, [orchestrateBin, 'record', '--state', stateDir], {
    env,
    stdio: ['ignore', log, log],
  });
  children.push(rec);
  const line = (name: string, event: Record<string, unknown>): void =>
    appendFileSync(
      fake.statusFile(name),
      `${JSON.stringify({ at: Date.now(), event: { session_id: 's', cwd: stateDir, ...event } })}\n`,
    );
  for (const name of fake.agents)
    line(name, { hook_event_name: 'SessionStart', source: 'startup', model: 'claude-sonnet-4-5' });
  await whenStore(stateDir, (d) => Object.values(d.agents).every((a) => a.status === 'idle'), 120_000);
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const name = fake.agents[i % fake.agents.length]!;
    const prompt = `bench ${n} ${i}`;
    const t0 = performance.now();
    const seen = whenStore(stateDir, (d) => d.agents[name]?.task === prompt, 60_000);
    line(name, { hook_event_name: 'UserPromptSubmit', prompt });
    times.push((await seen) - t0);
    line(name, { hook_event_name: 'Stop', last_assistant_message: 'ok' });
    await sleep(20);
  }
  const base = rows.find((r) => r.what.startsWith('hook line'))?.what;
  const size = `store.json ${Math.round(statSync(storeFile(stateDir)).size / 1024)} KB`;
  rows.push({
    what: `hook line -> store.json, ${label}`,
    ms: median(times),
    ...(base ? { vs: base, target: '<= 1.5x' } : {}),
    note: size,
  });
  const status = (): void => {
    execFileSync(orchestrateScript, ['status', '--json', '--state', stateDir], {
      env,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  };
  const statusBase = rows.find((r) => r.what.startsWith('`status'))?.what;
  rows.push({
    what: `\`status --json\`, ${label}`,
    ms: timeMedian(Math.ceil(rounds / 2), status),
    ...(statusBase ? { vs: statusBase, target: '<= 1.5x' } : {}),
  });
  rec.kill('SIGTERM');
  await new Promise((r) => rec.once('exit', r));
  await killServerAndWait(server);
  servers.splice(servers.indexOf(server), 1);
  rmSync(stateDir, { recursive: true, force: true });
}

try {
  await measure('0 finished tasks', 0, LIVE);
  await measure('10,000 finished tasks', 10_000, LIVE);
  await measure('100,000 finished tasks', 100_000, LIVE);
  await measure('10,000 finished tasks kept live (ORCH_KEEP_FINISHED=1000000)', 10_000, 1_000_000);
  const byName = new Map(rows.map((r) => [r.what, r.ms]));
  console.log(
    `bench/store: ${rounds} rounds, 4 agents, 2 KB answers (medians; ratios against the 0-task rows of this run)\n`,
  );
  console.log('| what | median ms | vs | target | |');
  console.log('|---|---:|---|---|---|');
  for (const r of rows) {
    const b = r.vs ? byName.get(r.vs) : undefined;
    console.log(
      `| ${r.what} | ${r.ms.toFixed(1)} | ${b ? `${(r.ms / b).toFixed(2)}x` : ''} | ${r.target ?? ''} | ${r.note ?? ''} |`,
    );
  }
} finally {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) await killServerAndWait(s).catch(() => {});
  rmSync(dir, { recursive: true, force: true });
}
