// Where an agent runs: this machine, or an SSH host (src/hosts/). What the recorder's effects need
// of it is the tmux server its pane is on; starting and stopping are not behind this seam yet
// (src/session/start.ts and src/hosts/remote.ts, see docs/architecture.md).
import type { AgentRecord, StoreData } from '../store/types.js';
import type { Server } from '../tmux/objects.js';
import { agentServer } from '../hosts/remote.js';

/** What a place must provide. */
export interface Place {
  readonly name: 'here' | 'ssh';
  /** The host's name in the layout (ssh only). */
  readonly host?: string;
  /** The tmux server the agent's pane is on. */
  server(data: Pick<StoreData, 'session'>): Server;
}

/** The place of an agent as its record says. */
export function placeOf(agent: Pick<AgentRecord, 'host'>): Place {
  const host = agent.host ?? undefined;
  return host
    ? { name: 'ssh', host, server: (data) => agentServer(data, agent) }
    : { name: 'here', server: (data) => agentServer(data, agent) };
}
