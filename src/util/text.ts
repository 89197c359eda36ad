// Text for tables and summaries.

/** Text on one line (runs of white space as one space), cut to n characters with an ellipsis. */
export const oneLine = (s: string | null | undefined, n: number): string => {
  const t = (s ?? '').replace(/\s+/g, ' ').trim();
  return t.length > n ? `${t.slice(0, n - 1)}…` : t;
};
