// Cross-agent rules of fork_from: the agent it names exists and is not itself, forks form no cycle,
// both run on the same machine and in the same directory (claude resumes a conversation only from the directory it was
// started in), and the fork is an interactive agent.
import type { AgentSpec } from './types.js';

type Path = (string | number)[];

/** Reports each fork_from problem at the agent's fork_from key (paths[i] is agents[i]'s pane). */
export function checkForks(agents: AgentSpec[], paths: Path[], problem: (path: Path, message: string) => void): void {
  const byName = new Map(agents.map((a) => [a.name, a]));
  const reported = new Set<string>();
  agents.forEach((agent, i) => {
    const parentName = agent.forkFrom;
    if (parentName === undefined) return;
    const at = [...(paths[i] ?? []), 'fork_from'];
    const parent = byName.get(parentName);
    if (parentName === agent.name) {
      problem(at, `an agent cannot fork from itself (expected another agent's name)`);
      return;
    }
    if (!parent) {
      problem(at, `no agent named "${parentName}" (agents: ${agents.map((a) => a.name).join(', ')})`);
      return;
    }
    if (agent.mode === 'headless') {
      problem(at, 'fork_from is not supported for headless agents yet (expected mode: interactive)');
      return;
    }
    const chain = [agent.name];
    for (let next: AgentSpec | undefined = parent; next; next = next.forkFrom ? byName.get(next.forkFrom) : undefined) {
      if (next.name === agent.name) {
        const cycle = [...chain, agent.name];
        if (!cycle.some((n) => reported.has(n)))
          problem(
            at,
            `fork_from makes a cycle: ${cycle.join(' -> ')} (expected a chain that starts from an agent without fork_from)`,
          );
        for (const n of cycle) reported.add(n);
        return;
      }
      if (chain.includes(next.name)) return;
      chain.push(next.name);
    }
    // A conversation is kept where its claude runs: a fork starts from it on the same machine.
    if (parent.host !== agent.host) {
      const where = (a: AgentSpec): string => (a.host ? `on host ${a.host}` : 'on this machine');
      problem(
        at,
        `"${parentName}" runs ${where(parent)} but "${agent.name}" ${where(agent)}; a fork starts from a conversation where it is kept (expected both on the same host)`,
      );
      return;
    }
    if (parent.cwd !== agent.cwd) {
      problem(
        at,
        `"${parentName}" runs in ${parent.cwd} but "${agent.name}" in ${agent.cwd}; claude resumes a conversation only from the directory it was started in (expected the same cwd)`,
      );
    }
  });
}
