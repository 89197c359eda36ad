// The architecture, checked: nothing outside src/cli/ imports src/cli/, src/tmux/ knows nothing of
// the store, src/tasks/ does no delivery IO, and neither modules nor folders import each other in a
// cycle (type imports count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dirname } from 'node:path';
import { cycles, folderGraph, importGraph } from './imports.js';
import { repoRoot } from '../helpers/paths.js';

const graph = importGraph(repoRoot);
const importers = (from: (f: string) => boolean, to: (f: string) => boolean): string[] =>
  [...graph].flatMap(([f, tos]) => (from(f) ? tos.filter(to).map((t) => `${f} -> ${t}`) : []));

test('the import graph is read: every module of src/ with its imports', () => {
  assert.ok(graph.size > 50, `modules: ${graph.size}`);
  assert.ok(
    graph.get('src/tasks/tasks.ts')?.includes('src/tasks/lifecycle.ts'),
    'src/tasks/tasks.ts imports src/tasks/lifecycle.ts',
  );
  // The checker finds what it is for.
  assert.deepEqual(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['c']],
        ['c', ['a']],
        ['d', ['a']],
      ]),
    ),
    [['a', 'b', 'c']],
  );
});

test('nothing outside src/cli/ imports src/cli/', () => {
  assert.deepEqual(
    importers(
      (f) => !f.startsWith('src/cli/'),
      (t) => t.startsWith('src/cli/'),
    ),
    [],
  );
});

test('src/tmux/ imports nothing of the store or any other domain: only itself, src/core/ and src/util/', () => {
  assert.deepEqual(
    importers(
      (f) => f.startsWith('src/tmux/'),
      (t) => !['src/tmux/', 'src/core/', 'src/util/'].some((ok) => t.startsWith(ok)),
    ),
    [],
  );
});

test('no import cycle between modules', () => {
  assert.deepEqual(cycles(graph), []);
});

test('no import cycle between folders', () => {
  const found = cycles(folderGraph(graph));
  const why = found.map(
    (c) =>
      `${c.join(' <-> ')}: ${importers(
        (f) => c.includes(dirname(f)),
        (t) => c.includes(dirname(t)),
      )
        .filter((e) => {
          const [a, b] = e.split(' -> ');
          return dirname(a!) !== dirname(b!);
        })
        .join('; ')}`,
  );
  assert.deepEqual(why, []);
});

test('src/tasks/ does no delivery IO: nothing of tmux, hosts, ssh or the headless runner (that is src/delivery/)', () => {
  const io = ['src/tmux/', 'src/hosts/', 'src/ssh/', 'src/headless/', 'src/delivery/'];
  assert.deepEqual(
    importers(
      (f) => f.startsWith('src/tasks/'),
      (t) => io.some((d) => t.startsWith(d)),
    ),
    [],
  );
});
