// A private tmux server per test (-L test_<random>), killed after the test; never the user's.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Server } from '../../src/tmux/objects.js';

/** A fresh private server name; the server is killed when the test ends. */
export function privateServer(t: TestContext): Server {
  const server = new Server(`test_${randomBytes(5).toString('hex')}`);
  t.after(() => server.kill());
  return server;
}

/** A temp directory removed when the test ends. */
export function tempDir(t: TestContext, prefix = 'orch-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }));
  return dir;
}

/** Polls until check() returns a truthy value (or throws its last error after timeoutMs). */
export async function retryUntil<T>(check: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<Exclude<T, false | null | undefined | 0 | ''>> {
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
