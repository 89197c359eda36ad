// Benchmark helpers: run a command N times, report medians, compare with a baseline from the
// same run (the machine is shared and noisy, so only same-run ratios mean much).
import { execFileSync, spawnSync } from 'node:child_process';

/** Wall time in ms of fn, median of n runs after one warm-up; setup/teardown are not timed. */
export function timeMedian(n: number, fn: () => void, setup?: () => void, teardown?: () => void): number {
  const times: number[] = [];
  for (let i = 0; i <= n; i++) {
    setup?.();
    const t0 = process.hrtime.bigint();
    fn();
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    teardown?.();
    if (i > 0) times.push(ms);
  }
  return median(times);
}

/** The median of some numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs a command and fails loudly when it fails. */
export function sh(file: string, args: string[], env?: NodeJS.ProcessEnv, cwd?: string): string {
  return execFileSync(file, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** True when an executable is on PATH. */
export function have(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** Prints a Markdown table: what, median ms, ratio to the baseline row. */
export function table(rows: { what: string; ms: number | undefined; vs?: string; target?: string }[]): void {
  const byName = new Map(rows.map((r) => [r.what, r.ms]));
  console.log('| what | median ms | vs | target |');
  console.log('|---|---:|---|---|');
  for (const r of rows) {
    const base = r.vs ? byName.get(r.vs) : undefined;
    const ratio = r.ms !== undefined && base ? `${(r.ms / base).toFixed(2)}x ${r.vs}` : '';
    console.log(`| ${r.what} | ${r.ms === undefined ? 'not installed' : r.ms.toFixed(0)} | ${ratio} | ${r.target ?? ''} |`);
  }
}
