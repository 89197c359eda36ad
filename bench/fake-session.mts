// A session as ./start.mts records it (store, agent directories, status files) whose agent panes
// are plain `sleep` panes on a private tmux server, so the recorder can be measured without claude.
import { mkdirSync, readFileSync, statSync, writeFileSync, watch } from 'node:fs';
import { join } from 'node:path';
import type { Server } from '../src/tmux/objects.js';
import { Store } from '../src/store/store.js';
import { agentDir, statusFile, storeFile } from '../src/store/paths.js';
import type { AgentRecord, StoreData } from '../src/store/types.js';

export interface FakeSession {
  server: Server;
  stateDir: string;
  agents: string[];
  statusFile(name: string): string;
}

/** Builds `agents` sleep panes (4 per window) on server and a store that names them. */
export async function fakeSession(server: Server, stateDir: string, agents: number): Promise<FakeSession> {
  const windows = Math.ceil(agents / 4);
  const cmds: string[][] = [];
  for (let w = 0; w < windows; w++) {
    cmds.push(
      w === 0
        ? ['new-session', '-d', '-s', 'bench', '-x', '200', '-y', '60', 'sleep 100000']
        : ['new-window', '-t', 'bench:', 'sleep 100000'],
    );
    for (let p = 1; p < Math.min(4, agents - w * 4); p++)
      cmds.push(['split-window', 'sleep 100000'], ['select-layout', 'tiled']);
  }
  await server.cmd(...cmds);
  const panes = (await server.panes()).slice(0, agents);
  const now = new Date().toISOString();
  const names = panes.map((_, i) => `agent-${i + 1}`);
  const records: AgentRecord[] = panes.map((p, i) => {
    mkdirSync(agentDir(stateDir, names[i]!), { recursive: true });
    writeFileSync(statusFile(stateDir, names[i]!), '');
    return {
      name: names[i]!,
      role: 'worker',
      mode: 'interactive',
      pane: p.pane_id,
      window: p.window_id,
      cwd: stateDir,
      session_id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      launch_script: join(agentDir(stateDir, names[i]!), 'launch.sh'),
      status: 'starting',
      reason: null,
      task: null,
      last_result: null,
      cost_usd: 0,
      updated_at: now,
    };
  });
  const store = await Store.open(stateDir);
  await store.recordSession(
    {
      name: 'bench',
      socket: server.socket ?? null,
      tmux_id: panes[0]!.session_id,
      layout_file: join(stateDir, 'layout.yaml'),
      root: stateDir,
      state_dir: stateDir,
      created_at: now,
      ended_at: null,
      windows: [...new Set(panes.map((p) => p.window_id))].map((id) => ({
        id,
        name: id,
        panes: panes
          .filter((p) => p.window_id === id)
          .map((p) => ({ id: p.pane_id, title: '', agent: names[panes.indexOf(p)]! })),
      })),
    },
    records,
  );
  return { server, stateDir, agents: names, statusFile: (name) => statusFile(stateDir, name) };
}

/** The store as readers see it (undefined while it is being replaced). */
export function readStoreData(stateDir: string): StoreData | undefined {
  try {
    return JSON.parse(readFileSync(storeFile(stateDir), 'utf8')) as StoreData;
  } catch {
    return undefined;
  }
}

/**
 * Resolves with the time (ms, hrtime) at which check(store) first holds. Woken by every change of
 * the state directory, with a 2 ms poll as a safety net.
 */
export function whenStore(stateDir: string, check: (data: StoreData) => boolean, timeoutMs = 10_000): Promise<number> {
  return new Promise((resolve, reject) => {
    // Parsed again only when the file was replaced (the recorder writes by rename): a bench reader
    // that parsed at every poll would take the CPU it measures.
    let seen = '';
    const look = (): void => {
      let stamp = '';
      try {
        const s = statSync(storeFile(stateDir));
        stamp = `${s.ino}:${s.mtimeMs}:${s.size}`;
      } catch {
        return;
      }
      if (stamp === seen) return;
      seen = stamp;
      const data = readStoreData(stateDir);
      if (data && check(data)) {
        done();
        resolve(performance.now());
      }
    };
    const watcher = watch(stateDir, look);
    const poll = setInterval(look, 2);
    const timer = setTimeout(() => {
      done();
      reject(new Error(`store condition not met within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      watcher.close();
      clearInterval(poll);
      clearTimeout(timer);
    };
    look();
  });
}
