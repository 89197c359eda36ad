// bench/hosts: what running an agent on another host costs. One session with a local agent and a
// remote one (on a real sshd of test/helpers/sshd.ts, a loopback address of this machine, its own
// user), both fake claudes running the real hooks, measured alternately in the same run:
//   - status: a hook line appended to the agent's status file (the remote one: the file on the host,
//     appended as root, so no ssh is in the append) -> store.json has recorded it
//   - dispatch: dispatchTask() (what `orchestrate dispatch` calls, in this process) -> the task's
//     UserPromptSubmit recorded in store.json (task running)
//   - the host's round trip: `ssh host true` over the shared connection (ControlMaster)
// Target for each: remote median <= 1.5 x local median + the round trip.
// Run: npm run bench:hosts   (env: BENCH_HOSTS_N=30 rounds, BENCH_HOSTS_ANSWER_MS=300 the fake claude's turn,
//   BENCH_HOSTS_START_DELAY_S=2 the remote claude's start, after the recorder's link has begun to follow its status file)
import { execFileSync, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  watch,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { sshWorld } from '../test/helpers/sshd.js';
import { fixtures } from '../test/helpers/paths.js';
import { killServerAndWait } from '../test/helpers/tmux.js';
import { whenStore, readStoreData } from './fake-session.mjs';
import { median } from './measure.mjs';
import { dispatchTask } from '../src/tasks/client.js';
import { promptBoxText } from '../src/drivers/claude/prompt-box.js';
import { runOnHost } from '../src/ssh/ssh.js';
import { pasteAndSubmitOnHost } from '../src/hosts/deliver.js';
import { hostServer, hostShell, targetOf } from '../src/hosts/remote.js';
import { agentFiles, statusFile } from '../src/store/paths.js';
import { Server } from '../src/tmux/objects.js';
import { toolkitRoot } from '../src/util/paths.js';

const N = Number(process.env.BENCH_HOSTS_N ?? 30);
const ANSWER_MS = Number(process.env.BENCH_HOSTS_ANSWER_MS ?? 300);
/** BENCH_HOSTS_START_DELAY_S: the remote claude starts this much later, as a real one takes a second or more to its SessionStart (0: at once). */
const START_DELAY_S = Number(process.env.BENCH_HOSTS_START_DELAY_S ?? 2);
const startBin = join(toolkitRoot, 'dist', 'bin', 'start.mjs');
const orchestrateBin = join(toolkitRoot, 'dist', 'bin', 'orchestrate.mjs');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const LOCAL = 'here';
const REMOTE = 'there';
type Who = typeof LOCAL | typeof REMOTE;
const both = (): Record<Who, number[]> => ({ [LOCAL]: [], [REMOTE]: [] });

// sshWorld's cleanups go through t.after (test/helpers/tmux.ts onCleanup): this context collects
// them, and the finally below runs them (each registrar's list runs its own in reverse).
const afters: (() => unknown)[] = [];
const ctx = {
  after: (fn: () => unknown) => {
    afters.push(fn);
  },
} as unknown as TestContext;

const p90 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(s.length * 0.9) - 1)]!;
};
const fmt = (ms: number): string => ms.toFixed(ms < 10 ? 1 : 0);

const root = mkdtempSync('/tmp/orch-bench-hosts-');
chmodSync(root, 0o755);
const socket = `orch-bench-hosts-${process.pid}`;
const server = new Server(socket);
let state = '';

async function main(): Promise<void> {
  const world = await sshWorld(ctx, 1, { names: ['h1'] });
  const h = world.hosts[0]!;
  // The fake claude where the host's user can run it.
  const fake = join(root, 'fake-claude-repl');
  copyFileSync(join(fixtures, 'bin', 'fake-claude-repl'), fake);
  chmodSync(fake, 0o755);
  if (START_DELAY_S > 0) {
    // A claude slow to start (as a real one is): its status file appears only after the recorder's link has started its tail.
    writeFileSync(join(root, 'slow-claude'), `#!/bin/sh\nsleep ${START_DELAY_S}\nexec ${fake} "$@"\n`, { mode: 0o755 });
  }
  const claudeThere = START_DELAY_S > 0 ? join(root, 'slow-claude') : fake;
  h.run('mkdir -p project');
  const project = join(root, 'project');
  mkdirSync(project);
  state = join(root, 'state');
  const control = join(root, 'cm');
  mkdirSync(control, { mode: 0o700 });
  // This process's own ssh calls (the round trip) ride on the session's shared connection.
  Object.assign(process.env, { ORCH_SSH_CONFIG: world.configFile, ORCH_SSH_CONTROL_DIR: control });
  writeFileSync(
    join(project, 'layout.yaml'),
    `session: bench-hosts
env: { FAKE_ANSWER_MS: "${ANSWER_MS}" }
hosts:
  h1: { ssh: ${h.alias}, root: project, claude: ${claudeThere} }
windows:
  - name: team
    panes:
      - agent: ${LOCAL}
      - { agent: ${REMOTE}, host: h1 }
`,
  );
  const env = { ...process.env, CLAUDE_BIN: fake, ORCH_NO_REBUILD: '1' };
  execFileSync(
    process.execPath,
    [startBin, '--socket', socket, '--state', state, '--no-attach', '--layout', join(project, 'layout.yaml')],
    { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await whenStore(
    state,
    (d) => Object.values(d.agents).length === 2 && Object.values(d.agents).every((a) => a.status === 'idle'),
    60_000,
  );
  const data = readStoreData(state)!;
  const host = data.session!.hosts!.h1!;
  const target = targetOf(host);
  const statusOf: Record<Who, string> = {
    [LOCAL]: statusFile(state, LOCAL),
    [REMOTE]: agentFiles(host.state_dir, REMOTE).status,
  };
  const sessionOf = Object.fromEntries(
    Object.values(data.agents).map((a) => [a.name, { id: a.session_id, cwd: a.cwd }]),
  );
  const panes: Record<Who, ReturnType<Server['pane']>> = {
    [LOCAL]: Server.of(socket).pane(data.agents[LOCAL]!.pane),
    [REMOTE]: hostServer(host).pane(data.agents[REMOTE]!.pane),
  };

  const times = { status: both(), dispatch: both() };
  // Where the time goes (same clock: the host is this machine).
  const parts = {
    copied: [] as number[], // remote status line -> in the local copy (the link)
    taken: both(), // dispatch -> delivered_at (the recorder took it in)
    typed: both(), // delivered_at -> UserPromptSubmit hook ran (paste, box look, Enter)
    recorded: both(), // the hook ran -> store.json says running
  };
  const rtt: number[] = [];
  const capture = both();

  const hookLine = (name: string, event: Record<string, unknown>): string =>
    `${JSON.stringify({ at: Date.now(), event: { session_id: sessionOf[name]!.id, cwd: sessionOf[name]!.cwd, ...event } })}\n`;

  /** The local copy of a file reaching a size: when (performance.now()). */
  const whenSize = (file: string, size: number): Promise<number> =>
    new Promise((resolve) => {
      const look = (): void => {
        try {
          if (statSync(file).size >= size) {
            done();
            resolve(performance.now());
          }
        } catch {
          /* not yet */
        }
      };
      const w = watch(join(file, '..'), look);
      const poll = setInterval(look, 2);
      const done = (): void => {
        w.close();
        clearInterval(poll);
      };
      look();
    });

  async function statusProbe(name: Who, i: number): Promise<void> {
    const marker = `bench-${name}-${i}`;
    const line = hookLine(name, { hook_event_name: 'PreToolUse', tool_name: marker, tool_input: {} });
    const local = statusFile(state, name);
    const copied = name === REMOTE ? whenSize(local, statSync(local).size + Buffer.byteLength(line)) : undefined;
    const seen = whenStore(state, (d) => d.agents[name]?.last_tool === marker, 30_000);
    const t0 = performance.now();
    // As root, straight into the file (the remote one is the host user's; appending keeps its owner).
    appendFileSync(statusOf[name]!, line);
    const t = await seen;
    if (i > 0) {
      times.status[name]!.push(t - t0);
      if (copied) parts.copied.push((await copied) - t0);
    }
    // The tool's turn ends: idle again before the next probe (not timed).
    const stop = whenStore(
      state,
      (d) => d.agents[name]?.status === 'idle' && d.agents[name]?.last_result === marker,
      30_000,
    );
    appendFileSync(statusOf[name]!, hookLine(name, { hook_event_name: 'Stop', last_assistant_message: marker }));
    await stop;
  }

  async function dispatchProbe(name: Who, i: number): Promise<void> {
    let id = '';
    const running = whenStore(
      state,
      (d) => {
        const t = d.tasks?.[id];
        return !!t && (t.state === 'running' || t.state === 'done');
      },
      30_000,
    );
    const wall0 = Date.now();
    const t0 = performance.now();
    id = dispatchTask(state, `probe ${i} for ${name}`, { agent: name }, { by: 'bench' });
    const t = await running;
    const task = readStoreData(state)?.tasks?.[id];
    if (!task) throw new Error(`task ${id} gone from store.json`);
    if (i > 0) {
      times.dispatch[name]!.push(t - t0);
      parts.taken[name]!.push(Date.parse(task.delivered_at!) - wall0);
      parts.typed[name]!.push(Date.parse(task.started_at!) - Date.parse(task.delivered_at!));
      parts.recorded[name]!.push(t - t0 - (Date.parse(task.started_at!) - wall0));
    }
    await whenStore(state, (d) => d.tasks?.[id]?.state === 'done' && d.agents[name]?.status === 'idle', 30_000);
  }

  async function rttProbe(i: number): Promise<void> {
    const t0 = performance.now();
    const r = await runOnHost(target, ['true'], { timeoutMs: 10_000 });
    if (r.exitCode !== 0) throw new Error(`ssh ${h.alias} true exited ${r.exitCode}: ${r.stderr}`);
    if (i > 0) rtt.push(performance.now() - t0);
  }

  async function captureProbe(name: Who, i: number): Promise<void> {
    const t0 = performance.now();
    await panes[name]!.capture();
    if (i > 0) capture[name]!.push(performance.now() - t0);
  }

  const started = performance.now();
  for (let i = 0; i <= N; i++) {
    // Alternating which goes first, so that a machine getting busier or quieter shifts both alike.
    const order: Who[] = i % 2 ? [REMOTE, LOCAL] : [LOCAL, REMOTE];
    for (const name of order) await statusProbe(name, i);
    for (const name of order) await dispatchProbe(name, i);
    await rttProbe(i);
    for (const name of order) await captureProbe(name, i);
  }
  // A delivery's steps one by one, as src/delivery/deliver.ts makes them (paste, look at the box until
  // it shows the text, Enter), timed here on each agent's pane: each is one tmux call, over ssh for
  // the remote agent. (Claude takes these as typed prompts: no task, nothing else changes.)
  const steps = Object.fromEntries(
    [LOCAL, REMOTE].map((n) => [
      n,
      { paste: [] as number[], looks: [] as number[], look: [] as number[], enter: [] as number[] },
    ]),
  );
  const oneCall: number[] = [];
  for (let i = 0; i <= Math.min(N, 10); i++) {
    for (const name of (i % 2 ? [REMOTE, LOCAL] : [LOCAL, REMOTE]) as Who[]) {
      const text = `by hand ${i} ${name}`;
      const stopped = whenStore(
        state,
        (d) => d.agents[name]?.status === 'idle' && d.agents[name]?.last_result === `OK: ${text}`,
        30_000,
      );
      const pane = panes[name]!;
      const t0 = performance.now();
      await pane.paste(text, { buffer: `bench-${i}` });
      const t1 = performance.now();
      let looks = 0;
      while (!promptBoxText(await pane.capture())) {
        looks++;
        await sleep(8);
      }
      looks++;
      const t2 = performance.now();
      await pane.press('Enter');
      const t3 = performance.now();
      await stopped;
      if (i > 0) {
        steps[name]!.paste.push(t1 - t0);
        steps[name]!.looks.push(looks);
        steps[name]!.look.push(t2 - t1);
        steps[name]!.enter.push(t3 - t2);
      }
    }
    // The same on the host in one ssh call, as deliveries there are made (src/hosts/deliver.ts).
    const text = `in one call ${i}`;
    const stopped = whenStore(
      state,
      (d) => d.agents[REMOTE]?.status === 'idle' && d.agents[REMOTE]?.last_result === `OK: ${text}`,
      30_000,
    );
    const t0 = performance.now();
    await pasteAndSubmitOnHost(hostShell(target), host.socket, data.agents[REMOTE]!.pane, text, `bench-one-${i}`, 3000);
    if (i > 0) oneCall.push(performance.now() - t0);
    await stopped;
  }
  const seconds = (performance.now() - started) / 1000;

  const rttMedian = median(rtt);
  console.log(
    `bench/hosts: ${N} rounds (after one warm-up), local and remote alternately; one sshd host on loopback (this machine), fake claude (turn ${ANSWER_MS} ms) with the real hooks; ${seconds.toFixed(0)} s\n`,
  );
  console.log(
    '| what | local median | local p90 | remote median | remote p90 | remote/local | target: remote <= 1.5 x local + RTT | |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---|---|');
  for (const [what, key] of [
    ['status line -> store.json', 'status'],
    ['dispatch -> running in store.json', 'dispatch'],
  ] as const) {
    const l = times[key][LOCAL]!;
    const r = times[key][REMOTE]!;
    const limit = 1.5 * median(l) + rttMedian;
    console.log(
      `| ${what} | ${fmt(median(l))} | ${fmt(p90(l))} | ${fmt(median(r))} | ${fmt(p90(r))} | ${(median(r) / median(l)).toFixed(2)}x | ${median(r) <= limit ? 'met' : 'MISSED'} (${fmt(median(r))} vs ${fmt(limit)}) | |`,
    );
  }
  console.log(`| ssh host true (shared connection), RTT | | | ${fmt(rttMedian)} | ${fmt(p90(rtt))} | | | |`);
  console.log(
    `| one tmux capture-pane (deliveries look at the box with it) | ${fmt(median(capture[LOCAL]!))} | ${fmt(p90(capture[LOCAL]!))} | ${fmt(median(capture[REMOTE]!))} | ${fmt(p90(capture[REMOTE]!))} | ${(median(capture[REMOTE]!) / median(capture[LOCAL]!)).toFixed(2)}x | | |`,
  );
  console.log(
    "\nwhere the time goes (medians, ms; the host is this machine, so the hooks' timestamps share the clock):",
  );
  console.log(
    `  status, remote: line appended there -> in the local copy (the link's tail -F | sed -u over ssh) ${fmt(median(parts.copied))} (p90 ${fmt(p90(parts.copied))}); the rest (local copy -> store.json) ${fmt(median(times.status[REMOTE]!) - median(parts.copied))}`,
  );
  for (const name of [LOCAL, REMOTE] as Who[]) {
    console.log(
      `  dispatch, ${name === LOCAL ? 'local ' : 'remote'}: -> recorder took it (delivered_at) ${fmt(median(parts.taken[name]!))}; -> UserPromptSubmit hook ran (paste, box looks, Enter${name === REMOTE ? ': one ssh call, src/hosts/deliver.ts' : ''}) ${fmt(median(parts.typed[name]!))}; hook -> store.json running ${fmt(median(parts.recorded[name]!))}`,
    );
  }
  for (const name of [LOCAL, REMOTE] as Who[]) {
    const st = steps[name]!;
    console.log(
      `  a delivery's steps as separate tmux calls, ${name === LOCAL ? 'local ' : 'remote'} (${st.paste.length} times${name === REMOTE ? ', each an ssh round trip' : ''}): paste ${fmt(median(st.paste))}; box looks until it shows the text ${fmt(median(st.look))} (${median(st.looks)} look${median(st.looks) === 1 ? '' : 's'}); Enter ${fmt(median(st.enter))}; together ${fmt(median(st.paste.map((p, k) => p + st.look[k]! + st.enter[k]!)))}`,
    );
  }
  console.log(
    `  the same on the host in one ssh call (src/hosts/deliver.ts, ${oneCall.length} times): ${fmt(median(oneCall))} (p90 ${fmt(p90(oneCall))})`,
  );
}

let failed = false;
let cleaning: Promise<void> | undefined;
/** Everything this run started goes, once, whether it ended well, failed or was interrupted. */
const cleanup = (): Promise<void> =>
  (cleaning ??= (async () => {
    // The session ends as a person ends it (its hosts' tmux servers too, the shared connection closed).
    if (state) {
      const ended = spawnSync(process.execPath, [orchestrateBin, 'session', 'end', '--force', '--state', state], {
        env: { ...process.env, ORCH_NO_REBUILD: '1' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      if (ended.status !== 0) console.error(`session end: exit ${ended.status}: ${ended.stderr}`);
    }
    await killServerAndWait(server).catch(() => {});
    // Then the sshd, the host's user and everything it still runs, its HOME (reverse order of registration).
    for (const fn of afters.reverse()) {
      try {
        await fn();
      } catch (error) {
        failed = true;
        console.error('cleanup:', error);
      }
    }
    // A shared connection left open (ControlPersist) by a failure: its master is an ssh this run
    // started (its control socket is in our temp dir), ended by its pid.
    for (const line of spawnSync('ps', ['-e', '-o', 'pid=,args='], { encoding: 'utf8' }).stdout.split('\n')) {
      const m = /^\s*(\d+)\s+ssh .*/.exec(line);
      if (m && line.includes(join(root, 'cm'))) {
        try {
          process.kill(Number(m[1]), 'SIGTERM');
        } catch {
          /* gone */
        }
      }
    }
    rmSync(root, { recursive: true, force: true });
    rmSync(join('/tmp', `tmux-${process.getuid?.() ?? 0}`, socket), { force: true });
  })());
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    console.error(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}
try {
  await main();
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await cleanup();
}
process.exitCode = failed ? 1 : 0;
