// A real headless browser for tests and benchmarks: Debian's chromium driven by playwright-core
// (no browser download), with the flags it needs as root on an offline machine and a fresh
// profile per launch.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { onCleanup } from './tmux.js';

/** Where the browser is (override with $CHROMIUM_PATH). */
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-dev-shm-usage',
];

/** Launches chromium with a fresh profile; close() also removes the profile. */
export async function launchChromium(
  viewport = { width: 1400, height: 1000 },
): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const profile = mkdtempSync(join(tmpdir(), 'orch-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** A browser closed when the test ends. */
export async function browserForTest(
  t: TestContext,
  viewport?: { width: number; height: number },
): Promise<BrowserContext> {
  const browser = await launchChromium(viewport);
  onCleanup(t, () => browser.close());
  return browser.context;
}
