// A readable, live rendering of `claude -p --output-format stream-json --verbose` for a headless
// agent's pane: each NDJSON event becomes a few wrapped, coloured lines (the prompt, assistant text,
// tool calls with a short input, trimmed tool results, retries, errors, and a closing result line).
import { Chalk, type ChalkInstance } from 'chalk';
import { relative } from 'node:path';
import { printable, truncate, wrap } from './wrap.js';
import { formatUsd } from '../core/looks.js';

/** How to render: pane width in columns, and whether to colour. */
export interface RenderOptions {
  width: number;
  color: boolean;
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The content blocks of an assistant or user event's message. */
const blocks = (e: Json): Json[] => {
  const content = obj(e.message).content;
  return Array.isArray(content) ? content.map(obj) : [];
};

/** Most lines of a tool result shown; the rest are counted. */
const RESULT_LINES = 4;
/** Most lines of a prompt shown. */
const PROMPT_LINES = 12;

/** 0.6 s, 12.3 s, 2 m 05 s. */
export function formatDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} m ${String(s % 60).padStart(2, '0')} s`;
}

/** The text of a tool_result's content: a string, or text blocks. */
function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b) => {
      const block = obj(b);
      return block.type === 'text' ? (str(block.text) ?? '') : block.type === 'image' ? '[image]' : '';
    })
    .filter(Boolean)
    .join('\n');
}

/** Renders one task's stream; keeps what later events need (cwd, tool names by id). */
export class StreamRenderer {
  private readonly c: ChalkInstance;
  private cwd: string | undefined;
  private readonly tools = new Map<string, string>();

  constructor(private readonly opts: RenderOptions) {
    this.c = new Chalk({ level: opts.color ? 1 : 0 });
  }

  /** Changes the width (the pane was resized). */
  resize(width: number): void {
    this.opts.width = width;
  }

  private get width(): number {
    return Math.max(20, this.opts.width);
  }

  /** Lines: the first line after `first`, the rest after `rest` (same width), each coloured. */
  private block(
    text: string,
    first: string,
    rest: string,
    paint: (s: string) => string,
    maxLines = Infinity,
  ): string[] {
    const lines = wrap(text, this.width - first.length);
    const shown =
      lines.length > maxLines ? [...lines.slice(0, maxLines), `… ${lines.length - maxLines} more lines`] : lines;
    return shown.map((l, i) => `${i === 0 ? first : rest}${paint(l)}`);
  }

  /** The heading of a task: a rule with its id and time, then the prompt. */
  task(id: string, prompt: string, at = new Date()): string[] {
    const label = `━━ task ${id} · ${at.toTimeString().slice(0, 8)} `;
    const rule = truncate(label, this.width) + '━'.repeat(Math.max(0, this.width - label.length));
    return ['', this.c.bold.cyan(rule), ...this.block(prompt, '› ', '  ', (s) => this.c.bold(s), PROMPT_LINES)];
  }

  /** One line of claude's stdout, as rendered lines (none for events not worth showing). */
  line(raw: string): string[] {
    if (!raw.trim()) return [];
    let event: Json;
    try {
      event = obj(JSON.parse(raw));
    } catch {
      return [this.c.dim(truncate(printable(raw), this.width))];
    }
    const indent = event.parent_tool_use_id ? '  ' : '';
    return this.event(event).map((l) => indent + l);
  }

  private event(e: Json): string[] {
    switch (e.type) {
      case 'system':
        return this.system(e);
      case 'assistant':
        return blocks(e).flatMap((b) => this.assistantBlock(b));
      case 'user':
        return blocks(e).flatMap((b) => this.userBlock(b));
      case 'result':
        return this.result(e);
      default:
        return [];
    }
  }

  private system(e: Json): string[] {
    if (e.subtype === 'init') {
      this.cwd = str(e.cwd);
      const parts = [
        `session ${String(e.session_id ?? '?').slice(0, 8)}`,
        str(e.model),
        str(e.permissionMode),
        this.cwd,
      ].filter(Boolean);
      return [this.c.dim(truncate(`· ${parts.join(' · ')}`, this.width))];
    }
    if (e.subtype === 'api_retry') {
      const delay = num(e.retry_delay_ms);
      const text =
        `↻ API retry ${String(e.attempt ?? '?')}/${String(e.max_retries ?? '?')}: ${String(e.error_status ?? '')} ${String(e.error ?? '')}`.trimEnd();
      return [
        this.c.yellow(truncate(`${text}${delay !== undefined ? ` (in ${formatDuration(delay)})` : ''}`, this.width)),
      ];
    }
    if (e.subtype === 'hook_response' && e.outcome !== 'success' && e.outcome !== undefined) {
      return [
        this.c.yellow(
          truncate(
            `⚠ hook ${String(e.hook_name ?? e.hook_event ?? '')} ${String(e.outcome)}: ${printable(String(e.stderr ?? '')).split('\n')[0]}`,
            this.width,
          ),
        ),
      ];
    }
    if (e.subtype === 'compact_boundary') return [this.c.dim('· conversation compacted')];
    return [];
  }

  private assistantBlock(b: Json): string[] {
    if (b.type === 'text') {
      const text = str(b.text) ?? '';
      return /^API Error/.test(text)
        ? this.block(text, '✗ ', '  ', (s) => this.c.red(s))
        : this.block(text, '', '', (s) => s);
    }
    if (b.type === 'thinking') {
      return this.block(str(b.thinking) ?? '', '✻ ', '  ', (s) => this.c.dim.italic(s), 3);
    }
    if (b.type === 'tool_use') {
      const name = str(b.name) ?? 'tool';
      if (typeof b.id === 'string') this.tools.set(b.id, name);
      const summary = this.toolSummary(name, obj(b.input));
      const head = `⏺ ${name}`;
      return [
        this.c.magenta.bold(head) +
          (summary
            ? ` ${this.c.magenta(truncate(printable(summary).replace(/\n/g, ' ⏎ '), this.width - head.length - 1))}`
            : ''),
      ];
    }
    return [];
  }

  private userBlock(b: Json): string[] {
    if (b.type === 'text') {
      const text = str(b.text) ?? '';
      return this.block(text, '· ', '  ', (s) => this.c.yellow(s), 3);
    }
    if (b.type !== 'tool_result') return [];
    const isError = b.is_error === true;
    const text = printable(resultText(b.content))
      .replace(/<\/?tool_use_error>/g, '')
      .trimEnd();
    const lines = text ? text.split('\n') : ['(no output)'];
    const shown = lines.slice(0, RESULT_LINES).map((l) => truncate(l, this.width - 4));
    if (lines.length > RESULT_LINES) shown.push(`… ${lines.length - RESULT_LINES} more lines`);
    const paint = (s: string): string => (isError ? this.c.red(s) : this.c.dim(s));
    return shown.map((l, i) => `${i === 0 ? '  ⎿ ' : '    '}${paint(l)}`);
  }

  private result(e: Json): string[] {
    const stats = [
      num(e.num_turns) !== undefined ? `${String(e.num_turns)} turn${e.num_turns === 1 ? '' : 's'}` : undefined,
      num(e.total_cost_usd) !== undefined ? formatUsd(e.total_cost_usd as number) : undefined,
      num(e.duration_ms) !== undefined ? formatDuration(e.duration_ms as number) : undefined,
    ]
      .filter(Boolean)
      .join(' · ');
    const out: string[] = [];
    const denials = Array.isArray(e.permission_denials) ? e.permission_denials.map(obj) : [];
    if (denials.length) {
      const what = denials
        .map((d) => `${String(d.tool_name ?? 'tool')}${this.denialTarget(obj(d.tool_input))}`)
        .join(', ');
      out.push(
        ...this.block(
          `${denials.length} permission denial${denials.length === 1 ? '' : 's'}: ${what} (set permission_mode or allowed_tools in the layout)`,
          '⚠ ',
          '  ',
          (s) => this.c.yellow(s),
        ),
      );
    }
    if (e.is_error === true) {
      const why =
        e.subtype === 'error_during_execution'
          ? 'interrupted'
          : e.api_error_status
            ? `API error ${String(e.api_error_status)}`
            : String(e.subtype ?? 'error');
      out.push(this.c.red.bold(truncate(`✗ failed (${why}) · ${stats}`, this.width)));
    } else {
      out.push(this.c.green.bold(truncate(`✓ done · ${stats}`, this.width)));
    }
    return out;
  }

  private denialTarget(input: Json): string {
    const target = str(input.file_path) ?? str(input.command) ?? str(input.path);
    return target ? `(${truncate(this.path(target), 40)})` : '';
  }

  /** A path relative to the session's cwd when it is inside it. */
  private path(p: string): string {
    if (!this.cwd || !p.startsWith('/')) return p;
    const rel = relative(this.cwd, p);
    return rel && !rel.startsWith('..') ? rel : p;
  }

  /** A tool call's input in a few words. */
  private toolSummary(name: string, input: Json): string {
    const file = str(input.file_path) ?? str(input.notebook_path);
    switch (name) {
      case 'Bash':
        return str(input.command) ?? '';
      case 'Read':
      case 'Write':
      case 'Edit':
      case 'MultiEdit':
      case 'NotebookEdit':
        return file ? this.path(file) : '';
      case 'Glob':
      case 'Grep':
        return [str(input.pattern), str(input.path) && this.path(str(input.path)!)].filter(Boolean).join(' in ');
      case 'WebFetch':
        return str(input.url) ?? '';
      case 'WebSearch':
        return str(input.query) ?? '';
      case 'Task':
      case 'Agent':
        return str(input.description) ?? str(input.prompt) ?? '';
      case 'TodoWrite':
        return Array.isArray(input.todos) ? `${input.todos.length} items` : '';
      default: {
        const json = JSON.stringify(input);
        return json === '{}' ? '' : json;
      }
    }
  }

  /**
   * The line closing a task, after its result line: nothing more for a turn that ended with its
   * result, "cancelled" for an interrupted one; for a claude that exited during the task, its code
   * and stderr's tail.
   */
  turnEnd(code: number, stderrTail: string, how: { cancelled: boolean; exited: boolean }): string[] {
    if (how.cancelled)
      return [this.c.yellow(how.exited ? `■ cancelled (claude exited with code ${code})` : '■ cancelled')];
    if (!how.exited || code === 0) return [];
    const tail = printable(stderrTail).trim().split('\n').slice(-5).join('\n');
    return [
      this.c.red.bold(`✗ claude exited with code ${code} during the task`),
      ...(tail ? this.block(tail, '  ', '  ', (s) => this.c.red(s)) : []),
    ];
  }

  /** A note from the runner itself (waiting, a bad prompt file). */
  note(text: string, kind: 'info' | 'error' = 'info'): string[] {
    return this.block(text, '', '', (s) => (kind === 'error' ? this.c.red(s) : this.c.dim(s)));
  }
}
