// Reads a YAML file keeping positions, and turns offsets into "file:line:col" problems.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Issue } from './schema.js';

/** A problem reported to the user: where, which field, what is wrong. */
export interface Problem { file: string; line: number; col: number; path: string; message: string }

/** file:line:col path: message */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** A parsed YAML source with a way to place offsets. */
export interface Source { file: string; doc: Document.Parsed; problems: Problem[]; place(issue: Issue): Problem }

/** Reads and parses file; YAML syntax errors (tabs, bad indentation, duplicate keys) become problems. */
export function readSource(file: string, label = file): Source {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`${label}: cannot read (${code === 'ENOENT' ? 'no such file' : code ?? String(error)})`);
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const place = (issue: Issue): Problem => {
    const { line, col } = lineCounter.linePos(issue.offset);
    return { file: label, line, col, path: issue.path, message: issue.message };
  };
  const problems = [...doc.errors, ...doc.warnings].map((e) => {
    const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return place({ offset: e.pos[0], path: '', message: `YAML ${e.code === 'TAB_AS_INDENT' ? 'indentation' : 'syntax'}: ${message}` });
  });
  return { file: label, doc, problems, place };
}

/** Offset of the node at path (e.g. ['windows', 0, 'panes', 1, 'cwd']), or of its nearest parent. */
export function offsetAt(doc: Document.Parsed, path: readonly (string | number)[]): number {
  for (let n = path.length; n >= 0; n--) {
    const node = doc.getIn(path.slice(0, n), true) as { range?: [number, number, number] } | undefined;
    if (node?.range) return node.range[0];
  }
  return 0;
}
