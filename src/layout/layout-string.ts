// Checks tmux layout names and custom layout strings ("a0b1,200x50,0,0{100x50,0,0,1,99x50,101,0,2}")
// before anything is built, so a bad one never leaves a half-made session behind.

/** tmux's built-in layouts. */
export const LAYOUT_NAMES = ['tiled', 'even-horizontal', 'even-vertical', 'main-horizontal', 'main-vertical'] as const;

/** tmux's layout checksum (layout.c, layout_checksum). */
export function layoutChecksum(body: string): string {
  let csum = 0;
  for (const ch of body) {
    csum = (csum >> 1) + ((csum & 1) << 15);
    csum = (csum + ch.charCodeAt(0)) & 0xffff;
  }
  return csum.toString(16).padStart(4, '0');
}

/** Number of panes in a custom layout string, or an explanation of what is wrong with it. */
export function parseCustomLayout(layout: string): { panes: number } | { error: string } {
  const match = /^([0-9a-f]{4}),(.+)$/.exec(layout);
  if (!match)
    return {
      error:
        'a custom layout starts with a 4-digit hex checksum and a comma, as printed by "tmux list-windows -F \'#{window_layout}\'"',
    };
  const [, sum, body] = match as unknown as [string, string, string];
  let i = 0;
  const cell = (): number => {
    const geometry = /^\d+x\d+,\d+,\d+/.exec(body.slice(i));
    if (!geometry) throw new Error(`expected WIDTHxHEIGHT,X,Y at character ${i + 6}`);
    i += geometry[0].length;
    const open = body[i];
    if (open === '{' || open === '[') {
      const close = open === '{' ? '}' : ']';
      i++;
      let count = 0;
      for (;;) {
        count += cell();
        if (body[i] === ',') {
          i++;
          continue;
        }
        if (body[i] === close) {
          i++;
          return count;
        }
        throw new Error(`expected "," or "${close}" at character ${i + 6}`);
      }
    }
    const id = /^,\d+/.exec(body.slice(i));
    if (!id) throw new Error(`expected ",PANE" or a "{" / "[" group at character ${i + 6}`);
    i += id[0].length;
    return 1;
  };
  try {
    const panes = cell();
    if (i !== body.length) return { error: `unexpected text at character ${i + 6}` };
    const right = layoutChecksum(body);
    if (right !== sum) return { error: `checksum ${sum} does not match the layout (it should be ${right})` };
    return { panes };
  } catch (error) {
    return { error: (error as Error).message };
  }
}
