// Deciding a permission request, the same for every decider (the CLI, the dashboard, the lead):
// find the request, write the decision (the first one wins), and with --always ask the recorder to
// add a rule that allows the same call from now on.
import type { ApprovalRecord, StoreData } from '../store/types.js';
import { OrchestratorError } from '../core/errors.js';
import { newId, submit } from '../inbox/inbox.js';
import { pendingApprovals, writeDecision } from './approvals.js';
import { ruleFor } from './policy.js';

/** The pending request an argument names: a request id (or a unique part of one), or an agent's oldest. */
export function findRequest(data: StoreData, given: string): ApprovalRecord {
  const pending = pendingApprovals(data);
  const byId = data.approvals?.[given] ?? pending.find((r) => r.id.endsWith(given) || r.id.startsWith(given));
  if (byId) {
    if (byId.state !== 'pending') throw new OrchestratorError(`request ${byId.id} is ${byId.state} already${byId.by ? ` (by ${byId.by})` : ''}`);
    return byId;
  }
  if (data.agents[given]) {
    const mine = pending.filter((r) => r.agent === given);
    if (!mine.length) throw new OrchestratorError(`${given} has no pending permission request${pending.length ? ` (pending: ${pending.map((r) => `${r.agent} ${r.summary}`).join('; ')})` : ''}`);
    return mine[0]!;
  }
  throw new OrchestratorError(`no pending permission request and no agent named "${given}"${pending.length ? ` (pending: ${pending.map((r) => `${r.id} ${r.agent} ${r.summary}`).join('; ')})` : ''}`);
}

/** Decides a request; returns false when someone else decided first. With `always`, no rule is added for a call no rule can pin down (ruleFor). */
export function decideRequest(stateDir: string, request: ApprovalRecord, how: { behavior: 'allow' | 'deny'; by: string; message?: string; always?: boolean }): boolean {
  const won = writeDecision(stateDir, request.agent, request.id, { behavior: how.behavior, by: how.by, message: how.message ?? (how.behavior === 'deny' ? `denied by ${how.by}` : null) });
  const rule = won && how.always && how.behavior === 'allow' ? ruleFor(request.tool, request.input) : null;
  if (rule) submit(stateDir, { kind: 'policy', id: newId('p'), at: new Date().toISOString(), agent: request.agent, allow: rule });
  return won;
}
