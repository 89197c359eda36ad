// Finding and stopping the processes of one session: what its tmux panes started (and their
// children), and what else is ours: anything an agent started (its claude, hooks and tools carry
// ORCH_STATE_DIR with ORCH_AGENT), our scripts under the state directory, and our own long-running commands
// (recorder, board, dashboard, headless runner, MCP server) given this state directory. Linux /proc.
import { readFileSync, readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export { alive } from '../util/pid.js';
import { alive, isRecorderOf } from '../util/pid.js';
import type { StoreData } from '../store/types.js';

function table(): { pid: number; ppid: number }[] {
  const rows: { pid: number; ppid: number }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so read after the last ")".
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      rows.push({ pid: Number(name), ppid });
    } catch {
      /* exited meanwhile */
    }
  }
  return rows;
}

/** The given pids and every descendant of them. */
export function withDescendants(roots: number[]): number[] {
  const rows = table();
  const found = new Set(roots.filter((p) => p > 0));
  for (let grew = true; grew; ) {
    grew = false;
    for (const { pid, ppid } of rows)
      if (found.has(ppid) && !found.has(pid)) {
        found.add(pid);
        grew = true;
      }
  }
  return [...found];
}

/** The live processes whose parent is pid (an agent pane's launch script: its claude or runner). */
export function childrenOf(pid: number): number[] {
  return table()
    .filter((r) => r.ppid === pid && alive(r.pid))
    .map((r) => r.pid);
}

/** A process and its ancestors, nearest first. */
export function ancestorsOf(pid: number): number[] {
  const parent = new Map(table().map((r) => [r.pid, r.ppid]));
  const out = new Set<number>();
  for (let p: number | undefined = pid; p && !out.has(p); p = parent.get(p)) out.add(p);
  return [...out];
}

/** This process and its ancestors (never to be stopped by us). */
const selfAndAncestors = (): Set<number> => new Set(ancestorsOf(process.pid));

/** Our commands that run as long as a session does. */
const LONG_RUNNING = new Set(['record', 'watch', 'dashboard', 'headless', 'mcp']);

/** Whether a process (by argv and environment) belongs to the session of stateDir. */
export function isOurs(argv: string[], env: string[], stateDir: string): boolean {
  // Our panes set ORCH_AGENT with it; ORCH_STATE_DIR alone may be a person's shell that exported it to pick the session.
  if (env.includes(`ORCH_STATE_DIR=${stateDir}`) && env.some((e) => e.startsWith('ORCH_AGENT='))) return true;
  if (argv.some((a) => a.startsWith(`${stateDir}/`) && a.endsWith('.sh'))) return true;
  const at = argv.findIndex((a) => a.endsWith('/orchestrate.mjs') || a.endsWith('/orchestrate.mts'));
  return at >= 0 && LONG_RUNNING.has(argv[at + 1] ?? '') && argv.includes(stateDir);
}

/** Processes that belong to a session's state directory (not this process or its ancestors). */
export function processesOf(stateDir: string): { pid: number; command: string }[] {
  const mine = selfAndAncestors();
  const out: { pid: number; command: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || mine.has(Number(name))) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const env = readFileSync(`/proc/${name}/environ`, 'utf8').split('\0');
      if (isOurs(argv, env, stateDir) && alive(Number(name))) out.push({ pid: Number(name), command: argv.join(' ') });
    } catch {
      /* exited meanwhile, or not ours to read */
    }
  }
  return out;
}

/** Waits until every pid has exited; returns those still alive after timeoutMs. */
export async function waitGone(pids: number[], timeoutMs: number): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length && Date.now() < until) {
    await sleep(50);
    left = left.filter(alive);
  }
  return left;
}

/** Sends a signal to each pid that is still there. */
export function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      /* gone */
    }
  }
}

/** Stops processes: SIGTERM, then SIGKILL for what is left after graceMs. Returns the pids killed hard. */
export async function stopAll(pids: number[], graceMs = 5000): Promise<number[]> {
  signal(pids, 'SIGTERM');
  const left = await waitGone(pids, graceMs);
  signal(left, 'SIGKILL');
  await waitGone(left, 2000);
  return left;
}

/** A recorder that outlived its tmux session (it would write the store too): stop it. */
export async function stopOldRecorder(data: Pick<StoreData, 'recorder'>, stateDir: string): Promise<void> {
  const pid = data.recorder?.pid;
  if (pid && isRecorderOf(pid, stateDir)) await stopAll([pid], 5000);
}
