// Helpers for end-to-end tests: start a session of real claude agents on a private tmux server
// and read its store as `status --json` reports it.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { privateServer, retryUntil, tempDir } from './tmux.js';
import { claudeBin, claudeEnv, startStandinForTest } from './claude-env.js';
import { orchestrateScript, run, startScript } from './cli.js';
import type { Server } from '../../src/tmux/objects.js';
import { promptBoxText } from '../../src/drivers/claude/prompt-box.js';
import type { Standin } from '../../src/standin/server.js';
import type { StoreData } from '../../src/store/types.js';

export interface LiveSession {
  server: Server;
  standin: Standin;
  project: string;
  state: string;
  env: Record<string, string>;
  status(): Promise<{
    session: string;
    socket: string;
    agents: {
      name: string;
      status: string;
      reason: string | null;
      pane: string;
      session_id: string;
      task: string | null;
      last_result: string | null;
      cost_usd: number;
    }[];
  }>;
  store(): StoreData;
  agent(name: string): Promise<{
    name: string;
    status: string;
    reason: string | null;
    pane: string;
    session_id: string;
    task: string | null;
    last_result: string | null;
    cost_usd: number;
  }>;
  waitFor(
    name: string,
    predicate: (a: Awaited<ReturnType<LiveSession['agent']>>) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Awaited<ReturnType<LiveSession['agent']>>>;
  type(name: string, text: string): Promise<void>;
}

/** Starts a layout (default: the shipped default layout) with real claude agents. */
export async function startLiveSession(
  t: TestContext,
  opts: { layout?: string; trust?: boolean; prepare?: (project: string) => void; env?: Record<string, string> } = {},
): Promise<LiveSession> {
  const standin = await startStandinForTest(t);
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  opts.prepare?.(project);
  const state = join(tempDir(t), 'state');
  const { env } = claudeEnv(t, { standinUrl: standin.url, trust: opts.trust === false ? [] : [project] });
  // Registered last so that it is cleaned up first: the agents stop before their directories go.
  const server = privateServer(t);
  const fullEnv = { ...env, CLAUDE_BIN: claudeBin, ...opts.env };
  const args = [
    '--socket',
    server.socket!,
    '--state',
    state,
    '--no-attach',
    ...(opts.layout ? ['--layout', opts.layout] : []),
  ];
  const started = await run(startScript, args, { cwd: project, env: fullEnv });
  assert.equal(started.exitCode, 0, started.stderr);
  const live: LiveSession = {
    server,
    standin,
    project,
    state,
    env: fullEnv,
    async status() {
      const r = await run(orchestrateScript, ['status', '--json', '--state', state], { env: fullEnv });
      assert.equal(r.exitCode, 0, r.stderr);
      return JSON.parse(r.stdout);
    },
    store: () => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData,
    async agent(name) {
      const a = (await live.status()).agents.find((x) => x.name === name);
      assert.ok(a, `agent ${name} in status`);
      return a;
    },
    async waitFor(name, predicate, what, timeoutMs = 30_000) {
      return retryUntil(
        async () => {
          const a = await live.agent(name);
          return predicate(a) && a;
        },
        timeoutMs,
        `${name} ${what}`,
      );
    },
    async type(name, text) {
      const pane = (await live.agent(name)).pane;
      await server.cmd(['send-keys', '-t', pane, '-l', text]);
      // Enter once Claude's box shows the text, as a person would (an Enter before it took the keys in is lost).
      await retryUntil(
        async () => Boolean(promptBoxText(await server.cmd(['capture-pane', '-p', '-t', pane]))),
        5000,
        `${name}'s box showing the typed text`,
      ).catch(() => {});
      await server.cmd(['send-keys', '-t', pane, 'Enter']);
    },
  };
  return live;
}

/** Writes a layout file in a temp dir. */
export function writeLayout(t: TestContext, yaml: string): string {
  const file = join(tempDir(t), 'layout.yaml');
  writeFileSync(file, yaml);
  return file;
}
