// n real claudes launched at once in plain tmux windows (no orchestrator), each with a SessionStart
// hook only: what n claudes cost by themselves, the baseline of every start-up row.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeAgentSettings, writeHookScript } from '../src/agents/hooks.js';
import { agentDir } from '../src/store/paths.js';
import { Server } from '../src/tmux/objects.js';
import { killServerAndWait } from '../test/helpers/tmux.js';

/** Launches n claudes (in windows of 4 panes) and returns the ms until every one ran its SessionStart hook. */
export async function plainClaudes(opts: {
  n: number;
  dir: string;
  project: string;
  claudeBin: string;
  env: Record<string, string>;
  socket: string;
}): Promise<number> {
  const { n, dir, project, claudeBin, env } = opts;
  const server = new Server(opts.socket);
  await server.cmd(['new-session', '-d', '-s', 'raw', '-x', '240', '-y', '64', 'sleep 100000']);
  try {
    const hook = writeHookScript(dir);
    const names = Array.from({ length: n }, (_, i) => `a${i}`);
    for (const a of names) mkdirSync(agentDir(dir, a), { recursive: true });
    const settings = names.map((a) => writeAgentSettings(dir, a, hook));
    const envFlags = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const t0 = performance.now();
    // One client call per window: tmux refuses a call longer than its message size (16 KB).
    for (let w = 0; w < n; w += 4) {
      await server.cmd(
        ...settings
          .slice(w, w + 4)
          .flatMap((s, i) => [
            i === 0
              ? ['new-window', '-t', 'raw:', '-c', project, ...envFlags, claudeBin, '--settings', s]
              : ['split-window', '-c', project, ...envFlags, claudeBin, '--settings', s],
            ['select-layout', 'tiled'],
          ]),
      );
    }
    const started = (a: string): boolean => {
      try {
        return readFileSync(join(agentDir(dir, a), 'status.jsonl'), 'utf8').includes('"SessionStart"');
      } catch {
        return false;
      }
    };
    while (!names.every(started)) await sleep(10);
    return performance.now() - t0;
  } finally {
    await killServerAndWait(server);
  }
}
