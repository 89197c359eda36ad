// A task sent back by an API limit goes on in the same conversation, and Claude Code (2.1.197)
// keeps the refused prompt there: the next prompt joins the same user message. Sending the task
// again would show the model its task twice (three times after two limits), so when the agent's
// transcript shows the conversation still ends at the refused prompt, a short note goes instead.
// When it does not (a failure before the prompt was recorded, a prompt typed in meanwhile, a
// transcript not written yet), the whole prompt goes: a task shown twice beats a task lost.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** What a task that met a limit is resumed with when its conversation holds its prompt already. */
export const RETRY_NOTE =
  'The previous request was refused by an API limit, which has passed now; please continue with the task above.';

type Entry = {
  type?: unknown;
  isSidechain?: unknown;
  isMeta?: unknown;
  isApiErrorMessage?: unknown;
  message?: { content?: unknown };
};

/** A transcript's entries from the last back (read in chunks from the end: a conversation can be long). */
function* entriesFromEnd(path: string, chunk = 256 * 1024): Generator<Entry> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return;
  }
  try {
    let end = fstatSync(fd).size;
    let rest = Buffer.alloc(0);
    while (end > 0) {
      const start = Math.max(0, end - chunk);
      const read = Buffer.alloc(end - start);
      readSync(fd, read, 0, read.length, start);
      end = start;
      const data = Buffer.concat([read, rest]);
      // The first line of a chunk may have begun in the one before it.
      const cut = start > 0 ? data.indexOf(0x0a) : -1;
      if (start > 0 && cut < 0) {
        rest = data;
        continue;
      }
      rest = cut >= 0 ? data.subarray(0, cut) : Buffer.alloc(0);
      const lines = data
        .subarray(cut + 1)
        .toString('utf8')
        .split('\n');
      for (let i = lines.length - 1; i >= 0; i--) {
        if (!lines[i]) continue;
        try {
          yield JSON.parse(lines[i]!) as Entry;
        } catch {
          /* a line being written: skipped */
        }
      }
    }
  } finally {
    closeSync(fd);
  }
}

/** A user entry's prompt text, or undefined when it carries tool results (or nothing readable). */
function promptText(entry: Entry): string | undefined {
  const content = entry.message?.content;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const blocks = content as { type?: string; text?: string }[];
  if (blocks.some((b) => b?.type === 'tool_result')) return undefined;
  return blocks.map((b) => (b?.type === 'text' && typeof b.text === 'string' ? b.text : '')).join('\n');
}

/**
 * Whether the conversation in this transcript ends with a refused request of this prompt's turn:
 * its last answer is the CLI's API error message, and going back over tool results and earlier
 * retry notes, the last prompt is this one (as Claude recorded it).
 */
export function endsAtRefusedPrompt(transcript: string | null | undefined, prompt: string): boolean {
  if (!transcript) return false;
  let refused: boolean | undefined;
  for (const entry of entriesFromEnd(transcript)) {
    if (entry.isSidechain === true || entry.isMeta === true) continue;
    if (entry.type === 'assistant') {
      refused ??= entry.isApiErrorMessage === true;
      if (!refused) return false;
      continue;
    }
    if (entry.type !== 'user') continue;
    const text = promptText(entry);
    if (text === undefined) continue;
    if (text.trimEnd() === RETRY_NOTE) continue;
    return refused === true && text.replace(/\r\n?/g, '\n').trimEnd() === prompt;
  }
  return false;
}
