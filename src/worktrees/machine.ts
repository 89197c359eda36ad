// Where an agent's worktree is: this machine, or the host the agent runs on (its git runs there).
import type { RemoteShell } from '../core/remote-shell.js';
import type { AgentRecord } from '../store/types.js';
import { hostShell } from '../ssh/ssh.js';

/** The shell of the machine that holds the agent's worktree, or undefined for this one. */
export const machineOf = (agent: Pick<AgentRecord, 'worktree'>): RemoteShell | undefined => {
  const host = agent.worktree?.host;
  return host ? hostShell({ name: host.name, ssh: host.ssh, ...(host.port ? { port: host.port } : {}) }) : undefined;
};

/** The machine's key (agents whose worktrees are on different machines are never compared). */
export const machineKey = (agent: Pick<AgentRecord, 'worktree'>): string => machineOf(agent)?.key ?? '';
