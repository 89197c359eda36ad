// Deciding a permission request, the same for every decider (the CLI, the dashboard, the lead):
// find the request, write the decision (the first one wins), and with --always ask the recorder to
// add a rule that allows the same call from now on.
import type { ApprovalRecord, StoreData } from '../store/types.js';
import { OrchestratorError } from '../core/errors.js';
import { newId, submit } from '../inbox/inbox.js';
import { pendingApprovals, writeDecision } from './approvals.js';
import { ruleFor } from './policy.js';
import { own } from '../util/own.js';

/** The fewest characters a part of a request id must have to name it (ids all start alike: "q<time>-<pid>"). */
export const MIN_ID_PART = 4;

/**
 * The pending request an argument names: a request id, an agent's oldest, or a part of an id (its
 * start or end, at least MIN_ID_PART characters) that only one pending request has.
 */
export function findRequest(data: StoreData, given: string): ApprovalRecord {
  const pending = pendingApprovals(data);
  const list = (rs: ApprovalRecord[]): string => rs.map((r) => `${r.id} ${r.agent} ${r.summary}`).join('; ');
  if (!given.trim())
    throw new OrchestratorError(`no request id or agent given${pending.length ? ` (pending: ${list(pending)})` : ''}`);
  const exact = own(data.approvals, given);
  if (exact) {
    if (exact.state !== 'pending')
      throw new OrchestratorError(
        `request ${exact.id} is ${exact.state} already${exact.by ? ` (by ${exact.by})` : ''}`,
      );
    return exact;
  }
  if (own(data.agents, given)) {
    const mine = pending.filter((r) => r.agent === given);
    if (!mine.length)
      throw new OrchestratorError(
        `${given} has no pending permission request${pending.length ? ` (pending: ${pending.map((r) => `${r.agent} ${r.summary}`).join('; ')})` : ''}`,
      );
    return mine[0]!;
  }
  const parts =
    given.length >= MIN_ID_PART ? pending.filter((r) => r.id.endsWith(given) || r.id.startsWith(given)) : [];
  if (parts.length === 1) return parts[0]!;
  if (parts.length > 1)
    throw new OrchestratorError(
      `"${given}" is part of ${parts.length} pending requests' ids (${list(parts)}); give the whole id, or the agent`,
    );
  const short = given.length < MIN_ID_PART ? `; a part of an id needs at least ${MIN_ID_PART} characters` : '';
  throw new OrchestratorError(
    `no such request: no pending permission request and no agent named "${given}"${short}${pending.length ? ` (pending: ${list(pending)})` : ''}`,
  );
}

/** Decides a request; returns false when someone else decided first. With `always`, no rule is added for a call no rule can pin down (ruleFor). */
export function decideRequest(
  stateDir: string,
  request: ApprovalRecord,
  how: { behavior: 'allow' | 'deny'; by: string; message?: string; always?: boolean },
): boolean {
  const won = writeDecision(stateDir, request.agent, request.id, {
    behavior: how.behavior,
    by: how.by,
    message: how.message ?? (how.behavior === 'deny' ? `denied by ${how.by}` : null),
  });
  const rule = won && how.always && how.behavior === 'allow' ? ruleFor(request.tool, request.input) : null;
  if (rule)
    submit(stateDir, {
      kind: 'policy',
      id: newId('p'),
      at: new Date().toISOString(),
      agent: request.agent,
      allow: rule,
    });
  return won;
}
