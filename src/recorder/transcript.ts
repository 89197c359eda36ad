// Tokens and cost from a Claude transcript (~/.claude/projects/<cwd>/<session>.jsonl) and its
// subagents' transcripts (<session>/subagents/**/agent-*.jsonl next to it). The CLI writes one
// line per content block, each carrying its message's usage: count each message once. Each file is
// read once: later calls read only what was appended. Each message also counts for the prompt whose
// turn it belongs to (the promptId of the user entry before it, as UserPromptSubmit's prompt_id),
// so a task's cost is its own turns' whatever order the lines and hooks come in.
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';

export interface Usage {
  input: number;
  output: number;
  cache_read: number;
  cache_write: number;
  cost_usd: number;
}

// USD per million tokens (input, output), by model id; cache reads cost 0.1x input, cache writes
// 1.25x (5-minute cache) or 2x (1-hour cache). An estimate: the API bills what it bills.
const PRICES: [RegExp, number, number][] = [
  // Opus 4 and 4.1 (claude-opus-4-20250514, claude-opus-4-1-...), Opus 3; later Opus models cost less.
  [/opus-4(?:-[01])?(?:-\d{8}|\b(?!-))|opus-3|3-opus/, 15, 75],
  [/opus/, 5, 25],
  [/3-haiku|haiku-3(?!-5)/, 0.25, 1.25],
  [/3-5-haiku|haiku-3-5/, 0.8, 4],
  [/haiku/, 1, 5],
  [/sonnet|.*/, 3, 15],
];

/** The price row for a model id. */
export function prices(model: string): { input: number; output: number } {
  const [, input, output] = PRICES.find(([re]) => re.test(model))!;
  return { input, output };
}

/** The transcript and every subagent transcript of its session. */
export function transcriptFiles(path: string): string[] {
  const files = [path];
  const dir = join(path.replace(/\.jsonl$/, ''), 'subagents');
  try {
    for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
      if (entry.endsWith('.jsonl')) files.push(join(dir, entry));
    }
  } catch {
    /* no subagents */
  }
  return files;
}

type RawUsage = Record<string, unknown> & { cache_creation?: Record<string, unknown> };
const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** What was read of one session's transcripts: how far into each file (and the prompt its last turn is of), each message's share of the sum and its prompt, the sum by prompt. */
interface SessionUsage {
  files: Map<string, { offset: number; size: number; prompt?: string }>;
  byMessage: Map<string, { usage: Usage; prompt: string | undefined }>;
  byPrompt: Map<string, Usage>;
  total: Usage;
}

/** Per session transcript, what earlier calls read: each call reads only what was appended since. */
const sessions = new Map<string, SessionUsage>();

const zero = (): Usage => ({ input: 0, output: 0, cache_read: 0, cache_write: 0, cost_usd: 0 });

function messageUsage(model: string, usage: RawUsage): Usage {
  const price = prices(model);
  const input = n(usage.input_tokens),
    output = n(usage.output_tokens),
    cacheRead = n(usage.cache_read_input_tokens),
    write = n(usage.cache_creation_input_tokens);
  const hour = Math.min(write, n(usage.cache_creation?.ephemeral_1h_input_tokens));
  return {
    input,
    output,
    cache_read: cacheRead,
    cache_write: write,
    cost_usd:
      (input * price.input +
        output * price.output +
        cacheRead * price.input * 0.1 +
        (write - hour) * price.input * 1.25 +
        hour * price.input * 2) /
      1e6,
  };
}

/** Adds (or takes away) a message's usage to the total and to its prompt's. */
function count(session: SessionUsage, u: Usage, prompt: string | undefined, sign: 1 | -1): void {
  add(session.total, u, sign);
  if (prompt === undefined) return;
  const sum = session.byPrompt.get(prompt) ?? zero();
  add(sum, u, sign);
  session.byPrompt.set(prompt, sum);
}

function add(total: Usage, u: Usage, sign: 1 | -1): void {
  total.input += sign * u.input;
  total.output += sign * u.output;
  total.cache_read += sign * u.cache_read;
  total.cache_write += sign * u.cache_write;
  total.cost_usd += sign * u.cost_usd;
}

/** Reads what a file gained since the last call (complete lines only); false when it shrank (replaced). */
function readAppended(session: SessionUsage, file: string, main: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return true;
  }
  try {
    const size = fstatSync(fd).size;
    const seen: { offset: number; size: number; prompt?: string } = session.files.get(file) ?? { offset: 0, size: 0 };
    if (size < seen.size) return false;
    seen.size = size;
    session.files.set(file, seen);
    if (size <= seen.offset) return true;
    const buffer = Buffer.alloc(size - seen.offset);
    readSync(fd, buffer, 0, buffer.length, seen.offset);
    // A last line without its newline may be being written: it counts when it is whole JSON
    // already, and is read again next time (a message read twice replaces itself).
    const end = buffer.lastIndexOf(0x0a);
    if (end >= 0) seen.offset += end + 1;
    for (const line of buffer.toString('utf8').split('\n')) {
      const usage = line.includes('"usage"');
      if (!usage && !line.includes('"promptId"')) continue;
      try {
        const entry = JSON.parse(line) as {
          type?: string;
          promptId?: unknown;
          message?: { id?: string; model?: string; usage?: RawUsage };
        };
        // A user entry (a prompt or a tool result) says which prompt's turn the lines after it are of;
        // a subagent's file without one goes with its session's current turn.
        if (entry.type === 'user' && typeof entry.promptId === 'string') seen.prompt = entry.promptId;
        const m = entry.message;
        if (!usage || !m?.id || !m.usage) continue;
        // The last line of a message carries its final usage; a message seen before is replaced.
        const before = session.byMessage.get(m.id);
        if (before) count(session, before.usage, before.prompt, -1);
        const now = messageUsage(m.model ?? '', m.usage);
        const prompt = before?.prompt ?? seen.prompt ?? session.files.get(main)?.prompt;
        session.byMessage.set(m.id, { usage: now, prompt });
        count(session, now, prompt, 1);
      } catch {
        /* not JSON: skipped */
      }
    }
    return true;
  } finally {
    closeSync(fd);
  }
}

/**
 * Sums a transcript's usage (with its subagents'); missing or unreadable files count as zero. Each
 * file is read once: later calls read only what was appended, so the cost of a call does not grow
 * with the length of the conversation.
 */
export function transcriptUsage(path: string | null | undefined): Usage {
  if (!path) return zero();
  let session = sessions.get(path);
  for (let fresh = !session; ; fresh = true) {
    if (fresh) session = { files: new Map(), byMessage: new Map(), byPrompt: new Map(), total: zero() };
    if (transcriptFiles(path).every((file) => readAppended(session!, file, path))) break;
    if (fresh) break;
  }
  sessions.set(path, session!);
  const t = session!.total;
  return {
    input: t.input,
    output: t.output,
    cache_read: t.cache_read,
    cache_write: t.cache_write,
    cost_usd: Math.max(0, t.cost_usd),
  };
}

/** What the turns of these prompts (UserPromptSubmit's prompt_id) cost, as transcriptUsage last read the transcript. */
export function promptsCost(path: string | null | undefined, prompts: Iterable<string>): Map<string, number> {
  const session = path ? sessions.get(path) : undefined;
  const out = new Map<string, number>();
  for (const id of prompts) {
    const u = session?.byPrompt.get(id);
    if (u) out.set(id, Math.max(0, u.cost_usd));
  }
  return out;
}
