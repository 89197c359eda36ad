// Reads a Messages API request the way the scripted stand-in needs it: the last real user prompt,
// how many assistant turns followed it, the last tool result, and the cwd the CLI reported.

/** One content block of a message, loosely typed (the stand-in only reads a few fields). */
export interface ContentBlock {
  type: string;
  text?: string;
  content?: unknown;
  is_error?: boolean;
  tool_use_id?: string;
  [key: string]: unknown;
}

/** One message as the CLI sends it (roles seen: user, assistant and, mid-conversation, system). */
export interface ApiMessage {
  role: string;
  content: string | ContentBlock[];
}

/** The parts of a POST /v1/messages body the stand-in looks at. */
export interface MessagesBody {
  model?: string;
  stream?: boolean;
  system?: string | { type?: string; text?: string }[];
  messages?: ApiMessage[];
  tools?: unknown[];
  [key: string]: unknown;
}

/** What the scenario logic needs to know about one request. */
export interface Turn {
  /** The last real user prompt, without <system-reminder> blocks ('' if none). */
  prompt: string;
  /** Assistant turns after that prompt: 0 on the first request of a turn. */
  step: number;
  /** The last tool result after the prompt, if any. */
  lastResult?: { text: string; isError: boolean };
  /** The working directory named in the system prompt ("Primary working directory: ..."). */
  cwd?: string;
  /** Whether the request offers tools; side requests (titles etc.) do not. */
  hasTools: boolean;
}

const blocksOf = (message: ApiMessage): ContentBlock[] =>
  typeof message.content === 'string'
    ? [{ type: 'text', text: message.content }]
    : Array.isArray(message.content)
      ? message.content
      : [];

/** Removes the <system-reminder> blocks the CLI adds to user messages. */
export function stripReminders(text: string): string {
  return text.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim();
}

/** The text of a tool_result's content (a string or a list of text blocks). */
export function resultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((b: ContentBlock) => (b && b.type === 'text' && typeof b.text === 'string' ? b.text : ''))
    .join('\n');
}

/** The text the CLI puts after a turn that was interrupted (also "... for tool use]"). */
const INTERRUPTED = /^\[Request interrupted by user/;

/**
 * A user message's prompt text, or undefined when it only carries tool results or reminders. A
 * prompt sent after an interrupted turn arrives in one message with the interrupted prompt and the
 * interrupt notice before it: only the text after the last notice is the new prompt.
 */
export function promptOf(message: ApiMessage): string | undefined {
  if (message.role !== 'user') return undefined;
  const all = blocksOf(message);
  if (all.some((b) => b.type === 'tool_result')) return undefined;
  const cut = all.map((b) => b.type === 'text' && INTERRUPTED.test(b.text ?? '')).lastIndexOf(true);
  const blocks = cut >= 0 && cut < all.length - 1 ? all.slice(cut + 1) : all;
  const text = blocks
    .map((b) => (b.type === 'text' && typeof b.text === 'string' ? stripReminders(b.text) : ''))
    .filter(Boolean)
    .join('\n');
  return text || undefined;
}

/** The system prompt as one string. */
export function systemText(body: MessagesBody): string {
  if (typeof body.system === 'string') return body.system;
  return Array.isArray(body.system) ? body.system.map((b) => b.text ?? '').join('\n') : '';
}

/** Reads the turn state of a request. */
export function readTurn(body: MessagesBody): Turn {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  let index = -1;
  let prompt = '';
  for (let i = messages.length - 1; i >= 0; i--) {
    const text = promptOf(messages[i]!);
    if (text !== undefined) {
      index = i;
      prompt = text;
      break;
    }
  }
  const after = messages.slice(index + 1);
  const step = after.filter((m) => m.role === 'assistant').length;
  let lastResult: Turn['lastResult'];
  for (const message of after) {
    if (message.role !== 'user') continue;
    for (const block of blocksOf(message)) {
      if (block.type === 'tool_result')
        lastResult = { text: resultText(block.content), isError: block.is_error === true };
    }
  }
  const cwd = /Primary working directory: *(.+)/.exec(systemText(body))?.[1]?.trim();
  const hasTools = Array.isArray(body.tools) && body.tools.length > 0;
  return { prompt, step, ...(lastResult ? { lastResult } : {}), ...(cwd ? { cwd } : {}), hasTools };
}
