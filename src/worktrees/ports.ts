// Blocks of TCP ports, one per agent, different for every agent of every session on this machine:
// a block is claimed by creating its lease file (O_EXCL, so two starts never get the same one),
// only when every port of it is free right now (nothing listens there), and kept for its agent, so
// it gets the same ports after a restart, --resume or a new start of its session. Another session
// takes a lease over only when its session ended or its state directory is gone.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { storeFile } from '../store/paths.js';
import { OrchestratorError } from '../core/errors.js';

/** Where leases live: one folder per user on this machine (ORCH_PORTS_DIR overrides it). */
export const portsDir = (): string =>
  process.env.ORCH_PORTS_DIR || join(tmpdir(), `claude-orchestrator-${process.getuid?.() ?? 'user'}`, 'ports');

/** The range blocks are taken from: below Linux's ephemeral ports (32768 and up), so no client socket takes them. */
export function portRange(): { first: number; last: number } {
  const spec = process.env.ORCH_PORT_RANGE;
  const m = spec ? /^(\d+)-(\d+)$/.exec(spec) : null;
  if (spec && (!m || Number(m[1]) < 1024 || Number(m[2]) > 65535 || Number(m[1]) > Number(m[2]))) {
    throw new OrchestratorError(`ORCH_PORT_RANGE=${spec} is not a range such as 20000-32000 (from 1024 to 65535)`);
  }
  return m ? { first: Number(m[1]), last: Number(m[2]) } : { first: 20000, last: 32767 };
}

export interface PortLease {
  first: number;
  count: number;
  state_dir: string;
  agent: string;
  at: string;
}

const leaseFile = (first: number): string => join(portsDir(), `${first}.json`);

function readLease(file: string): PortLease | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as PortLease;
  } catch {
    return undefined;
  }
}

/** A lease whose session can no longer come back: its state directory is gone or its session ended. */
function stale(lease: PortLease): boolean {
  if (!existsSync(lease.state_dir)) return true;
  try {
    const data = JSON.parse(readFileSync(storeFile(lease.state_dir), 'utf8')) as {
      session?: { ended_at?: string | null } | null;
    };
    return Boolean(data.session?.ended_at);
  } catch {
    // No store yet (a start in progress) or one being written: not stale.
    return false;
  }
}

/** Whether nothing listens on port (on any address). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '0.0.0.0', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** Whether every port of a block is free (all looked at side by side). */
async function blockFree(first: number, count: number): Promise<boolean> {
  return (await Promise.all(range(first, count).map(portFree))).every(Boolean);
}

function claim(lease: PortLease): boolean {
  try {
    writeFileSync(leaseFile(lease.first), `${JSON.stringify(lease)}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/**
 * The agent's block of count ports: the one it had (kept while its session may come back), else
 * the first free block of the range. Blocks are aligned to count, so leases never overlap.
 */
export async function leasePorts(stateDir: string, agent: string, count: number): Promise<number[]> {
  return (await leaseAllPorts(stateDir, [{ agent, count }])).get(agent) ?? [];
}

/**
 * Blocks for several agents of one session: the leases are read, and each other session looked at,
 * once for all of them (a start of 16 agents read every lease 16 times).
 */
export async function leaseAllPorts(
  stateDir: string,
  wants: readonly { agent: string; count: number }[],
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (!wants.some((w) => w.count > 0)) return out;
  mkdirSync(portsDir(), { recursive: true });
  const { first, last } = portRange();
  const leases = readdirSync(portsDir())
    .filter((f) => /^\d+\.json$/.test(f))
    .map((f) => ({ file: join(portsDir(), f), lease: readLease(join(portsDir(), f)) }));
  const wanted = new Map(wants.map((w) => [w.agent, w.count]));
  const ours = (l: PortLease | undefined): boolean => l?.state_dir === stateDir && wanted.has(l.agent);
  const staleBySession = new Map<string, boolean>();
  const taken = new Set<number>();
  for (const l of leases) {
    if (!l.lease) continue;
    if (ours(l.lease)) {
      // Kept when it still has the size the layout asks for; a block of another size is given back.
      if (l.lease.count === wanted.get(l.lease.agent) && !out.has(l.lease.agent)) {
        out.set(l.lease.agent, range(l.lease.first, l.lease.count));
        for (const p of out.get(l.lease.agent)!) taken.add(p);
      } else rmSync(l.file, { force: true });
      continue;
    }
    if (!staleBySession.has(l.lease.state_dir)) staleBySession.set(l.lease.state_dir, stale(l.lease));
    if (staleBySession.get(l.lease.state_dir)) {
      rmSync(l.file, { force: true });
      continue;
    }
    for (let p = l.lease.first; p < l.lease.first + l.lease.count; p++) taken.add(p);
  }
  for (const { agent, count } of wants) {
    if (count <= 0 || out.has(agent)) continue;
    out.set(agent, await claimBlock(stateDir, agent, count, first, last, taken));
  }
  return out;
}

async function claimBlock(
  stateDir: string,
  agent: string,
  count: number,
  first: number,
  last: number,
  taken: Set<number>,
): Promise<number[]> {
  const lease = (start: number): PortLease => ({
    first: start,
    count,
    state_dir: stateDir,
    agent,
    at: new Date().toISOString(),
  });
  for (let start = Math.ceil(first / count) * count; start + count - 1 <= last; start += count) {
    if (range(start, count).some((p) => taken.has(p))) continue;
    if (existsSync(leaseFile(start))) continue;
    if (!(await blockFree(start, count))) continue;
    if (claim(lease(start))) {
      for (const p of range(start, count)) taken.add(p);
      return range(start, count);
    }
  }
  throw new OrchestratorError(
    `no block of ${count} free TCP ports is left in ${first}-${last} (leases in ${portsDir()}); end sessions you no longer need, or set ORCH_PORT_RANGE`,
  );
}

const range = (start: number, count: number): number[] => Array.from({ length: count }, (_, i) => start + i);

/** The environment an agent gets for its block: ORCH_PORT (the first) and ORCH_PORT_0..N-1. */
export function portEnv(ports: readonly number[]): Record<string, string> {
  if (!ports.length) return {};
  return { ORCH_PORT: String(ports[0]), ...Object.fromEntries(ports.map((p, i) => [`ORCH_PORT_${i}`, String(p)])) };
}
