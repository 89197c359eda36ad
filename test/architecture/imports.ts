// The import graph of src/: every module's imports (static, dynamic and type-only alike), read from
// the TypeScript sources, so layering rules and cycles can be checked without a bundler.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/** Module path (relative to the root, e.g. "src/tasks/tasks.ts") -> the modules it imports. */
export type ImportGraph = Map<string, string[]>;

const IMPORT =
  /(?:^|[^\w.])(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,]+\s+from\s+)?['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.m?ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/** Reads every .ts module under root/dir and what of it each imports. */
export function importGraph(root: string, dir = 'src'): ImportGraph {
  const graph: ImportGraph = new Map();
  for (const file of sources(join(root, dir))) {
    const text = readFileSync(file, 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, '')
      .replace(/^\s*\/\/.*$/gm, '');
    const targets = new Set<string>();
    for (const [, a, b] of text.matchAll(IMPORT)) {
      const spec = a ?? b ?? '';
      if (!spec.startsWith('.')) continue;
      targets.add(relative(root, resolve(dirname(file), spec)).replace(/\.m?js$/, '.ts'));
    }
    graph.set(relative(root, file), [...targets]);
  }
  return graph;
}

/** Strongly connected components with more than one member (or a self-edge): the cycles. */
export function cycles(graph: ImportGraph): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  // Tarjan's algorithm, iterative (explicit frames), over the graph's nodes.
  for (const start of graph.keys()) {
    if (indexOf.has(start)) continue;
    const frames: { node: string; next: number }[] = [{ node: start, next: 0 }];
    indexOf.set(start, index);
    low.set(start, index);
    index++;
    stack.push(start);
    onStack.add(start);
    while (frames.length) {
      const frame = frames.at(-1)!;
      const edges = (graph.get(frame.node) ?? []).filter((n) => graph.has(n));
      if (frame.next < edges.length) {
        const to = edges[frame.next++]!;
        if (!indexOf.has(to)) {
          indexOf.set(to, index);
          low.set(to, index);
          index++;
          stack.push(to);
          onStack.add(to);
          frames.push({ node: to, next: 0 });
        } else if (onStack.has(to)) {
          low.set(frame.node, Math.min(low.get(frame.node)!, indexOf.get(to)!));
        }
        continue;
      }
      frames.pop();
      const parent = frames.at(-1);
      if (parent) low.set(parent.node, Math.min(low.get(parent.node)!, low.get(frame.node)!));
      if (low.get(frame.node) === indexOf.get(frame.node)) {
        const component: string[] = [];
        let member: string;
        do {
          member = stack.pop()!;
          onStack.delete(member);
          component.push(member);
        } while (member !== frame.node);
        if (component.length > 1 || (graph.get(frame.node) ?? []).includes(frame.node)) found.push(component.sort());
      }
    }
  }
  return found;
}

/** The graph of folders: src/a -> src/b when a module in a imports one in b. */
export function folderGraph(graph: ImportGraph): ImportGraph {
  const folders: ImportGraph = new Map();
  for (const [from, tos] of graph) {
    const f = dirname(from);
    const set = new Set(folders.get(f) ?? []);
    for (const to of tos) if (dirname(to) !== f) set.add(dirname(to));
    folders.set(f, [...set]);
  }
  for (const tos of [...folders.values()]) for (const to of tos) if (!folders.has(to)) folders.set(to, []);
  return folders;
}
