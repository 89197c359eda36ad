// Permission requests in the store: recorded from the approval hook's line, decided by whoever
// comes first (each decision is a claim file made with O_EXCL, then the hook's answer), settled when
// the hook stops waiting or the agent goes on (a person answered in the pane), withdrawn when the
// claude that asked is gone. The recorder applies
// these in its pass, which writes no file: a layout rule's decision is recorded in the store and
// its files are written after the store is (pendingDecisions, the recorder's effect), then settled
// from its claim like any other. `approve`, `deny`, the dashboard and the lead only write decision files.
import { EXIT_EVENTS, type AgentEvent, type AgentEventType } from '../core/events.js';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { ApprovalRecord, StoreData } from '../store/types.js';
import { agentFiles, approvalAnswerFile, approvalClaimFile } from '../store/paths.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { decide, describeCall } from './policy.js';

export const DEFAULT_APPROVAL_TIMEOUT_S = 300;

/** A decision as its claim file holds it. */
export interface Decision {
  behavior: 'allow' | 'deny';
  by: string;
  rule?: string | null;
  message?: string | null;
  at: string;
}

const claimFile = approvalClaimFile;
const answerFile = approvalAnswerFile;

/**
 * Decides a request unless someone did first: the claim is made with O_EXCL (the first decision
 * wins), then the hook's answer is written for it. Returns whether this decision is the one.
 */
export function writeDecision(stateDir: string, agent: string, id: string, decision: Omit<Decision, 'at'>): boolean {
  mkdirSync(agentFiles(stateDir, agent).approvals, { recursive: true });
  const claim: Decision = { ...decision, at: new Date().toISOString() };
  try {
    writeFileSync(claimFile(stateDir, agent, id), JSON.stringify(claim), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      answer(stateDir, agent, id);
      return false;
    }
    throw error;
  }
  answer(stateDir, agent, id);
  return true;
}

/** Writes the hook's answer for a claim (again after a crash between the two: same text). */
function answer(stateDir: string, agent: string, id: string): void {
  const claim = readClaim(stateDir, agent, id);
  if (!claim || existsSync(answerFile(stateDir, agent, id))) return;
  const decision =
    claim.behavior === 'allow'
      ? { behavior: 'allow' }
      : { behavior: 'deny', message: claim.message || `denied by ${claim.by}` };
  writeFileAtomic(
    answerFile(stateDir, agent, id),
    JSON.stringify({ hookSpecificOutput: { hookEventName: 'PermissionRequest', decision } }),
  );
}

/** The hook's answer to a request, as written here (a remote agent's is copied to its host). */
export function readAnswer(stateDir: string, agent: string, id: string): string | undefined {
  try {
    return readFileSync(answerFile(stateDir, agent, id), 'utf8');
  } catch {
    return undefined;
  }
}

export function readClaim(stateDir: string, agent: string, id: string): Decision | undefined {
  try {
    return JSON.parse(readFileSync(claimFile(stateDir, agent, id), 'utf8')) as Decision;
  } catch {
    return undefined;
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Records a claim into the request. */
function settleFromClaim(request: ApprovalRecord, claim: Decision): void {
  Object.assign(request, {
    state: claim.behavior === 'allow' ? 'allowed' : 'denied',
    by: claim.by,
    rule: claim.rule ?? null,
    message: claim.message ?? null,
    decided_at: claim.at,
  });
}

/** Events after which a pending request was answered elsewhere (in the pane, or the agent went on). */
const MOVED_ON: ReadonlySet<AgentEventType> = new Set([
  'tool-ran',
  'turn-ended',
  'turn-failed',
  'turn-started',
  'interrupted',
]);

/** A request whose claude is gone before anyone decided: it no longer waits for anyone. */
function withdraw(request: ApprovalRecord, at: number, why: string): void {
  Object.assign(request, {
    state: 'withdrawn',
    by: null,
    message: `withdrawn: ${why} before anyone decided`,
    decided_at: iso(at),
  });
}

/** A layout rule's decision whose files are to be written (the recorder's effect after the store write). */
export interface DecisionEffect {
  agent: string;
  id: string;
  decision: Omit<Decision, 'at'>;
}

/**
 * Rule decisions the store holds on requests still pending: the ones the last pass made, and any a
 * recorder killed after its store write did not write out. Writing one again is harmless: the
 * first claim stays, and the answer is written once.
 */
export const pendingDecisions = (data: StoreData): DecisionEffect[] =>
  Object.values(data.approvals ?? {})
    .filter((r) => r.state === 'pending' && r.ruled)
    .map((r) => ({
      agent: r.agent,
      id: r.id,
      decision: { behavior: r.ruled!.behavior, by: 'policy', rule: r.ruled!.rule, message: r.ruled!.message },
    }));

/**
 * Follows an agent's hook event into its permission requests: the approval hook's line records a
 * request (and a layout rule decides it at once); an event that shows the agent went on settles
 * what is still pending. Returns a line for the log.
 */
export function approvalOnEvent(data: StoreData, stateDir: string, name: string, e: AgentEvent): string | undefined {
  const agent = data.agents[name];
  if (!agent) return undefined;
  data.approvals ??= {};
  if (e.type === 'needs-approval' && e.request) {
    // The hook's ids are "q<time>-<pid>"; anything else would name a file outside the folder, or Object.prototype.
    if (typeof e.request !== 'string' || !/^q[\w-]+$/.test(e.request))
      return `${name}: a permission request with a bad id ${JSON.stringify(e.request).slice(0, 80)} is ignored`;
    if (Object.hasOwn(data.approvals, e.request)) return undefined;
    const tool = e.tool ?? 'a tool';
    const input = e.input ?? {};
    const timeout = data.approval_settings?.timeout_s ?? DEFAULT_APPROVAL_TIMEOUT_S;
    const request: ApprovalRecord = {
      id: e.request,
      agent: name,
      tool,
      input,
      summary: describeCall(tool, input),
      at: iso(e.at),
      timeout_at: iso(e.at + timeout * 1000),
      state: 'pending',
      by: null,
      rule: null,
      message: null,
      decided_at: null,
    };
    data.approvals[request.id] = request;
    const rules = data.policy?.[name];
    const ruled = rules ? decide(rules, tool, input, e.cwd ?? agent.cwd) : null;
    if (ruled && ruled.behavior !== 'ask') {
      // Written out after the store (the pass writes no file); settled from the claim that wins.
      request.ruled = {
        behavior: ruled.behavior,
        rule: ruled.rule,
        message: ruled.behavior === 'deny' ? `denied by the rule ${ruled.rule}` : null,
      };
      return `${name}: ${request.summary} ${ruled.behavior === 'allow' ? 'allowed' : 'denied'} by the rule ${ruled.rule}`;
    }
    const why = !ruled
      ? ''
      : ruled.rule.startsWith('uncertain:')
        ? `; a person decides, the rules cannot: ${ruled.rule}`
        : `; the rule ${ruled.rule} says ask`;
    return `${name}: asks for permission: ${request.summary} (request ${request.id}${why})`;
  }
  if (e.type === 'approval-withdrawn' && e.request) {
    // The approval hook saw its claude gone: whatever was decided meanwhile never reached it.
    const r = typeof e.request === 'string' ? data.approvals[e.request] : undefined;
    if (r?.state !== 'pending') return undefined;
    withdraw(r, e.at, e.reason ?? 'its claude exited');
    return `${name}: permission request ${r.id} withdrawn (${r.summary}): its claude exited`;
  }
  const gone = EXIT_EVENTS.has(e.type);
  if (!gone && !MOVED_ON.has(e.type)) return undefined;
  const moved: string[] = [];
  for (const r of Object.values(data.approvals)) {
    if (r.agent !== name || r.state !== 'pending' || Date.parse(r.at) > e.at) continue;
    const claim = readClaim(stateDir, name, r.id);
    if (claim) settleFromClaim(r, claim);
    else if (gone) withdraw(r, e.at, e.type === 'session-ended' ? 'its claude session ended' : 'its claude exited');
    else Object.assign(r, { state: 'answered', by: 'the pane', decided_at: iso(e.at) });
    moved.push(`${r.id} ${r.state}`);
  }
  return moved.length ? `${name}: permission request${moved.length === 1 ? '' : 's'} ${moved.join(', ')}` : undefined;
}

/** Decisions made since the last pass (files written by others), and requests the hook stopped waiting for. Returns whether anything changed. */
export function settleApprovals(data: StoreData, stateDir: string, now: number): boolean {
  let changed = false;
  for (const r of Object.values(data.approvals ?? {})) {
    if (r.state !== 'pending') continue;
    const claim = readClaim(stateDir, r.agent, r.id);
    if (claim) {
      settleFromClaim(r, claim);
      changed = true;
      continue;
    }
    if (Date.parse(r.timeout_at) <= now) {
      Object.assign(r, {
        state: 'timed_out',
        by: null,
        decided_at: iso(now),
        message: "nobody decided in time: Claude's own dialog in the pane decides",
      });
      changed = true;
    }
  }
  return changed;
}

/** Pending requests, oldest first (of one agent when given). */
export const pendingApprovals = (data: StoreData, agent?: string): ApprovalRecord[] =>
  Object.values(data.approvals ?? {})
    .filter((r) => r.state === 'pending' && (!agent || r.agent === agent))
    .sort((a, b) => a.at.localeCompare(b.at));

/** Adds an allow rule to an agent's policy (approve --always). */
export function addAllowRule(data: StoreData, agent: string, rule: string): string {
  data.policy ??= {};
  data.policy[agent] ??= { allow: [], deny: [], ask: [] };
  const rules = data.policy[agent];
  if (!rules.allow.includes(rule)) rules.allow.push(rule);
  return `policy of ${agent}: allow ${rule}`;
}
