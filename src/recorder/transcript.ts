// Tokens and cost from a Claude transcript (~/.claude/projects/<cwd>/<session>.jsonl). The CLI
// writes one line per content block, each carrying its message's usage: count each message once.
import { readFileSync } from 'node:fs';

export interface Usage { input: number; output: number; cache_read: number; cache_write: number; cost_usd: number }

// USD per million tokens (input, output), by model family; cache reads cost 0.1x input, cache
// writes 1.25x. An estimate: the API bills what it bills.
const PRICES: [RegExp, number, number][] = [
  [/opus-4-[01]|opus-3|claude-3-opus/, 15, 75],
  [/opus/, 5, 25],
  [/haiku-3/, 0.25, 1.25],
  [/haiku/, 1, 5],
  [/sonnet|.*/, 3, 15],
];

/** Sums a transcript's usage; missing or unreadable files count as zero. */
export function transcriptUsage(path: string | null | undefined): Usage {
  const total: Usage = { input: 0, output: 0, cache_read: 0, cache_write: 0, cost_usd: 0 };
  if (!path) return total;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return total;
  }
  const byMessage = new Map<string, { model: string; usage: Record<string, number> }>();
  for (const line of text.split('\n')) {
    if (!line.includes('"usage"')) continue;
    try {
      const entry = JSON.parse(line) as { message?: { id?: string; model?: string; usage?: Record<string, number> } };
      const m = entry.message;
      if (m?.id && m.usage) byMessage.set(m.id, { model: m.model ?? '', usage: m.usage });
    } catch { /* a line being written */ }
  }
  for (const { model, usage } of byMessage.values()) {
    const [, inPrice, outPrice] = PRICES.find(([re]) => re.test(model))!;
    const u = { input: usage.input_tokens ?? 0, output: usage.output_tokens ?? 0, cache_read: usage.cache_read_input_tokens ?? 0, cache_write: usage.cache_creation_input_tokens ?? 0 };
    total.input += u.input;
    total.output += u.output;
    total.cache_read += u.cache_read;
    total.cache_write += u.cache_write;
    total.cost_usd += (u.input * inPrice + u.output * outPrice + u.cache_read * inPrice * 0.1 + u.cache_write * inPrice * 1.25) / 1e6;
  }
  return total;
}
