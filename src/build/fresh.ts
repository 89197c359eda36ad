// Development convenience: when a TypeScript source is newer than the last bundle, rebuild it
// (npm run bundle: esbuild, about a second) and run the same command again, so an edited checkout
// never runs stale code. An installed copy (no esbuild) or an up-to-date bundle costs one
// directory walk (~1 ms).
import { readdirSync, statSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { toolkitRoot as root } from '../util/paths.js';

const stamp = join(root, 'dist', '.built');
const esbuild = join(root, 'node_modules', '.bin', 'esbuild');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (/\.m?ts$/.test(entry.name)) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  if (!existsSync(esbuild) || process.env.ORCH_NO_REBUILD) return false;
  const built = existsSync(stamp) ? statSync(stamp).mtimeMs : 0;
  const sources = Math.max(
    newestSource(join(root, 'src')),
    newestSource(join(root, 'scripts')),
    statSync(join(root, 'start.mts')).mtimeMs,
  );
  return sources > built;
}

if (isStale()) {
  const build = spawnSync('npm', ['run', '--silent', 'bundle'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (build.status !== 0) process.exit(build.status ?? 1);
  const again = spawnSync(process.execPath, process.argv.slice(1), {
    stdio: 'inherit',
    env: { ...process.env, ORCH_NO_REBUILD: '1' },
  });
  process.exit(again.status ?? 1);
}
