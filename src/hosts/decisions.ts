// Decisions on the permission requests of agents on a host: made here (a person, the dashboard,
// the lead, a layout rule: each writes its claim and answer in the agent's approvals/ folder here),
// and needed there, where the agent's approval hook polls its own approvals/ folder. The recorder
// copies each answer there, once, and is the only writer of those files (a temp file and a rename,
// so the hook never reads half of one).
import type { StoreData } from '../store/types.js';
import { agentFiles } from '../store/paths.js';
import { readAnswer } from '../approvals/approvals.js';
import { checkOnHost, isUnreachable } from '../ssh/ssh.js';
import { targetOf } from './remote.js';

/** Writes stdin to $2 in $1 (made if need be), through $2.tmp and a rename. */
const PUT = 'mkdir -p "$1" && cat > "$1/$2.tmp" && mv -f "$1/$2.tmp" "$1/$2"';

export interface DecisionCourier {
  /** Copies the answers of decided requests of remote agents that are not there yet (their hook still waits). */
  send(data: StoreData): void;
}

/**
 * The recorder's courier of answers to hosts. A copy that fails (the host is down) is tried again
 * at a later pass until the request's hook stops waiting; after a restart of the recorder each
 * answer still awaited is copied again (the same text).
 */
export function decisionCourier(
  stateDir: string,
  log: (line: string) => void,
  hostSilent: (host: string) => void,
): DecisionCourier {
  const sent = new Set<string>();
  const sending = new Set<string>();
  return {
    send(data) {
      for (const r of Object.values(data.approvals ?? {})) {
        if ((r.state !== 'allowed' && r.state !== 'denied') || sent.has(r.id) || sending.has(r.id)) continue;
        const agent = data.agents[r.agent];
        const host = agent?.host ? data.session?.hosts?.[agent.host] : undefined;
        if (!host) continue;
        // Its hook stopped waiting (and Claude's dialog decided): nobody reads it there any more.
        if (Date.parse(r.timeout_at) <= Date.now()) {
          sent.add(r.id);
          continue;
        }
        const answer = readAnswer(stateDir, r.agent, r.id);
        if (answer === undefined) continue;
        sending.add(r.id);
        const dir = agentFiles(host.state_dir, r.agent).approvals;
        checkOnHost(targetOf(host), ['sh', '-c', PUT, 'put', dir, `${r.id}.json`], { input: answer, timeoutMs: 20_000 })
          .then(() => {
            sent.add(r.id);
            log(`${r.agent}: the decision on ${r.id} (${r.state}) is on host ${host.name}`);
          })
          .catch((error: Error) => {
            log(`${r.agent}: the decision on ${r.id} could not reach host ${host.name}: ${error.message}`);
            if (isUnreachable(error)) hostSilent(host.name);
          })
          .finally(() => sending.delete(r.id));
      }
    },
  };
}
