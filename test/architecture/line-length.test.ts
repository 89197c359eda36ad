// Lines at most 120 columns: Biome's formatter keeps code there (npm run lint checks it); what it
// cannot break (a long template literal, a comment, a string) is counted per file, and each count
// may only shrink (long-lines.json), so new code is written within the width.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmux.js';

const WIDTH = 120;
const ROOTS = ['src', 'test', 'bench', 'scripts'];

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.m?ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Each source file with lines over the width, and how many. */
export function longLines(root: string): Record<string, number> {
  const files = [...ROOTS.flatMap((d) => sources(join(root, d))), join(root, 'start.mts')].filter((f) => existsSync(f));
  const counts: Record<string, number> = {};
  for (const file of files) {
    const n = readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => [...l].length > WIDTH).length;
    if (n) counts[relative(root, file)] = n;
  }
  return counts;
}

test('the count finds long lines in .ts and .mts files, by characters (not bytes)', (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'src'));
  mkdirSync(join(root, 'bench'));
  writeFileSync(join(root, 'src', 'a.ts'), `${'x'.repeat(121)}\n${'y'.repeat(120)}\n${'é'.repeat(100)}\n`);
  writeFileSync(join(root, 'bench', 'b.mts'), `${'z'.repeat(200)}\n`);
  writeFileSync(join(root, 'src', 'c.json'), `${'z'.repeat(200)}\n`);
  assert.deepEqual(longLines(root), { 'src/a.ts': 1, 'bench/b.mts': 1 });
});

test(`lines over ${WIDTH} columns: no file has more than its allowance, and a shrunk count lowers it`, () => {
  const allowed = JSON.parse(readFileSync(join(repoRoot, 'test', 'architecture', 'long-lines.json'), 'utf8')) as Record<
    string,
    number
  >;
  const found = longLines(repoRoot);
  const over = Object.entries(found)
    .filter(([f, n]) => n > (allowed[f] ?? 0))
    .map(([f, n]) => `${f}: ${n} (allowed ${allowed[f] ?? 0})`);
  assert.deepEqual(over, [], `lines over ${WIDTH} columns: break them (npx biome format --write does what it can)`);
  const stale = Object.entries(allowed)
    .filter(([f, n]) => (found[f] ?? 0) < n)
    .map(([f, n]) => `${f}: ${found[f] ?? 0} (allowed ${n})`);
  assert.deepEqual(stale, [], 'fewer long lines than allowed: lower the count in test/architecture/long-lines.json');
});
