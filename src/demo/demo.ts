// ./start.mts --demo: the whole system with nothing but `npm ci`. Real claude agents, pointed at
// the toolkit's own API stand-in (a pane of the demo session, so it ends with it) through a
// throwaway HOME that has been through Claude's first-run dialogs, run workflows/demo.yaml and
// really write files into a fresh demo project. The user's ~/.claude is never touched.
import { createServer } from 'node:net';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { start } from '../session/start.js';
import { stateRoot, toolkitRoot } from '../util/paths.js';
import { readStore } from '../store/state-dir.js';
import { waitForStore } from '../tasks/client.js';
import { newId, submit } from '../inbox/inbox.js';
import { loadWorkflow } from '../workflow/load.js';
import { runSummary } from '../workflow/summary.js';
import { OrchestratorError } from '../core/errors.js';
import { ConfigError } from '../config/source.js';
import { quoteArgv } from '../util/shell-quote.js';
import { standinClaudeEnv, writeClaudeHome } from '../standin/claude-home.js';

/** Not a real key: the stand-in accepts anything; Claude only checks it was approved once. */
const DEMO_KEY = 'sk-ant-api03-orchestrator-demo-000000000000000000000000000000-DEMOKEY';

export interface DemoOptions {
  socket?: string;
  attach: 'auto' | 'never';
  out: (line: string) => void;
  timeoutMs?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const y = (s: string): string => JSON.stringify(s);

function demoLayout(project: string, home: string, port: number, apiLog: string): string {
  // Retries: one, so that a busy machine's hiccup does not fail the demo.
  const env = { ...standinClaudeEnv(home, `http://127.0.0.1:${port}`, DEMO_KEY, 1), API_TIMEOUT_MS: '30000' };
  const standin = quoteArgv([
    process.execPath,
    join(toolkitRoot, 'dist', 'src', 'standin', 'main.js'),
    '--port',
    String(port),
    '--log',
    apiLog,
  ]);
  return [
    "# Written by ./start.mts --demo: real claude agents against the toolkit's API stand-in.",
    'session: orchestrator-demo',
    `root: ${y(project)}`,
    'env:',
    ...Object.entries(env).map(([k, v]) => `  ${k}: ${y(v)}`),
    'windows:',
    '  - name: agents',
    '    layout: tiled',
    '    focus: true',
    '    panes:',
    '      - agent: lead',
    '        role: lead',
    '        focus: true',
    ...['worker-1', 'worker-2', 'worker-3'].flatMap((w) => [
      `      - agent: ${w}`,
      '        role: worker',
      '        permission_mode: acceptEdits',
    ]),
    '  - name: api',
    '    panes:',
    `      - command: ${y(standin)}`,
    '',
  ].join('\n');
}

/** Runs the demo; returns the exit code. */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out;
  // ORCH_DEMO_DIR moves it (tests do, so they never touch a user's demo).
  const dir = process.env.ORCH_DEMO_DIR ? resolve(process.env.ORCH_DEMO_DIR) : join(stateRoot, 'demo');
  const project = join(dir, 'project');
  const home = join(dir, 'home');
  // The session's state where every command looks by default (state/<session>/).
  const stateDir = process.env.ORCH_DEMO_DIR ? join(dir, 'state') : join(stateRoot, 'orchestrator-demo');
  // A fresh project and state each time; the demo session replaces an earlier one.
  for (const d of [project, stateDir]) rmSync(d, { recursive: true, force: true });
  mkdirSync(project, { recursive: true });
  mkdirSync(home, { recursive: true });
  writeClaudeHome(home, { apiKey: DEMO_KEY, trusted: [project] });
  const port = await freePort();
  const layoutFile = join(dir, 'layout.yaml');
  writeFileSync(layoutFile, demoLayout(project, home, port, join(dir, 'api.log')));
  out(
    `Demo: 4 real claude agents against the built-in API stand-in on 127.0.0.1:${port} (no API key, nothing leaves this machine).`,
  );

  const code = await start({
    layoutFile,
    socket: opts.socket,
    stateDir,
    attach: 'never',
    dryRun: false,
    restart: true,
    cwd: project,
    out,
  });
  if (code !== 0) return code;

  const limit = opts.timeoutMs ?? 120_000;
  const t0 = Date.now();
  const ready = await waitForStore(
    stateDir,
    (d) => (Object.values(d.agents).every((a) => a.status === 'idle') ? true : undefined),
    limit,
  );
  if (!ready) {
    const agents = Object.values(readStore(stateDir).agents)
      .map((a) => `${a.name} ${a.status}${a.reason ? ` (${a.reason})` : ''}`)
      .join('; ');
    throw new OrchestratorError(`the demo agents did not all become idle within ${limit / 1000} s: ${agents}`);
  }
  out(
    `All 4 agents idle after ${((Date.now() - t0) / 1000).toFixed(1)} s. Running workflows/demo.yaml: plan -> module + test (in parallel) -> review.`,
  );

  const data = readStore(stateDir);
  const { workflow, problems } = loadWorkflow(
    join(toolkitRoot, 'workflows', 'demo.yaml'),
    Object.values(data.agents).map((a) => ({ name: a.name, role: a.role, worktree: Boolean(a.worktree) })),
  );
  if (!workflow) throw new ConfigError(problems, 'workflow');
  const id = newId('r');
  submit(stateDir, { kind: 'run', id, at: new Date().toISOString(), workflow });
  const seen = new Map<string, string>();
  const run = await waitForStore(
    stateDir,
    (d) => {
      const r = d.runs?.[id];
      for (const task of Object.values(r?.tasks ?? {})) {
        if (seen.get(task.name) === task.state) continue;
        seen.set(task.name, task.state);
        if (task.state !== 'waiting')
          out(`  ${task.name.padEnd(7)} ${task.state}${task.agent ? ` on ${task.agent}` : ''}`);
      }
      return r && r.state !== 'running' ? r : undefined;
    },
    limit,
  );
  if (!run)
    throw new OrchestratorError(
      `the demo workflow did not finish within ${limit / 1000} s (orchestrate runs --state ${stateDir})`,
    );
  out(runSummary(run));
  out("(Costs are what the stand-in's token counts would cost; nothing is billed.)");
  for (const file of existsSync(project) ? readdirSync(project).sort() : []) {
    out(`--- ${join(project, file)}`);
    out(readFileSync(join(project, file), 'utf8').trimEnd());
  }
  const orchestrate = join(toolkitRoot, 'scripts', 'orchestrate.mts');
  out(`Whole demo: ${((Date.now() - t0) / 1000).toFixed(1)} s after start. Look around:`);
  out(`  ${quoteArgv([orchestrate, 'status', '--state', stateDir])}`);
  out(`  ${quoteArgv([orchestrate, 'dispatch', '--state', stateDir, 'worker-1', '[[write hi.txt hello]] say hi'])}`);
  out(`  ${quoteArgv(['tmux', ...(opts.socket ? ['-L', opts.socket] : []), 'attach', '-t', 'orchestrator-demo'])}`);
  out(`End it: ${quoteArgv([orchestrate, 'session', 'end', '--state', stateDir])}`);
  return run.state === 'done' ? 0 : 1;
}
