// Rate, overload and usage limits as a state of the team, not a failure of its work. A turn that
// ends on one (Claude Code's StopFailure after its own retries) pauses every agent of the same
// account: nothing new is sent to any of them until the time the API named (or a backoff that
// doubles up to a cap), then one agent is tried first, and only when its turn goes through do the
// others follow. The task that hit the limit goes back to the head of its queue, on the same
// agent, and runs again in the same conversation. All of it is pure changes to the store data.
import type { AgentEvent } from '../core/events.js';
import type { AgentRecord, LimitRecord, StoreData, TaskRecord } from '../store/types.js';
import { own } from '../util/own.js';

export type LimitKind = LimitRecord['kind'];

/** Defaults when the layout says nothing (on_limit:). */
export const DEFAULT_BACKOFF_S = 30;
export const DEFAULT_MAX_BACKOFF_S = 900;

/**
 * The longest a limit may pause its account from now, whatever time the API names: a rate limit
 * or an overload clears within minutes, a usage limit within its week. A time further off is a
 * garbled or hostile text (it would pause the team for centuries), so the wait is cut to this.
 */
export const MAX_WAIT_S: Record<LimitRecord['kind'], number> = {
  rate_limit: 3600,
  overloaded: 3600,
  usage_limit: 7 * 86_400,
};
/** The last millisecond a Date can hold (ECMAScript's range): every time here stays a valid Date. */
const MAX_DATE_MS = 8.64e15;
const inRange = (ms: number): number =>
  Number.isNaN(ms) ? MAX_DATE_MS : Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, ms));

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * When a limit message says it ends, as ms since the epoch, or null: "…|1796200000" (Claude's
 * usage limit, epoch seconds), "try again in 30 seconds / 5 minutes", "regain access on
 * 2026-12-03 at 00:00 UTC", an ISO time, or a clock time ("resets 5pm", "resets at 17:30 (UTC)"),
 * taken as the next such time (in UTC when the message says UTC, else this machine's time zone).
 * Any time is one a Date can hold (a later one is the last such); any text gives a time or null.
 */
export function resetTime(message: string, now: number): number | null {
  const t = namedTime(String(message), now);
  return t === null ? null : inRange(t);
}

function namedTime(message: string, now: number): number | null {
  const epoch = /\|(\d{10,13})\b/.exec(message);
  if (epoch) {
    const n = Number(epoch[1]);
    return n < 1e12 ? n * 1000 : n;
  }
  const rel = /\b(?:in|after)\s+(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|mins?|minutes?|h|hours?)\b/i.exec(message);
  if (rel) {
    const unit = rel[2]!.toLowerCase();
    const factor = unit.startsWith('h') ? 3_600_000 : unit.startsWith('m') ? 60_000 : 1000;
    return now + Number(rel[1]) * factor;
  }
  const utc = /\bUTC\b|\bGMT\b|Z\b/.test(message);
  const date = /\b(\d{4})-(\d{2})-(\d{2})(?:[T ]|\s+at\s+)(\d{1,2}):(\d{2})(?::(\d{2}))?/.exec(message);
  if (date) {
    const [y, mo, d, h, mi, s] = date.slice(1).map((v) => Number(v ?? 0)) as number[];
    const t = utc ? Date.UTC(y!, mo! - 1, d!, h!, mi!, s!) : new Date(y!, mo! - 1, d!, h!, mi!, s!).getTime();
    return Number.isFinite(t) ? t : null;
  }
  const named =
    /\b(?:on\s+)?(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+(\d{1,2})\b[^0-9]*?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?/i.exec(
      message,
    );
  const clock = /\bresets?\s+(?:at\s+)?(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\b/i.exec(message);
  if (!named && !clock) return null;
  const [hourText, minuteText, ampm] = named ? [named[3], named[4], named[5]] : [clock![1], clock![2], clock![3]];
  let hour = Number(hourText);
  const minute = Number(minuteText ?? 0);
  if (ampm) hour = (hour % 12) + (ampm.toLowerCase() === 'pm' ? 12 : 0);
  if (hour > 23 || minute > 59) return null;
  const base = new Date(now);
  const at = (y: number, mo: number, d: number): number =>
    utc ? Date.UTC(y, mo, d, hour, minute) : new Date(y, mo, d, hour, minute).getTime();
  if (named) {
    const month = MONTHS.indexOf(named[1]!.toLowerCase());
    const year = utc ? base.getUTCFullYear() : base.getFullYear();
    let t = at(year, month, Number(named[2]));
    if (t < now - 86_400_000) t = at(year + 1, month, Number(named[2]));
    return t;
  }
  const [y, mo, d] = utc
    ? [base.getUTCFullYear(), base.getUTCMonth(), base.getUTCDate()]
    : [base.getFullYear(), base.getMonth(), base.getDate()];
  let t = at(y, mo, d);
  if (t <= now) t = at(y, mo, d + 1);
  return t;
}

/** What kind of limit a StopFailure is, if any: its error category and message (as the hook gives them). */
export function classifyLimit(error: unknown, message: string | null): LimitKind | null {
  const text = `${typeof error === 'string' ? error : ''} ${message ?? ''}`;
  if (/usage limit|usage_limit|spend(ing)? limit|credit balance|regain access|limit reached/i.test(text))
    return 'usage_limit';
  if (error === 'rate_limit' || /\b429\b|rate.?limit/i.test(text)) return 'rate_limit';
  if (error === 'overloaded' || /\b529\b|overloaded/i.test(text)) return 'overloaded';
  return null;
}

const WORDS: Record<LimitKind, string> = {
  rate_limit: 'rate limited (429)',
  overloaded: 'API overloaded (529)',
  usage_limit: 'usage limit reached',
};

/** The account an agent's API use counts against (agents of one account pause together). */
export const accountOf = (agent: Pick<AgentRecord, 'account'>): string => agent.account ?? 'default';

const time = (ms: number): string => new Date(inRange(ms)).toISOString();

/** The account's limit that holds now (or is being probed), if any. */
export const limitOf = (data: StoreData, agent: AgentRecord): LimitRecord | undefined =>
  own(data.limits, accountOf(agent));

/**
 * Records a limit hit by agent (its StopFailure was one): the account pauses until the named time,
 * or for a backoff that doubles with each hit in a row, up to the cap.
 */
export function recordLimit(
  data: StoreData,
  agent: AgentRecord,
  kind: LimitKind,
  message: string,
  now: number,
): LimitRecord {
  const account = accountOf(agent);
  data.limits ??= {};
  const before = own(data.limits, account);
  const policy = data.fleet?.on_limit;
  const first = policy?.backoff_s ?? DEFAULT_BACKOFF_S;
  const cap = policy?.max_backoff_s ?? DEFAULT_MAX_BACKOFF_S;
  const backoff = before ? Math.min(cap, before.backoff_s * 2) : first;
  const named = resetTime(message, now);
  const latest = now + MAX_WAIT_S[kind] * 1000;
  const until = named && named > now ? Math.min(named, latest) : now + backoff * 1000;
  const record: LimitRecord = {
    account,
    kind,
    message: message.slice(0, 500),
    since: before?.since ?? time(now),
    until: time(until),
    named_time: Boolean(named && named > now),
    backoff_s: backoff,
    hits: (before?.hits ?? 0) + 1,
    probe: null,
    agents: [...new Set([...(before?.agents ?? []), agent.name])],
    ...(named && named > latest ? { clamped: true } : {}),
  };
  data.limits[account] = record;
  return record;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const span = (s: number): string =>
  s % 86_400 === 0 ? `${s / 86_400} days` : `${s / 3600} hour${s === 3600 ? '' : 's'}`;

/** A time in UTC: the clock alone when it is today (UTC), else with its day and date ("Tue 8 Dec 14:00:05 UTC", with the year when not this year's). */
export function limitTime(ms: number, now: number): string {
  const at = new Date(inRange(ms));
  const clock = `${at.toISOString().slice(11, 19)} UTC`;
  const today = new Date(inRange(now));
  if (at.toISOString().slice(0, 10) === today.toISOString().slice(0, 10)) return clock;
  const year = at.getUTCFullYear() === today.getUTCFullYear() ? '' : ` ${at.getUTCFullYear()}`;
  return `${DAYS[at.getUTCDay()]} ${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]![0]!.toUpperCase()}${MONTHS[at.getUTCMonth()]!.slice(1)}${year} ${clock}`;
}

/** The reason an agent of a paused account shows. */
export function limitReason(limit: LimitRecord, now: number): string {
  const when = Date.parse(limit.until);
  const clamped = limit.clamped
    ? ` (the time it named is more than ${span(MAX_WAIT_S[limit.kind] ?? MAX_WAIT_S.usage_limit)} away: cut to that)`
    : '';
  const wait =
    when > now
      ? `${limit.named_time ? 'until' : 'trying again at'} ${limitTime(when, now)}${limit.named_time ? clamped : ` (backoff ${limit.backoff_s} s)`}`
      : limit.probe
        ? `${limit.probe} is trying first`
        : 'trying again now';
  return `${WORDS[limit.kind]}${limit.account !== 'default' ? ` on account ${limit.account}` : ''}: ${wait}; its tasks wait, nothing failed (${String(limit.message ?? '').slice(0, 160)})`;
}

/** A limit recorded before its wait was capped (or with a time no Date can read) waits no longer than the cap from now. */
function capUntil(limit: LimitRecord, now: number): void {
  const until = Date.parse(limit.until);
  const latest = now + Math.max(MAX_WAIT_S[limit.kind] ?? MAX_WAIT_S.usage_limit, limit.backoff_s || 0) * 1000;
  if (Number.isNaN(until)) limit.until = time(now);
  else if (until > latest) Object.assign(limit, { until: time(latest), clamped: true });
}

/**
 * Whether agent may be sent a prompt now under its account's limit: not while the time runs; once
 * it has passed, one agent goes first (the probe), and the others wait for its turn to go through.
 */
export function limitAllows(data: StoreData, agent: AgentRecord, now: number): boolean {
  const limit = limitOf(data, agent);
  if (!limit) return true;
  if (Date.parse(limit.until) > now) return false;
  return limit.probe === null || limit.probe === agent.name;
}

/** The agent is sent a prompt as the account's probe (the first after the wait). */
export function startProbe(data: StoreData, agent: AgentRecord): void {
  const limit = limitOf(data, agent);
  if (limit && limit.probe === null) limit.probe = agent.name;
}

/** A turn of agent went through (a tool ran, or it answered): its account's limit is over. Returns the account lifted, if any. */
export function liftLimit(data: StoreData, agent: AgentRecord, now: number): string | undefined {
  const account = accountOf(agent);
  const limit = own(data.limits, account);
  if (!limit || Date.parse(limit.until) > now) return undefined;
  delete data.limits![account];
  for (const a of Object.values(data.agents)) {
    if (accountOf(a) === account && a.status === 'limited')
      Object.assign(a, { status: 'idle', reason: null, updated_at: time(now) });
  }
  return account;
}

/**
 * The task that hit the limit goes back to the head of the queue under the same id, kept on the
 * same agent so that it goes on in the same conversation; nothing counts as a failure or an attempt.
 */
export function requeueForLimit(
  data: StoreData,
  task: TaskRecord,
  agent: AgentRecord,
  now: number,
  reason: string,
): void {
  if (agent.task_id === task.id) agent.task_id = null;
  task.limited = [...(task.limited ?? []), { at: time(now), reason: reason.slice(0, 300) }];
  Object.assign(task, { state: 'queued', resume_on: agent.name, delivered_at: null, started_at: null, attempts: 0 });
  delete task.cost_start;
}

/** Whether some limit will change with time alone (the recorder then looks every tick). */
export const limitsPending = (data: StoreData): boolean => Object.keys(data.limits ?? {}).length > 0;

/**
 * Every idle agent of a paused account shows it (limited, with the reason and until when); once the
 * limit is over they are idle again. A limit whose time passed with nothing waiting to be tried is
 * over by itself: the next task is the try.
 */
export function settleLimited(data: StoreData, now: number): void {
  for (const [account, limit] of Object.entries(data.limits ?? {})) {
    capUntil(limit, now);
    const waiting = Object.values(data.tasks ?? {}).some((t) => t.state === 'queued');
    if (Date.parse(limit.until) <= now && limit.probe === null && !waiting) delete data.limits![account];
  }
  for (const a of Object.values(data.agents)) {
    const limit = limitOf(data, a);
    if (limit && (a.status === 'idle' || a.status === 'limited')) {
      const reason = limitReason(limit, now);
      if (a.status !== 'limited' || a.reason !== reason)
        Object.assign(a, { status: 'limited', reason, updated_at: a.status === 'limited' ? a.updated_at : time(now) });
    } else if (!limit && a.status === 'limited')
      Object.assign(a, { status: 'idle', reason: null, updated_at: time(now) });
  }
}

/**
 * Follows an agent's neutral event (already applied to its record) into the account's limit: a
 * failed turn that is a limit pauses the account and sends the agent's task back to the queue; a
 * tool that ran or an answer that came ends the limit. Returns a line for the log, or undefined.
 */
export function limitOnEvent(data: StoreData, name: string, e: AgentEvent): string | undefined {
  const agent = data.agents[name];
  if (!agent) return undefined;
  if (e.type === 'turn-failed' && agent.status === 'limited') {
    const message = e.answer ?? e.errorDetails ?? String(e.error ?? 'limit');
    const kind = classifyLimit(e.category, message) ?? 'rate_limit';
    const limit = recordLimit(data, agent, kind, message, e.at);
    agent.reason = limitReason(limit, e.at);
    const task = agent.task_id ? data.tasks?.[agent.task_id] : undefined;
    if (task && (task.state === 'running' || task.state === 'delivering')) {
      requeueForLimit(data, task, agent, e.at, limit.message);
      return `${name}: ${kind} (hit ${limit.hits}); account ${limit.account} paused until ${limit.until}; task ${task.id} back at the head of the queue`;
    }
    return `${name}: ${kind} (hit ${limit.hits}); account ${limit.account} paused until ${limit.until}`;
  }
  if ((e.type === 'tool-ran' || e.type === 'turn-ended') && limitOf(data, agent)) {
    const lifted = liftLimit(data, agent, e.at);
    if (lifted) return `${name}: its turn went through; the limit on account ${lifted} is over`;
  }
  return undefined;
}
