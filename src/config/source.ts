// Reads a YAML file keeping positions, and turns offsets into "file:line:col" problems.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, type Document } from 'yaml';
import type { Issue } from './schema.js';
import { OrchestratorError } from '../core/errors.js';

/** A problem reported to the user: where, which field, what is wrong. */
export interface Problem {
  file: string;
  line: number;
  col: number;
  path: string;
  message: string;
}

/** A layout or workflow file with problems (exit 2), each as file:line:col path: message. */
export class ConfigError extends OrchestratorError {
  constructor(
    readonly problems: Problem[],
    what = 'layout',
  ) {
    super(
      `${problems.map(formatProblem).join('\n')}\n${problems.length} problem${problems.length === 1 ? '' : 's'} in the ${what}; nothing was started.`,
      2,
    );
  }
}

/** file:line:col path: message */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}

/** A parsed YAML source with a way to place offsets. */
export interface Source {
  file: string;
  doc: Document.Parsed;
  problems: Problem[];
  place(issue: Issue): Problem;
}

/** Files larger than this are not layouts or workflows (and would take long to read). */
const MAX_BYTES = 4 * 1024 * 1024;

/** The offset of the first byte that does not begin a well-formed UTF-8 sequence, or -1. */
function firstBadByte(bytes: Buffer): number {
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    const n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
    if (!n || i + n > bytes.length) return i;
    for (let k = 1; k < n; k++) if ((bytes[i + k]! & 0xc0) !== 0x80) return i;
    // Overlong forms, surrogates and code points past U+10FFFF (as TextDecoder rejects them).
    const second = bytes[i + 1] ?? 0;
    if (
      (b === 0xe0 && second < 0xa0) ||
      (b === 0xed && second > 0x9f) ||
      (b === 0xf0 && second < 0x90) ||
      (b === 0xf4 && second > 0x8f)
    )
      return i;
    i += n;
  }
  return -1;
}

/** The text of a file that must be UTF-8, or the offset of the first byte that is not. */
function decode(bytes: Buffer): { text: string } | { badAt: number } {
  const bad = firstBadByte(bytes);
  return bad < 0 ? { text: bytes.toString('utf8') } : { badAt: bad };
}

/** What the YAML library said, in our words where its own would puzzle a user. */
function yamlMessage(error: { code: string; message: string }, text: string, offset: number): string {
  const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  if (/call stack/i.test(message))
    return 'YAML nesting is too deep to read (expected a layout or workflow nested a few levels, not thousands)';
  if (error.code === 'MULTIPLE_DOCS' || /multiple documents/i.test(message)) {
    return `the file holds more than one YAML document (a "---" line starts another one${offset < text.length ? ' here' : ''}); expected one document: remove the extra "---" and what follows, or split it into files`;
  }
  return `YAML ${error.code === 'TAB_AS_INDENT' ? 'indentation' : 'syntax'}: ${message}`;
}

/** Reads and parses file; YAML syntax errors (tabs, bad indentation, duplicate keys) become problems. */
export function readSource(file: string, label = file): Source {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      (
        { ENOENT: 'no such file', EISDIR: 'it is a directory, not a file', EACCES: 'permission denied' } as Record<
          string,
          string
        >
      )[code ?? ''] ??
      code ??
      String(error);
    throw new OrchestratorError(`${label}: cannot read (${why})`, 2);
  }
  if (bytes.length > MAX_BYTES)
    throw new OrchestratorError(
      `${label}: is ${bytes.length} bytes (expected a YAML file of at most ${MAX_BYTES / 1024 / 1024} MB)`,
      2,
    );
  const decoded = decode(bytes);
  const text = 'text' in decoded ? decoded.text : new TextDecoder().decode(bytes.subarray(0, decoded.badAt));
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    // The parser itself gave up (it recurses per nesting level).
    doc = parseDocument('', { lineCounter: new LineCounter() });
    doc.errors.push({
      code: 'BAD_INDENT',
      message: (error as Error).message,
      pos: [0, 0],
      name: 'YAMLParseError',
      linePos: undefined,
    } as never);
  }
  const place = (issue: Issue): Problem => {
    const { line, col } = lineCounter.linePos(issue.offset);
    return { file: label, line, col, path: issue.path, message: issue.message };
  };
  if ('badAt' in decoded) {
    // Positions count characters of the decoded text: the bad byte sits right after what decoded.
    const byte = bytes[decoded.badAt] ?? 0;
    return {
      file: label,
      doc,
      problems: [
        place({
          offset: text.length,
          path: '',
          message: `is not UTF-8 text (byte 0x${byte.toString(16).padStart(2, '0')} here); save the file as UTF-8`,
        }),
      ],
      place,
    };
  }
  const problems = [...doc.errors, ...doc.warnings].map((e) =>
    place({ offset: e.pos[0], path: '', message: yamlMessage(e, text, e.pos[0]) }),
  );
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
