// Scripted replies chosen by [[markers]] in the prompt. Stateless: the reply depends only on the
// request (prompt markers + how many assistant turns followed the prompt), so parallel agents,
// retries and resumed sessions all work without bookkeeping.
import { randomBytes } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Turn } from './conversation.js';

/** A content block of a scripted reply. */
export type OutBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** What the server should do with one request. */
export type Reply =
  | { kind: 'message'; content: OutBlock[]; stopReason: 'end_turn' | 'tool_use'; delayMs: number }
  | { kind: 'error'; status: number; delayMs: number }
  | { kind: 'hang' }
  | { kind: 'drop'; delayMs: number };

type Result = Turn['lastResult'];
type Step =
  | { kind: 'tool'; name: string; input: Record<string, unknown>; summary: (r: Result) => string }
  | { kind: 'error'; status: number }
  | { kind: 'hang' }
  | { kind: 'drop' };

/** The marker names the stand-in understands, e.g. "[[write /tmp/x hello]]". */
export const MARKERS = ['write', 'read', 'edit', 'bash', 'tool', 'say', 'slow', 'error', 'hang', 'drop'] as const;

const MARKER = /\[\[(\w+)(?:\s+([\s\S]*?))?\s*\]\]/g;
const QUOTED = /^"(?:[^"\\]|\\.)*"/;

/** Splits off `count` leading tokens (bare or JSON-quoted) and returns them plus the rest. */
export function splitArgs(text: string, count: number): string[] {
  const out: string[] = [];
  let rest = text.trim();
  while (out.length < count && rest) {
    const quoted = QUOTED.exec(rest)?.[0];
    const token = quoted ?? /^\S+/.exec(rest)![0];
    out.push(quoted ? (JSON.parse(quoted) as string) : token);
    rest = rest.slice(token.length).trimStart();
  }
  const whole = QUOTED.exec(rest)?.[0] === rest && rest ? (JSON.parse(rest) as string) : rest;
  return [...out, whole];
}

const firstLine = (text: string): string =>
  text
    .replace(/<\/?tool_use_error>/g, '')
    .split('\n')
    .find((l) => l.trim())
    ?.trim() ?? '';
const failed = (r: Result): string | undefined => (r?.isError ? `failed: ${firstLine(r.text)}` : undefined);

/** The steps, reply delay and closing text a prompt's markers ask for. */
function script(turn: Turn): { steps: Step[]; delayMs: number; say?: string; problem?: string } {
  const steps: Step[] = [];
  let delayMs = 0;
  let say: string | undefined;
  const file = (p: string): string => (isAbsolute(p) || !turn.cwd ? p : resolve(turn.cwd, p));
  for (const [, name, args = ''] of turn.prompt.matchAll(MARKER)) {
    if (name === 'write') {
      const [path = '', content = ''] = splitArgs(args, 1);
      const file_path = file(path);
      steps.push({
        kind: 'tool',
        name: 'Write',
        input: { file_path, content },
        summary: (r) => failed(r) ?? `wrote ${file_path}`,
      });
    } else if (name === 'read' || name === 'edit') {
      const [path = '', old_string = '', new_string = ''] = splitArgs(args, 2);
      const file_path = file(path);
      steps.push({
        kind: 'tool',
        name: 'Read',
        input: { file_path },
        summary: (r) => failed(r) ?? `read ${file_path}`,
      });
      if (name === 'edit') {
        steps.push({
          kind: 'tool',
          name: 'Edit',
          input: { file_path, old_string, new_string, replace_all: false },
          summary: (r) => failed(r) ?? `edited ${file_path}`,
        });
      }
    } else if (name === 'bash') {
      const [command = ''] = splitArgs(args, 0);
      steps.push({
        kind: 'tool',
        name: 'Bash',
        input: { command, description: `Run ${command.slice(0, 40)}` },
        summary: (r) => firstLine(r?.text ?? '') || '(no output)',
      });
    } else if (name === 'tool') {
      const [tool = '', json = ''] = splitArgs(args, 1);
      let input: unknown = {};
      try {
        input = json ? JSON.parse(json) : {};
      } catch {
        return { steps, delayMs, problem: `bad JSON in [[tool ${tool}]]: ${json.slice(0, 80)}` };
      }
      steps.push({
        kind: 'tool',
        name: tool,
        input: input as Record<string, unknown>,
        summary: (r) => `tool result: ${(r?.text ?? '').slice(0, 200)}`,
      });
    } else if (name === 'say') say = splitArgs(args, 0)[0];
    else if (name === 'slow') delayMs += Number.parseInt(args, 10) || 0;
    else if (name === 'error') steps.push({ kind: 'error', status: Number.parseInt(args, 10) || 500 });
    else if (name === 'hang' || name === 'drop') steps.push({ kind: name });
  }
  return { steps, delayMs, ...(say !== undefined ? { say } : {}) };
}

const toolId = (): string => `toolu_standin_${randomBytes(10).toString('hex')}`;
const text = (t: string, delayMs: number): Reply => ({
  kind: 'message',
  content: [{ type: 'text', text: t }],
  stopReason: 'end_turn',
  delayMs,
});

/** The reply to one POST /v1/messages request, given its turn state (see readTurn). */
export function planReply(turn: Turn, sideReply = 'Stand-in session'): Reply {
  if (!turn.hasTools) return text(sideReply, 0);
  const { steps, delayMs, say, problem } = script(turn);
  if (problem) return text(`stand-in: ${problem}`, delayMs);
  const step = steps[turn.step];
  if (step?.kind === 'tool') {
    return {
      kind: 'message',
      content: [{ type: 'tool_use', id: toolId(), name: step.name, input: step.input }],
      stopReason: 'tool_use',
      delayMs,
    };
  }
  if (step?.kind === 'error') return { kind: 'error', status: step.status, delayMs };
  if (step?.kind === 'drop') return { kind: 'drop', delayMs };
  if (step?.kind === 'hang') return { kind: 'hang' };
  const last = [...steps].reverse().find((s) => s.kind === 'tool');
  const closing = say ?? (last?.kind === 'tool' ? last.summary(turn.lastResult) : `OK: ${turn.prompt.slice(0, 60)}`);
  return text(closing, delayMs);
}
