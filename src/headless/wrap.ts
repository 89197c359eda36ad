// Terminal text layout for the headless pane: display width (wide CJK and emoji take two columns,
// combining marks none), word wrapping to a width, and one-line truncation with an ellipsis.

// biome-ignore lint/suspicious/noMisleadingCharacterClass: combining marks are listed on their own, to be measured as zero width
const ZERO_WIDTH = /[\u0300-\u036f\u200b-\u200f\u20d0-\u20ff\ufe00-\ufe0f\u{e0100}-\u{e01ef}]/u;
const WIDE =
  /[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6\u{1f300}-\u{1f64f}\u{1f900}-\u{1f9ff}\u{1fa70}-\u{1faff}\u{20000}-\u{3fffd}]/u;
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** Columns one code point takes. */
const charWidth = (ch: string): number => (ZERO_WIDTH.test(ch) ? 0 : WIDE.test(ch) ? 2 : 1);

/** Columns a string (without escape sequences) takes in a terminal. */
export function textWidth(text: string): number {
  let width = 0;
  for (const ch of text) width += charWidth(ch);
  return width;
}

/** Text safe to print: tabs as spaces, control characters (escape sequences included) removed. */
export function printable(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\t/g, '    ').replace(CONTROL, '');
}

/** The longest prefix of text that fits in width columns, and the rest. */
function split(text: string, width: number): [string, string] {
  let used = 0;
  let index = 0;
  for (const ch of text) {
    const w = charWidth(ch);
    if (used + w > width && index > 0) break;
    used += w;
    index += ch.length;
  }
  return [text.slice(0, index), text.slice(index)];
}

/** One line cut to width columns, ending in "…" when cut. */
export function truncate(line: string, width: number): string {
  if (textWidth(line) <= width) return line;
  return `${split(line, Math.max(1, width - 1))[0]}…`;
}

/**
 * Wraps text to width columns: at spaces when it can, inside a word longer than a line when it
 * must. Newlines in the text are kept; an empty line stays an empty line.
 */
export function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  const w = Math.max(8, width);
  for (const paragraph of printable(text).split('\n')) {
    let line = '';
    for (const word of paragraph.split(/( +)/)) {
      if (!word) continue;
      if (textWidth(line) + textWidth(word) <= w) {
        line += word;
        continue;
      }
      if (/^ +$/.test(word)) {
        out.push(line);
        line = '';
        continue;
      }
      if (line.trim()) out.push(line.trimEnd());
      let rest = word;
      while (textWidth(rest) > w) {
        const [head, tail] = split(rest, w);
        out.push(head);
        rest = tail;
      }
      line = rest;
    }
    out.push(line.trimEnd());
  }
  return out;
}
