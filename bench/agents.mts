// bench/agents: what agent status costs and how fast it is, each next to a baseline from the same run.
//  (a) one hook event: the hook command as claude runs it, vs spawning /bin/true (and a Node hook);
//  (b) a hook line appended to a status file -> recorded in store.json / shown by `status --json`;
//  (c) the recorder of 16 agents: CPU over 10 s with nothing happening, and its RSS (vs an idle node);
//  (d) ./start.mts to every agent idle, 4 and 16 real claudes against the API stand-in, vs one
//      lone claude reaching its SessionStart hook.
// (b) and (c) run the real recorder (`orchestrate record`, i.e. startRecorder) on a session whose
// agent panes are `sleep` panes on a private tmux server.
// Run: npm run bench:agents [-- ROUNDS [PARTS]]   (ROUNDS of (d), default 3; PARTS e.g. "ab", default all)
import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { timeMedian, median } from './measure.mjs';
import { fakeSession, whenStore } from './fake-session.mjs';
import { claudeHome } from './claude-home.mjs';
import { hookSettings, writeAgentSettings, writeHookScript } from '../src/agents/hooks.js';
import { agentDir, agentFiles } from '../src/store/paths.js';
import { writeApprovalHook } from '../src/approvals/hook.js';
import { writeDecision } from '../src/approvals/approvals.js';
import { quoteArgv } from '../src/util/shell-quote.js';
import { Server } from '../src/tmux/objects.js';
import { startStandin } from '../src/standin/server.js';
import { killServerAndWait } from '../test/helpers/tmux.js';
import { plainClaudes } from './plain-claudes.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
/** Which measurements to run: any of a, b (b includes c), d. */
const parts = process.argv[3] ?? 'abd';
import { orchestrateBin } from '../src/util/paths.js';
const orchestrateScript = join(root, 'scripts', 'orchestrate.mts');
const claudeBin = join(root, 'node_modules', '.bin', 'claude');
const noRebuild = { ...process.env, ORCH_NO_REBUILD: '1' };
const dir = realpathSync(mkdtempSync(join(tmpdir(), 'orch-bench-agents-')));

interface Row {
  what: string;
  value: number;
  unit: string;
  vs?: string;
  target?: string;
}
const rows: Row[] = [];
const servers: Server[] = [];
const children: ChildProcess[] = [];
const homes: string[] = [];

/** (a) The hook command exactly as the settings file gives it to claude (claude runs it with sh -c). */
function hookCost(n: number): void {
  const state = join(dir, 'hook');
  const hook = writeHookScript(state);
  const status = join(state, 'status.jsonl');
  const entry = (hookSettings(hook, status).hooks as Record<string, { hooks: { command: string }[] }[]>)
    .PostToolUse![0]!.hooks[0]!.command;
  const event = JSON.stringify({
    session_id: '0862f0d3-69ac-4433-a82e-29f0e87885e1',
    transcript_path: `${dir}/.claude/projects/-p/0862f0d3.jsonl`,
    cwd: '/p',
    permission_mode: 'acceptEdits',
    hook_event_name: 'PostToolUse',
    tool_name: 'Write',
    tool_use_id: 'toolu_01ABC',
    tool_input: { file_path: '/p/src/app.ts', content: 'export const x = 1;\n'.repeat(20) },
    tool_response: {
      type: 'create',
      filePath: '/p/src/app.ts',
      content: 'export const x = 1;\n'.repeat(20),
      structuredPatch: [],
    },
  });
  const run = (file: string, args: string[]) => () => {
    const r = spawnSync(file, args, { input: event });
    if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: exit ${r.status}`);
  };
  rows.push({ what: 'spawn /bin/true (event on stdin)', value: timeMedian(n, run('/bin/true', [])), unit: 'ms' });
  const before = existsSync(status) ? readFileSync(status, 'utf8').split('\n').length : 1;
  rows.push({
    what: 'hook event: sh -c "<hook command>" (as claude runs it)',
    value: timeMedian(n, run('/bin/sh', ['-c', entry])),
    unit: 'ms',
    vs: 'spawn /bin/true (event on stdin)',
    target: '< 5',
  });
  const written = readFileSync(status, 'utf8').split('\n').length - before;
  if (written !== n + 1) throw new Error(`the hook wrote ${written} lines for ${n + 1} runs`);
  rows.push({
    what: 'a Node hook instead (node -e 0)',
    value: timeMedian(Math.min(n, 30), run(process.execPath, ['-e', '0'])),
    unit: 'ms',
    vs: 'spawn /bin/true (event on stdin)',
  });
}

/**
 * (a) The PermissionRequest hook: it records the request and waits for a decision file. Answered
 * at once (as a layout rule answers it: the decision written as soon as the request line appears),
 * next to the plain hook; and what it costs claude when nobody decides in time is the timeout.
 */
async function approvalHookCost(n: number): Promise<void> {
  const state = join(dir, 'approval');
  const decisions = agentFiles(state, 'x').approvals;
  mkdirSync(decisions, { recursive: true });
  const script = writeApprovalHook(state);
  const status = join(state, 'status.jsonl');
  writeFileSync(status, '');
  const event = JSON.stringify({
    session_id: 's',
    hook_event_name: 'PermissionRequest',
    tool_name: 'Bash',
    tool_input: { command: 'npm install', description: 'Install' },
  });
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const before = readFileSync(status, 'utf8').length;
    const start = performance.now();
    const child = spawn('/bin/sh', ['-c', quoteArgv(['/bin/sh', script, status, decisions, '30'])], {
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    child.stdin!.end(event);
    let out = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c;
    });
    const exited = new Promise<void>((r) => child.on('exit', () => r()));
    let id: string | undefined;
    while (!id) {
      const added = readFileSync(status, 'utf8').slice(before);
      id = /"request":"([^"]+)"/.exec(added)?.[1];
      if (!id) await sleep(1);
    }
    writeDecision(state, 'x', id, { behavior: 'allow', by: 'bench' });
    await exited;
    times.push(performance.now() - start);
    if (!out.includes('"behavior":"allow"')) throw new Error(`the approval hook answered ${JSON.stringify(out)}`);
  }
  rows.push({
    what: 'permission request answered at once (approval hook, decision written on its line)',
    value: median(times),
    unit: 'ms',
    vs: 'spawn /bin/true (event on stdin)',
  });
}

const statLine = (pid: number): number[] =>
  readFileSync(`/proc/${pid}/stat`, 'utf8')
    .replace(/^.*\) /, '')
    .split(' ')
    .map(Number);
/** utime+stime and cutime+cstime of a process, in ms (clock ticks are 10 ms on Linux). */
const cpuMs = (pid: number): { own: number; children: number } => {
  const f = statLine(pid);
  return { own: (f[11]! + f[12]!) * 10, children: (f[13]! + f[14]!) * 10 };
};
const rssMb = (pid: number, field = 'VmRSS'): number =>
  Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

/** (b) and (c): the real recorder on 16 fake agents. */
async function recorder(n: number): Promise<void> {
  const server = new Server(`bench_rec_${process.pid}`);
  servers.push(server);
  const stateDir = join(dir, 'rec-state');
  mkdirSync(stateDir);
  const fake = await fakeSession(server, stateDir, 16);
  const log = openSync(join(dir, 'recorder.log'), 'a');
  const rec = spawn(process.execPath, [orchestrateBin, 'record', '--state', stateDir], {
    env: noRebuild,
    stdio: ['ignore', log, log],
  });
  children.push(rec);
  const line = (name: string, event: Record<string, unknown>): void =>
    appendFileSync(
      fake.statusFile(name),
      `${JSON.stringify({ at: Date.now(), event: { session_id: 's', cwd: stateDir, ...event } })}\n`,
    );
  for (const name of fake.agents)
    line(name, { hook_event_name: 'SessionStart', source: 'startup', model: 'claude-sonnet-4-5' });
  await whenStore(stateDir, (d) => Object.values(d.agents).every((a) => a.status === 'idle'), 30_000);

  const toStore: number[] = [];
  for (let i = 0; i < n; i++) {
    const name = fake.agents[i % fake.agents.length]!;
    const prompt = `bench ${i}`;
    const t0 = performance.now();
    const seen = whenStore(stateDir, (d) => d.agents[name]?.task === prompt);
    line(name, { hook_event_name: 'UserPromptSubmit', prompt });
    toStore.push((await seen) - t0);
    await sleep(30);
  }
  rows.push({
    what: 'hook line appended -> in store.json (recorder, 16 agents)',
    value: median(toStore),
    unit: 'ms',
    target: '< 100',
  });

  const status = (): string =>
    execFileSync(orchestrateScript, ['status', '--json', '--state', stateDir], { env: noRebuild }).toString();
  rows.push({ what: '`status --json` run alone', value: timeMedian(Math.ceil(n / 3), status), unit: 'ms' });
  const toStatus: number[] = [];
  for (let i = 0; i < Math.ceil(n / 3); i++) {
    const prompt = `status ${i}`;
    const t0 = performance.now();
    line(fake.agents[0]!, { hook_event_name: 'UserPromptSubmit', prompt });
    while (!(JSON.parse(status()) as { agents: { task: string | null }[] }).agents.some((a) => a.task === prompt)) {
      /* again */
    }
    toStatus.push(performance.now() - t0);
  }
  rows.push({
    what: 'hook line appended -> shown by `status --json`',
    value: median(toStatus),
    unit: 'ms',
    vs: '`status --json` run alone',
    target: '< 100',
  });

  // (c) Idle: nothing is appended for 10 s. The recorder asks tmux once a second whether panes are alive.
  await sleep(2000);
  const tmuxPid = Number((await server.cmd(['display-message', '-p', '#{pid}'])).trim());
  const [a, t, w0] = [cpuMs(rec.pid!), cpuMs(tmuxPid), performance.now()];
  await sleep(10_000);
  const [b, u, w1] = [cpuMs(rec.pid!), cpuMs(tmuxPid), performance.now()];
  const percent = (ms: number): number => (ms / (w1 - w0)) * 100;
  rows.push({
    what: 'recorder CPU at idle over 10 s (its own process)',
    value: percent(b.own - a.own),
    unit: '% of a core',
    target: '~0',
  });
  rows.push({
    what: '  + its tmux clients and the tmux server',
    value: percent(b.own - a.own + b.children - a.children + u.own - t.own),
    unit: '% of a core',
  });
  const idleNode = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  children.push(idleNode);
  await sleep(1000);
  rows.push({ what: 'idle node process RSS', value: rssMb(idleNode.pid!), unit: 'MB' });
  rows.push({
    what: 'recorder RSS, 16 agents',
    value: rssMb(rec.pid!),
    unit: 'MB',
    vs: 'idle node process RSS',
    target: '< 60',
  });
  rows.push({
    what: 'recorder peak RSS (VmHWM), 16 agents',
    value: rssMb(rec.pid!, 'VmHWM'),
    unit: 'MB',
    vs: 'idle node process RSS',
    target: '< 60',
  });
  idleNode.kill();
  rec.kill('SIGTERM');
  await killServerAndWait(server);
  servers.splice(servers.indexOf(server), 1);
}

/** A layout of n agents, 4 panes per window. */
function layoutFile(n: number): string {
  const file = join(dir, `agents-${n}.yaml`);
  const windows = Array.from(
    { length: Math.ceil(n / 4) },
    (_, w) =>
      `  - name: w${w}\n    panes:\n${Array.from({ length: Math.min(4, n - w * 4) }, (_, p) => `      - agent: a${w * 4 + p + 1}\n        permission_mode: acceptEdits\n`).join('')}`,
  );
  writeFileSync(file, `windows:\n${windows.join('')}`);
  return file;
}

/** (d) ./start.mts to all idle with the real claude, next to one lone claude reaching SessionStart. */
async function startup(roundsN: number): Promise<void> {
  const standin = await startStandin();
  try {
    const project = join(dir, 'project');
    mkdirSync(project);
    const { home, env } = claudeHome(standin.url, [project]);
    homes.push(home);
    const full = { ...env, CLAUDE_BIN: claudeBin, ORCH_NO_REBUILD: '1' };
    const times: Record<string, number[]> = { lone: [], start4: [], idle4: [], start16: [], idle16: [] };
    const lone = new Server(`bench_lone_${process.pid}`);
    servers.push(lone);
    await lone.cmd(['new-session', '-d', '-s', 'lone', 'sleep 100000']);
    const raw = (n: number, r: number): Promise<number> =>
      plainClaudes({
        n,
        dir: join(dir, `raw-${n}-${r}`),
        project,
        claudeBin,
        env,
        socket: `bench_raw_${process.pid}_${n}_${r}`,
      });
    // One claude, its own hooks, in a window of an already running tmux server.
    const loneClaude = async (name: string): Promise<number> => {
      const agent = agentDir(join(dir, 'lone'), name);
      mkdirSync(agent, { recursive: true });
      const settings = writeAgentSettings(join(dir, 'lone'), name, writeHookScript(join(dir, 'lone')));
      const status = join(agent, 'status.jsonl');
      const t0 = performance.now();
      const pane = (
        await lone.cmd([
          'new-window',
          '-d',
          '-P',
          '-F',
          '#{pane_id}',
          '-t',
          'lone:',
          '-c',
          project,
          ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]),
          claudeBin,
          '--settings',
          settings,
        ])
      ).trim();
      while (!(existsSync(status) && readFileSync(status, 'utf8').includes('"SessionStart"'))) await sleep(5);
      const ms = performance.now() - t0;
      await lone.cmd(['kill-pane', '-t', pane]);
      return ms;
    };
    await loneClaude('warm-up');
    for (let r = 0; r < roundsN; r++) {
      times.lone!.push(await loneClaude(String(r)));
      for (const n of [4, 16]) {
        times[`raw${n}`] = [...(times[`raw${n}`] ?? []), await raw(n, r)];
        const server = new Server(`bench_start_${process.pid}_${n}_${r}`);
        servers.push(server);
        const state = join(dir, `state-${n}-${r}`);
        const s0 = performance.now();
        // Not spawnSync: the API stand-in runs in this process and must keep answering.
        await new Promise<void>((resolve, reject) => {
          const child = spawn(
            join(root, 'start.mts'),
            ['--no-attach', '--socket', server.socket!, '--state', state, '--layout', layoutFile(n)],
            { cwd: project, env: full, stdio: ['ignore', 'ignore', 'pipe'] },
          );
          let stderr = '';
          child.stderr!.on('data', (d: Buffer) => {
            stderr += d.toString();
          });
          child.on('close', (code) =>
            code === 0 ? resolve() : reject(new Error(`start.mts exited ${code}: ${stderr}`)),
          );
        });
        times[`start${n}`]!.push(performance.now() - s0);
        const idle = await whenStore(
          state,
          (d) => Object.keys(d.agents).length === n && Object.values(d.agents).every((a) => a.status === 'idle'),
          180_000,
        );
        times[`idle${n}`]!.push(idle - s0);
        await killServerAndWait(server);
        servers.splice(servers.indexOf(server), 1);
      }
    }
    await killServerAndWait(lone);
    servers.splice(servers.indexOf(lone), 1);
    rows.push({ what: 'one lone claude: launch -> SessionStart hook', value: median(times.lone!), unit: 'ms' });
    for (const n of [4, 16]) {
      rows.push({
        what: `${n} claudes at once in plain tmux -> all SessionStart`,
        value: median(times[`raw${n}`]!),
        unit: 'ms',
        vs: 'one lone claude: launch -> SessionStart hook',
      });
      rows.push({ what: `./start.mts returns, ${n} agents`, value: median(times[`start${n}`]!), unit: 'ms' });
      rows.push({
        what: `./start.mts -> all ${n} agents idle`,
        value: median(times[`idle${n}`]!),
        unit: 'ms',
        vs: `${n} claudes at once in plain tmux -> all SessionStart`,
      });
    }
  } finally {
    await standin.close();
  }
}

function table(): void {
  const byName = new Map(rows.map((r) => [r.what, r]));
  console.log('| what | median | unit | vs | target |');
  console.log('|---|---:|---|---|---|');
  for (const r of rows) {
    const base = r.vs ? byName.get(r.vs) : undefined;
    const ratio = base && base.unit === r.unit && base.value > 0 ? `${(r.value / base.value).toFixed(2)}x ${r.vs}` : '';
    console.log(
      `| ${r.what} | ${r.value < 10 ? r.value.toFixed(1) : r.value.toFixed(0)} | ${r.unit} | ${ratio} | ${r.target ?? ''} |`,
    );
  }
}

try {
  if (parts.includes('a')) {
    hookCost(200);
    await approvalHookCost(40);
  }
  if (parts.includes('b') || parts.includes('c')) await recorder(40);
  if (parts.includes('d')) await startup(rounds);
} finally {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const s of servers) await killServerAndWait(s).catch(() => {});
  for (const h of homes) rmSync(h, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
console.log(
  `bench/agents: medians; hook ${200} runs, recorder latency 40 events, start-up ${rounds} rounds (claude ${execFileSync(claudeBin, ['--version']).toString().trim()}, ` +
    `tmux ${execFileSync('tmux', ['-V']).toString().trim().split(' ')[1]}, ${new Date().toISOString().slice(0, 10)})\n`,
);
table();
