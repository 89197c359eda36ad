// Reads tmux state with -F format strings: fields declared once, joined by a separator that cannot
// occur in names or paths, and zipped back onto field names with a loud failure on a mismatch.

/** ASCII unit separator: tmux never puts it in ids, titles or paths. */
export const SEP = '\x1f';

/** Text tmux would expand as a format (#{...}, #(command)) kept literal: every # doubled. */
export const formatLiteral = (text: string): string => text.replace(/#/g, '##');

/** The format string for a list of tmux format variables, e.g. ['pane_id', 'pane_pid']. */
export function formatOf(fields: readonly string[]): string {
  return fields.map((f) => `#{${f}}`).join(SEP);
}

/** Parses tmux output produced with formatOf(fields) into one record per line. */
export function parseRows<F extends string>(fields: readonly F[], output: string): Record<F, string>[] {
  return output
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const values = line.split(SEP);
      if (values.length !== fields.length) {
        throw new Error(
          `tmux printed ${values.length} fields where ${fields.length} were asked for (${fields.join(', ')}): ${JSON.stringify(line)}`,
        );
      }
      return Object.fromEntries(fields.map((f, i) => [f, values[i] ?? ''])) as Record<F, string>;
    });
}
