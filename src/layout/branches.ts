// Cross-agent rules of worktree branches: git checks a branch out in one worktree only, and a
// branch cannot also be a folder of another's ("a" and "a/b"), so a start with either would stop
// halfway, some worktrees made. Agents on different hosts use different repositories.
import type { AgentSpec } from './types.js';

type Path = (string | number)[];

/** Reports each branch clash at the later agent's branch: key, or its agent: key when its branch is the default (paths[i] is agents[i]'s pane). */
export function checkBranches(
  agents: AgentSpec[],
  paths: Path[],
  explicit: boolean[],
  problem: (path: Path, message: string) => void,
): void {
  const seen: { agent: AgentSpec; where: string }[] = [];
  const pathText = (p: Path): string =>
    p.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');
  agents.forEach((agent, i) => {
    const branch = agent.worktree?.branch;
    if (branch === undefined) return;
    const at = [...(paths[i] ?? []), explicit[i] ? 'branch' : 'agent'];
    const given = explicit[i] ? `branch "${branch}"` : `its branch "${branch}" (the default)`;
    const other = seen.find((s) => s.agent.host === agent.host && s.agent.worktree!.branch === branch);
    const nested = seen.find(
      (s) =>
        s.agent.host === agent.host &&
        (s.agent.worktree!.branch.startsWith(`${branch}/`) || branch.startsWith(`${s.agent.worktree!.branch}/`)),
    );
    if (other) {
      problem(
        at,
        `${given} is also the branch of agent ${other.agent.name} (${other.where}); a branch can be checked out in one worktree only (expected another branch for ${agent.name}, e.g. branch: ${branch}-${agent.name})`,
      );
    } else if (nested) {
      problem(
        at,
        `${given} and the branch "${nested.agent.worktree!.branch}" of agent ${nested.agent.name} (${nested.where}) cannot both exist: git keeps a branch "a/b" in a folder "a" (expected names that are not one inside the other)`,
      );
    }
    seen.push({ agent, where: pathText(at) });
  });
}
