// A dashboard for tests: a store fixture written as the recorder writes it, and a server on it.
import type { TestContext } from 'node:test';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { onCleanup, tempDir } from './tmux.js';
import { startDashboard, type Dashboard } from '../../src/dashboard/server.js';
import { emptyStore, type AgentRecord, type StoreData } from '../../src/store/types.js';

export const SECRET_KEY = 'sk-ant-api03-dashboard-test-secret-0123456789';

/** An agent record with defaults. */
export function agent(name: string, over: Partial<AgentRecord> = {}): AgentRecord {
  return {
    name,
    role: 'worker',
    mode: 'interactive',
    pane: '%99',
    window: '@1',
    cwd: '/tmp',
    session_id: '11111111-2222-3333-4444-555555555555',
    launch_script: '/secret/launch.sh',
    status: 'idle',
    reason: null,
    task: null,
    last_result: null,
    cost_usd: 0.01,
    updated_at: new Date().toISOString(),
    ...over,
  };
}

/** A store of a running session with two agents. */
export function fixtureStore(
  over: Partial<StoreData> = {},
  agents: AgentRecord[] = [agent('lead', { role: 'lead' }), agent('worker-1')],
): StoreData {
  return {
    ...emptyStore(),
    session: {
      name: 'demo',
      socket: 'nope_socket',
      tmux_id: '$1',
      layout_file: '/l.yaml',
      root: '/tmp',
      state_dir: '/tmp/s',
      created_at: new Date().toISOString(),
      ended_at: null,
      windows: [],
    },
    agents: Object.fromEntries(agents.map((a) => [a.name, a])),
    ...over,
  };
}

/** Writes the store as the recorder does: a temp file renamed over store.json. */
export function writeStore(dir: string, data: StoreData): void {
  writeFileSync(join(dir, '.store.json.tmp'), JSON.stringify(data));
  renameSync(join(dir, '.store.json.tmp'), join(dir, 'store.json'));
}

/** A dashboard (port 0) on a temp state directory holding data; closed when the test ends. */
export async function dashboard(
  t: TestContext,
  opts: { token?: string; host?: string; data?: StoreData; prepare?: (state: string) => void } = {},
): Promise<{ d: Dashboard; state: string }> {
  const state = tempDir(t);
  writeStore(state, opts.data ?? fixtureStore());
  opts.prepare?.(state);
  const d = await startDashboard({
    stateDir: state,
    host: opts.host ?? '127.0.0.1',
    port: 0,
    paneIntervalMs: 100,
    ...(opts.token ? { token: opts.token } : {}),
  });
  onCleanup(t, () => d.close());
  return { d, state };
}
