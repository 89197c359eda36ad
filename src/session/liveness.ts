// Whether a recorded session still runs. The recorder keeps the store true while it lives; when it
// is gone too (it dies with its tmux server), a reader asks tmux: a session whose tmux session has
// vanished is lost, and every agent in it is shown exited with the reason, not as the store last
// had it. Readers never write the store; ./start.mts --resume records the loss and brings it back.
import { join } from 'node:path';
import type { StoreData } from '../store/types.js';
import { Server } from '../tmux/objects.js';
import { isRecorderOf } from '../util/pid.js';
import { quoteArgv } from '../util/shell-quote.js';
import { toolkitRoot } from '../util/paths.js';

export interface Liveness {
  /** running: its recorder or its tmux session is there. lost: neither. */
  state: 'running' | 'lost' | 'ended' | 'none';
  /** Why it is lost: "tmux server gone" or "tmux session gone". */
  reason: string | null;
  /** The command that brings a lost session back. */
  resume: string | null;
}

/** The command that brings a lost session back. */
export function resumeArgv(layoutFile: string, socket: string | null | undefined, stateDir: string): string[] {
  return [
    join(toolkitRoot, 'start.mts'),
    '--layout',
    layoutFile,
    ...(socket ? ['--socket', socket] : []),
    '--state',
    stateDir,
    '--resume',
  ];
}

/** Whether the session of this store runs; asks tmux only when its recorder is gone. */
export async function liveness(data: StoreData, stateDir: string): Promise<Liveness> {
  const s = data.session;
  if (!s) return { state: 'none', reason: null, resume: null };
  if (s.ended_at) return { state: 'ended', reason: null, resume: null };
  const lost = (reason: string): Liveness => ({
    state: 'lost',
    reason,
    resume: quoteArgv(resumeArgv(s.layout_file, s.socket, stateDir)),
  });
  if (s.lost_at)
    return lost(Object.values(data.agents).find((a) => a.reason?.startsWith('tmux '))?.reason ?? 'tmux session gone');
  if (isRecorderOf(data.recorder?.pid, stateDir)) return { state: 'running', reason: null, resume: null };
  const server = Server.of(s.socket);
  const found = await server.findSession(s.name).catch(() => undefined);
  if (found?.id === s.tmux_id) return { state: 'running', reason: null, resume: null };
  return lost((await server.running().catch(() => false)) ? 'tmux session gone' : 'tmux server gone');
}

/** The store as a reader should show it: in a lost session every agent has exited, for that reason. */
export function asSeen(data: StoreData, live: Liveness): StoreData {
  if (live.state !== 'lost') return data;
  const agents = Object.fromEntries(
    Object.entries(data.agents).map(([name, a]) => [
      name,
      a.status === 'exited' && a.reason === live.reason
        ? a
        : { ...a, status: 'exited' as const, reason: live.reason, busy_since: null },
    ]),
  );
  return { ...data, agents };
}

/** One line for people: the session is lost and how to bring it back. */
export function lostLine(live: Liveness): string | undefined {
  return live.state === 'lost'
    ? `session lost (${live.reason}): every agent has exited; its tasks wait. Bring it back, each agent with its conversation: ${live.resume}`
    : undefined;
}
