// A pane's screen from `capture-pane -e -p`, made safe to show: SGR colour and attribute escapes
// become runs of text with classes (the 16 basic colours, bold...) and #rrggbb colours computed
// from numbers (256 and RGB colours); any other escape or control is dropped. The page builds its
// spans from these runs with textContent; ansiToHtml escapes every character for HTML uses.
// Nothing a program prints can become markup.

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A colour: one of the 16 basic ones (0-15, styled by class), or an RGB triple. */
type Colour = { basic: number } | { rgb: [number, number, number] } | null;

interface Pen {
  fg: Colour;
  bg: Colour;
  bold: boolean;
  dim: boolean;
  italic: boolean;
  underline: boolean;
  reverse: boolean;
  hidden: boolean;
  strike: boolean;
}

const plainPen = (): Pen => ({
  fg: null,
  bg: null,
  bold: false,
  dim: false,
  italic: false,
  underline: false,
  reverse: false,
  hidden: false,
  strike: false,
});

/** xterm's 256-colour palette above the basic 16: a 6x6x6 cube, then 24 greys. */
function palette256(n: number): Colour {
  if (n < 16) return { basic: n };
  if (n < 232) {
    const level = (v: number): number => (v === 0 ? 0 : 55 + v * 40);
    const i = n - 16;
    return { rgb: [level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6)] };
  }
  const grey = 8 + (n - 232) * 10;
  return { rgb: [grey, grey, grey] };
}

const byte = (v: number | undefined): number => Math.max(0, Math.min(255, Math.trunc(v ?? 0)));

/** Reads an extended colour (after 38 or 48) from params at i; returns the colour and how many params it used. */
function extended(params: number[], i: number): { colour: Colour; used: number } {
  const kind = params[i + 1];
  if (kind === 5) return { colour: palette256(byte(params[i + 2])), used: 2 };
  if (kind === 2) return { colour: { rgb: [byte(params[i + 2]), byte(params[i + 3]), byte(params[i + 4])] }, used: 4 };
  return { colour: null, used: 0 };
}

/** Applies one SGR sequence's parameters to the pen. */
function applySgr(pen: Pen, raw: string): void {
  // Colon sub-parameters (38:2::r:g:b, 4:3) are read like their semicolon forms; an empty colour space id is dropped.
  const groups = raw === '' ? ['0'] : raw.split(';');
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g]!;
    if (group.includes(':')) {
      const sub = group.split(':');
      const head = Number(sub[0]);
      if (head === 38 || head === 48) {
        const nums = sub[1] === '2' && sub.length >= 6 ? [head, 2, ...sub.slice(-3).map(Number)] : sub.map(Number);
        const { colour } = extended(nums, 0);
        if (head === 38) pen.fg = colour;
        else pen.bg = colour;
      } else if (head === 4) pen.underline = sub[1] !== '0';
      continue;
    }
    const rest = groups.slice(g).map((s) => (s === '' ? 0 : Number(s)));
    const code = rest[0]!;
    if (code === 38 || code === 48) {
      const { colour, used } = extended(rest, 0);
      if (code === 38) pen.fg = colour;
      else pen.bg = colour;
      g += used;
      continue;
    }
    if (code === 0) Object.assign(pen, plainPen());
    else if (code === 1) pen.bold = true;
    else if (code === 2) pen.dim = true;
    else if (code === 3) pen.italic = true;
    else if (code === 4 || code === 21) pen.underline = true;
    else if (code === 7) pen.reverse = true;
    else if (code === 8) pen.hidden = true;
    else if (code === 9) pen.strike = true;
    else if (code === 22) {
      pen.bold = false;
      pen.dim = false;
    } else if (code === 23) pen.italic = false;
    else if (code === 24) pen.underline = false;
    else if (code === 27) pen.reverse = false;
    else if (code === 28) pen.hidden = false;
    else if (code === 29) pen.strike = false;
    else if (code >= 30 && code <= 37) pen.fg = { basic: code - 30 };
    else if (code === 39) pen.fg = null;
    else if (code >= 40 && code <= 47) pen.bg = { basic: code - 40 };
    else if (code === 49) pen.bg = null;
    else if (code >= 90 && code <= 97) pen.fg = { basic: code - 90 + 8 };
    else if (code >= 100 && code <= 107) pen.bg = { basic: code - 100 + 8 };
  }
}

const hex = (rgb: [number, number, number]): string => `#${rgb.map((v) => v.toString(16).padStart(2, '0')).join('')}`;

/**
 * A run of text drawn with one pen: classes for the basic colours and attributes (f0-f15,
 * b0-b15, bo, dim, it, ul, st, hid, fgd-rev, bgd-rev) and RGB colours as #rrggbb.
 */
export interface Segment {
  t: string;
  c?: string;
  f?: string;
  b?: string;
}

/** How text drawn with this pen looks, as a segment without its text. */
function look(pen: Pen): Omit<Segment, 't'> {
  const classes: string[] = [];
  // Reverse video swaps the colours; an unset one is the terminal's default (classes fgd-rev/bgd-rev).
  const fg = pen.reverse ? pen.bg : pen.fg;
  const bg = pen.reverse ? pen.fg : pen.bg;
  if (pen.reverse && !fg) classes.push('fgd-rev');
  if (pen.reverse && !bg) classes.push('bgd-rev');
  if (fg && 'basic' in fg) classes.push(`f${fg.basic}`);
  if (bg && 'basic' in bg) classes.push(`b${bg.basic}`);
  if (pen.bold) classes.push('bo');
  if (pen.dim) classes.push('dim');
  if (pen.italic) classes.push('it');
  if (pen.underline) classes.push('ul');
  if (pen.strike) classes.push('st');
  if (pen.hidden) classes.push('hid');
  return {
    ...(classes.length ? { c: classes.join(' ') } : {}),
    ...(fg && 'rgb' in fg ? { f: hex(fg.rgb) } : {}),
    ...(bg && 'rgb' in bg ? { b: hex(bg.rgb) } : {}),
  };
}

// SGR (CSI ... m); any other CSI; OSC (to BEL or ST); charset designations; other two-byte
// escapes; C0 controls but \t and \n.
const TOKENS =
  /\x1b\[([0-9;:]*)m|\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[()*+].?|\x1b[@-_]?|[\x00-\x08\x0b-\x1f\x7f]/g;

/** Splits captured terminal text into runs of plain text, each with how it looks. */
export function ansiToSegments(input: string): Segment[] {
  const pen = plainPen();
  const out: Segment[] = [];
  let lastKey = '';
  let from = 0;
  const emit = (text: string): void => {
    if (!text) return;
    const style = look(pen);
    const key = JSON.stringify(style);
    const prev = out[out.length - 1];
    if (prev && key === lastKey) prev.t += text;
    else out.push({ t: text, ...style });
    lastKey = key;
  };
  for (const match of input.matchAll(TOKENS)) {
    emit(input.slice(from, match.index));
    from = match.index + match[0].length;
    if (match[1] !== undefined) applySgr(pen, match[1]);
  }
  emit(input.slice(from));
  return out;
}

/** Converts captured terminal text with SGR escapes to safe HTML (for a <pre>). */
export function ansiToHtml(input: string): string {
  return ansiToSegments(input)
    .map((s) => {
      const styles = [s.f ? `color:${s.f}` : '', s.b ? `background-color:${s.b}` : ''].filter(Boolean).join(';');
      if (!s.c && !styles) return escapeHtml(s.t);
      return `<span${s.c ? ` class="${s.c}"` : ''}${styles ? ` style="${styles}"` : ''}>${escapeHtml(s.t)}</span>`;
    })
    .join('');
}

/** Captured terminal text without any escapes or controls (for tests and plain views). */
export function ansiToText(input: string): string {
  return input.replace(TOKENS, '');
}
