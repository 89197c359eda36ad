// Text for tables and summaries.

/** Text on one line (runs of white space as one space), cut to n characters with an ellipsis. */
export const oneLine = (s: string | null | undefined, n: number): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};

/** The first n characters of a long text, with an ellipsis; shorter text (and null) as it is. */
export function clipText(text: string, n: number): string;
export function clipText(text: string | null, n: number): string | null;
export function clipText(text: string | null, n: number): string | null {
  return text && text.length > n ? `${text.slice(0, n)}…` : text;
}
