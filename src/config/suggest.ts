// "Did you mean": the closest known word by edit distance, when it is close enough to be a typo.

function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

/** The known word closest to word, or undefined when none is a plausible typo of it. */
export function closest(word: string, known: readonly string[]): string | undefined {
  const norm = (s: string): string => s.toLowerCase().replace(/[-_]/g, '');
  let best: string | undefined;
  let bestScore = Infinity;
  for (const candidate of known) {
    const score = norm(candidate) === norm(word) ? 0 : distance(word.toLowerCase(), candidate.toLowerCase());
    if (score < bestScore) [best, bestScore] = [candidate, score];
  }
  // A guess that changes most of a short word ("zz" -> "a") is not a typo.
  const limit = Math.max(2, Math.floor(word.length / 3));
  return best !== undefined && bestScore <= limit && bestScore < Math.max(word.length, best.length) ? best : undefined;
}
