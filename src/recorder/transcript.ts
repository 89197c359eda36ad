// Tokens and cost from a Claude transcript (~/.claude/projects/<cwd>/<session>.jsonl) and its
// subagents' transcripts (<session>/subagents/**/agent-*.jsonl next to it). The CLI writes one
// line per content block, each carrying its message's usage: count each message once.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Usage { input: number; output: number; cache_read: number; cache_write: number; cost_usd: number }

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
  } catch { /* no subagents */ }
  return files;
}

type RawUsage = Record<string, unknown> & { cache_creation?: Record<string, unknown> };
const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Sums a transcript's usage (with its subagents'); missing or unreadable files count as zero. */
export function transcriptUsage(path: string | null | undefined): Usage {
  const total: Usage = { input: 0, output: 0, cache_read: 0, cache_write: 0, cost_usd: 0 };
  if (!path) return total;
  const byMessage = new Map<string, { model: string; usage: RawUsage }>();
  for (const file of transcriptFiles(path)) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.includes('"usage"')) continue;
      try {
        const entry = JSON.parse(line) as { message?: { id?: string; model?: string; usage?: RawUsage } };
        const m = entry.message;
        // The last line of a message carries its final usage.
        if (m?.id && m.usage) byMessage.set(m.id, { model: m.model ?? '', usage: m.usage });
      } catch { /* a line being written */ }
    }
  }
  for (const { model, usage } of byMessage.values()) {
    const price = prices(model);
    const input = n(usage.input_tokens), output = n(usage.output_tokens), read = n(usage.cache_read_input_tokens), write = n(usage.cache_creation_input_tokens);
    const hour = Math.min(write, n(usage.cache_creation?.ephemeral_1h_input_tokens));
    total.input += input;
    total.output += output;
    total.cache_read += read;
    total.cache_write += write;
    total.cost_usd += (input * price.input + output * price.output + read * price.input * 0.1
      + (write - hour) * price.input * 1.25 + hour * price.input * 2) / 1e6;
  }
  return total;
}
