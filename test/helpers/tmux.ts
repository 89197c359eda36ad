// A private tmux server per test (-L test_<random>), killed after the test; never the user's.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Server } from '../../src/tmux/objects.js';

const cleanups = new WeakMap<TestContext, (() => unknown)[]>();

/**
 * Registers a cleanup for the end of the test. Cleanups run last-registered first (a server
 * started after a directory is killed before the directory is removed), each even when an
 * earlier one failed; the first failure is reported.
 */
export function onCleanup(t: TestContext, fn: () => unknown): void {
  let list = cleanups.get(t);
  if (!list) {
    const fns: (() => unknown)[] = [];
    cleanups.set(t, fns);
    list = fns;
    t.after(async () => {
      let first: unknown;
      for (const f of fns.reverse()) {
        try {
          await f();
        } catch (error) {
          first ??= error;
        }
      }
      if (first) throw first;
    });
  }
  list.push(fn);
}

/** Every descendant of the given pids (from one ps call). */
function descendants(roots: number[]): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid='])
    .toString()
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s+/).map(Number));
  const found = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of rows)
      if (pid && ppid && found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
  }
  return [...found];
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Kills a server and waits until every process its panes started has exited (SIGKILL after 5 s). */
export async function killServerAndWait(server: Server): Promise<void> {
  const pids = descendants((await server.panes()).map((p) => Number(p.pane_pid)).filter(Boolean));
  await server.kill();
  const deadline = Date.now() + 5000;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  for (const pid of pids.filter(alive)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  // tmux 3.3 leaves the socket file behind.
  if (server.socket)
    rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, server.socket), { force: true });
}

/** A fresh private server name; the server and everything in it are killed when the test ends. */
export function privateServer(t: TestContext): Server {
  const server = new Server(`test_${randomBytes(5).toString('hex')}`);
  onCleanup(t, () => killServerAndWait(server));
  return server;
}

/** A temp directory removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'orch-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }));
  return dir;
}

/** Polls until check() returns a truthy value (or throws its last error after timeoutMs). */
export async function retryUntil<T>(
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as Exclude<T, false | null | undefined | 0 | ''>;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
