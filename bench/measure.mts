// Benchmark helpers: run a command N times, report medians, compare with a baseline from the
// same run (the machine is shared and noisy, so only same-run ratios mean much).
import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Wall time in ms of one run of fn; setup/teardown are not timed. A run that throws is tried
 * again (its time not counted) up to `retries` times: for third-party tools that fail at random
 * (tmuxinator's "server exited unexpectedly" on tmux 3.3).
 */
export function timeOnce(fn: () => void, setup?: () => void, teardown?: () => void, retries = 0): number {
  for (let attempt = 0; ; attempt++) {
    setup?.();
    const t0 = process.hrtime.bigint();
    try {
      fn();
    } catch (error) {
      teardown?.();
      if (attempt < retries) continue;
      throw error;
    }
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    teardown?.();
    return ms;
  }
}

/** Wall time in ms of fn, median of n runs after one warm-up; setup/teardown are not timed. */
export function timeMedian(n: number, fn: () => void, setup?: () => void, teardown?: () => void, retries = 0): number {
  const times: number[] = [];
  for (let i = 0; i <= n; i++) {
    const ms = timeOnce(fn, setup, teardown, retries);
    if (i > 0) times.push(ms);
  }
  return median(times);
}

/** One command to time, with its untimed setup and teardown. */
export interface Case {
  what: string;
  fn: () => void;
  setup?: () => void;
  teardown?: () => void;
  retries?: number;
}

/**
 * Median wall times of several cases measured round-robin (one run of each in turn, after one
 * warm-up round), so that a machine that gets busier or quieter meanwhile shifts them all alike
 * and their ratios mean something.
 */
export function timeInterleaved(n: number, cases: readonly Case[]): Map<string, number> {
  const times = new Map(cases.map((c) => [c.what, [] as number[]]));
  for (let i = 0; i <= n; i++) {
    for (const c of cases) {
      const ms = timeOnce(c.fn, c.setup, c.teardown, c.retries);
      if (i > 0) times.get(c.what)!.push(ms);
    }
  }
  return new Map([...times].map(([what, xs]) => [what, median(xs)]));
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs a command and fails loudly when it fails. */
export function sh(file: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): string {
  return execFileSync(file, args, {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

/** True when an executable is on PATH. */
export function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Prints a Markdown table: what, median ms, ratio to each baseline row it names. */
export function table(rows: { what: string; ms: number | undefined; vs?: string | string[]; target?: string }[]): void {
  const byName = new Map(rows.map((r) => [r.what, r.ms]));
  console.log('| what | median ms | vs | target |');
  console.log('|---|---:|---|---|');
  for (const r of rows) {
    const ratios = [r.vs ?? []].flat().flatMap((vs) => {
      const base = byName.get(vs);
      return r.ms !== undefined && base ? [`${(r.ms / base).toFixed(2)}x ${vs}`] : [];
    });
    console.log(
      `| ${r.what} | ${r.ms === undefined ? 'not installed' : r.ms.toFixed(0)} | ${ratios.join('; ')} | ${r.target ?? ''} |`,
    );
  }
}
