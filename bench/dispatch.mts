// bench/dispatch: how fast work reaches agents. Real claude agents in a private tmux server against
// an instant API stand-in, measured in one run next to same-run baselines:
//   - dispatch -> the agent's UserPromptSubmit hook (target: median < 200 ms)
//   - `status --json` cold start vs `node -e 0` (target: < 150 ms)
//   - 100 tasks over 3 workers, then 21 for one worker alone: tasks per second and our overhead per
//     task beyond Claude's own turn (target: < 150 ms)
//   - a headless agent: per-task overhead of its long-lived claude vs a `claude -p --resume` per
//     task (target: < 50 ms), see bench/headless.mts
// Run: npm run bench:dispatch [-- --n 20 --tasks 100 --headless-tasks 20 --only headless]
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
import { startStandin } from '../src/standin/server.js';
import { orchestrateBin, toolkitRoot } from '../src/util/paths.js';
import { claudeHome } from './claude-home.mjs';
import { timeMedian, table, median } from './measure.mjs';
import { benchHeadless } from './headless.mjs';
import type { StoreData, TaskRecord } from '../src/store/types.js';
import { dispatchTask, taskPage } from '../src/tasks/client.js';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '20' },
    tasks: { type: 'string', default: '100' },
    'headless-tasks': { type: 'string', default: '20' },
    // --only headless: just the headless rows (no tmux session).
    only: { type: 'string' },
  },
});
const N = Number(values.n);
const TASKS = Number(values.tasks);
const HEADLESS_TASKS = Number(values['headless-tasks']);
/** Tasks queued for one worker alone. */
const ALONE = 21;
const orchestrate = orchestrateBin;
const start = join(toolkitRoot, 'dist', 'bin', 'start.mjs');
const claude = join(toolkitRoot, 'node_modules', '.bin', 'claude');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const standin = await startStandin({});
const root = mkdtempSync(join(tmpdir(), 'orch-bench-dispatch-'));
const project = join(root, 'project');
mkdirSync(project);
const state = join(root, 'state');
const { home, env } = claudeHome(standin.url, [project]);
const fullEnv = { ...process.env, ...env, CLAUDE_BIN: claude, ORCH_NO_REBUILD: '1' };
const socket = `orch-bench-${process.pid}`;
const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
// Every task, the archived ones too (finished tasks beyond the live window leave store.json).
const everyTask = (): TaskRecord[] => taskPage(store(), state, 1, 1_000_000).tasks.sort((a, b) => a.seq - b.seq);
// Async, so that the stand-in in this process keeps answering while a command runs.
const orch = async (...args: string[]): Promise<string> =>
  (await execFileAsync(process.execPath, [orchestrate, ...args, '--state', state], { env: fullEnv })).stdout;

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = fn();
      if (v) return v;
    } catch {
      /* store mid-write */
    }
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(25);
  }
}

/** The tmux rows: a session of 4 real agents, dispatch latency, status cold start, 100 tasks. */
async function sessionRows(): Promise<void> {
  await execFileAsync(process.execPath, [start, '--socket', socket, '--state', state, '--no-attach'], {
    cwd: project,
    env: fullEnv,
  });
  await until('4 agents idle', () => Object.values(store().agents).every((a) => a.status === 'idle'));

  // 1. dispatch -> UserPromptSubmit, one at a time to an idle agent.
  const latencies: number[] = [];
  for (let i = 0; i <= N; i++) {
    const t0 = Date.now();
    const id = (await orch('dispatch', 'worker-1', `latency probe ${i}`)).trim();
    const task = await until('task done', () => {
      const t = store().tasks?.[id] ?? everyTask().find((x) => x.id === id);
      return t?.state === 'done' && t;
    });
    if (i > 0) latencies.push(Date.parse(task.started_at!) - t0);
  }

  // 2. status --json cold start vs node -e 0.
  const node0 = timeMedian(N, () => {
    spawnSync(process.execPath, ['-e', '0']);
  });
  const status = timeMedian(N, () => {
    execFileSync(process.execPath, [orchestrate, 'status', '--json', '--state', state], { env: fullEnv });
  });

  // 3. 100 tasks over 3 workers, given all at once.
  const before = everyTask().length;
  const t0 = Date.now();
  // Given through the submitter's own function (what `orchestrate dispatch`, the lead's MCP tool
  // and the dashboard call), in this process: a hundred CLI start-ups meanwhile would load the
  // machine whose per-task overhead is measured (the CLI's start is the status row above).
  for (let i = 0; i < TASKS; i++)
    dispatchTask(state, `throughput ${i}`, { agent: `worker-${(i % 3) + 1}` }, { by: 'bench' });
  const submitted = Date.now();
  const tasks = await allDone(before, TASKS);
  const wall = (Date.now() - t0) / 1000;
  const turns = tasks.map((t) => Date.parse(t.ended_at!) - Date.parse(t.started_at!));
  const busy = overhead(tasks);
  // 4. The same, one agent alone (the other claudes idle): our overhead without three claudes
  // sharing two cores.
  const beforeAlone = everyTask().length;
  for (let i = 0; i < ALONE; i++) dispatchTask(state, `alone ${i}`, { agent: 'worker-1' }, { by: 'bench' });
  const alone = overhead(await allDone(beforeAlone, ALONE));

  console.log(
    `bench/dispatch: real claude ${execFileSync(claude, ['--version'], { env: fullEnv }).toString().trim()}, 4 agents, instant stand-in, ${N} runs per median\n`,
  );
  table([
    { what: 'node -e 0', ms: node0 },
    { what: 'status --json (cold)', ms: status, vs: 'node -e 0', target: '< 150 ms' },
    { what: 'dispatch -> UserPromptSubmit', ms: median(latencies), target: '< 200 ms' },
  ]);
  console.log(
    `\n${TASKS} tasks over 3 workers: ${wall.toFixed(1)} s (${(TASKS / wall).toFixed(2)} tasks/s; the ${TASKS} dispatches took ${((submitted - t0) / 1000).toFixed(1)} s)`,
  );
  console.log(`claude's own turn (UserPromptSubmit -> Stop), median: ${median(turns).toFixed(0)} ms`);
  for (const [what, o] of [
    ['3 workers at once', busy],
    [`one worker alone, ${ALONE} tasks`, alone],
  ] as const) {
    console.log(
      `our overhead per task, ${what} (an agent's Stop -> its next queued task's UserPromptSubmit), median of ${o.gaps.length}: ${o.gaps.length ? median(o.gaps).toFixed(0) : 'n/a'} ms (target < 150)`,
    );
    if (o.gaps.length)
      console.log(
        `  of which: Stop hook -> recorder sends the next prompt ${median(o.toDelivery).toFixed(0)} ms; sent -> Claude's UserPromptSubmit (tmux paste, Claude shows it, Enter, Claude) ${median(o.toSubmit).toFixed(0)} ms`,
      );
  }
}

/** Waits until `count` tasks after the first `before` are all finished, and fails the bench unless all are done. */
async function allDone(before: number, count: number): Promise<TaskRecord[]> {
  const tasks = await until(
    'all tasks done',
    () => {
      const all = everyTask();
      const open = all.filter((t) => !['done', 'failed', 'cancelled', 'interrupted'].includes(t.state));
      return all.length === before + count && open.length === 0 && all.slice(before);
    },
    600_000,
  );
  const failed = tasks.filter((t) => t.state !== 'done');
  if (failed.length)
    throw new Error(
      `${failed.length} of ${count} tasks did not finish well: ${failed
        .slice(0, 3)
        .map((t) => `${t.id} ${t.state}: ${t.error}`)
        .join('; ')}`,
    );
  return tasks;
}

/**
 * Our overhead: on each agent, the gap from a task's end to the start of its next task that was
 * already waiting (recording Stop, choosing the next, pasting it, Claude taking it in).
 */
function overhead(tasks: TaskRecord[]): { gaps: number[]; toDelivery: number[]; toSubmit: number[] } {
  const gaps: number[] = [];
  const toDelivery: number[] = [];
  const toSubmit: number[] = [];
  for (const agent of new Set(tasks.map((t) => t.agent))) {
    const mine = tasks
      .filter((t) => t.agent === agent)
      .sort((a, b) => Date.parse(a.started_at!) - Date.parse(b.started_at!));
    for (let i = 1; i < mine.length; i++) {
      if (Date.parse(mine[i]!.created_at) >= Date.parse(mine[i - 1]!.ended_at!)) continue;
      gaps.push(Date.parse(mine[i]!.started_at!) - Date.parse(mine[i - 1]!.ended_at!));
      toDelivery.push(Date.parse(mine[i]!.delivered_at!) - Date.parse(mine[i - 1]!.ended_at!));
      toSubmit.push(Date.parse(mine[i]!.started_at!) - Date.parse(mine[i]!.delivered_at!));
    }
  }
  return { gaps, toDelivery, toSubmit };
}

/** The headless rows: the long-lived claude next to a claude per task, in this run. */
async function headlessRows(): Promise<void> {
  const { longLived, perTask } = await benchHeadless({ root, claude, env: fullEnv, n: N, batch: HEADLESS_TASKS });
  console.log(
    `\nheadless agent, ${N} idle tasks and ${HEADLESS_TASKS} back to back per way (hook timestamps; claude processes started: long-lived ${longLived.processes}, per task ${perTask.processes}):`,
  );
  table([
    { what: 'per task: claude -p --resume, prompt -> UserPromptSubmit', ms: perTask.idle },
    {
      what: 'long-lived: prompt file -> UserPromptSubmit',
      ms: longLived.idle,
      vs: 'per task: claude -p --resume, prompt -> UserPromptSubmit',
    },
    { what: 'per task: Stop -> next UserPromptSubmit', ms: perTask.gap },
    {
      what: 'long-lived: Stop -> next UserPromptSubmit',
      ms: longLived.gap,
      vs: 'per task: Stop -> next UserPromptSubmit',
      target: '< 50 ms',
    },
    { what: "per task: claude's turn (UserPromptSubmit -> Stop)", ms: perTask.turn },
    {
      what: "long-lived: claude's turn (UserPromptSubmit -> Stop)",
      ms: longLived.turn,
      vs: "per task: claude's turn (UserPromptSubmit -> Stop)",
    },
  ]);
  console.log(
    `per-task overhead (Stop -> next UserPromptSubmit): ${perTask.gap.toFixed(0)} ms with a claude per task, ${longLived.gap.toFixed(0)} ms with the long-lived claude (${(perTask.gap / Math.max(1, longLived.gap)).toFixed(0)}x less; target < 50 ms)`,
  );
}

try {
  if (values.only === 'headless') {
    console.log(
      `bench/dispatch (headless only): real claude ${execFileSync(claude, ['--version'], { env: fullEnv }).toString().trim()}, instant stand-in`,
    );
    await headlessRows();
  } else {
    await sessionRows();
    // 4. A headless agent (no tmux: the runner and claude, with the same stand-in).
    await headlessRows();
  }
} finally {
  spawnSync('tmux', ['-L', socket, 'kill-server']);
  await standin.close();
  rmSync(join('/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
  await sleep(500);
  rmSync(root, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
}
