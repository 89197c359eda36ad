// Where an agent runs: this machine, or an SSH host (src/hosts/). A place says where the agent's
// pane and files are and how it is stopped when it does not exit by itself; starting it is not
// behind this seam yet (src/session/start.ts and src/hosts/remote.ts, see docs/architecture.md).
import type { AgentRecord, StoreData } from '../store/types.js';
import type { Server } from '../tmux/objects.js';
import { agentServer } from '../hosts/remote.js';

/** What a place must provide. */
export interface Place {
  readonly name: 'here' | 'ssh';
  /** The host's name in the layout (ssh only). */
  readonly host?: string;
  /** Its pane is on the session's tmux server here (a lost session ends it; the recorder watches it here). */
  readonly paneHere: boolean;
  /** Its status file and transcript are written on this machine (read in place; elsewhere its host's link streams them into copies here). */
  readonly filesHere: boolean;
  /** How it is stopped when it does not exit by itself: SIGTERM to its pane's processes, or its tmux session on its host killed. */
  readonly stop: 'signal' | 'host-session';
  /** The tmux server the agent's pane is on. */
  server(data: Pick<StoreData, 'session'>): Server;
}

/** The place of an agent as its record says. */
export function placeOf(agent: Pick<AgentRecord, 'host'>): Place {
  const host = agent.host ?? undefined;
  return host
    ? {
        name: 'ssh',
        host,
        paneHere: false,
        filesHere: false,
        stop: 'host-session',
        server: (data) => agentServer(data, agent),
      }
    : { name: 'here', paneHere: true, filesHere: true, stop: 'signal', server: (data) => agentServer(data, agent) };
}
