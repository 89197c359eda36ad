// The wire format of the Messages API: a reply as an SSE event stream or as one JSON message,
// usage numbers, and error bodies.
import { randomBytes } from 'node:crypto';
import type { OutBlock } from './scenarios.js';

/** Token counts reported for one reply (never zero, so cost tracking has something to add up). */
export interface Usage {
  input_tokens: number;
  output_tokens: number;
}

/** One server-sent event: its name and JSON payload. */
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** A rough token estimate: a quarter of the characters, at least 1. */
export const estimateTokens = (text: string): number => Math.max(1, Math.ceil(text.length / 4));

/** A fresh message id in the API's style. */
export const messageId = (): string => `msg_standin_${randomBytes(10).toString('hex')}`;

/** Output usage for a reply: its text and tool inputs, estimated. */
export function usageFor(requestText: string, content: OutBlock[]): Usage {
  const out = content.map((b) => (b.type === 'text' ? b.text : JSON.stringify(b.input))).join('');
  return { input_tokens: estimateTokens(requestText), output_tokens: estimateTokens(out) + 1 };
}

/** Splits text into a few chunks, as a streamed reply would arrive. */
function chunks(text: string, size = 24): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length ? out : [''];
}

/** The events of a streamed reply, in the order the real API sends them. */
export function replyEvents(
  id: string,
  model: string,
  content: OutBlock[],
  stopReason: string,
  usage: Usage,
): SseEvent[] {
  const events: SseEvent[] = [
    {
      event: 'message_start',
      data: {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: usage.input_tokens,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 0,
            output_tokens: 1,
          },
        },
      },
    },
  ];
  content.forEach((block, index) => {
    const start =
      block.type === 'text'
        ? { type: 'text', text: '' }
        : { type: 'tool_use', id: block.id, name: block.name, input: {} };
    events.push({ event: 'content_block_start', data: { type: 'content_block_start', index, content_block: start } });
    const parts = block.type === 'text' ? chunks(block.text) : chunks(JSON.stringify(block.input), 64);
    for (const part of parts) {
      const delta =
        block.type === 'text' ? { type: 'text_delta', text: part } : { type: 'input_json_delta', partial_json: part };
      events.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index, delta } });
    }
    events.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index } });
  });
  events.push({
    event: 'message_delta',
    data: {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
  });
  events.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return events;
}

/** One event in SSE framing. */
export const formatEvent = (e: SseEvent): string => `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;

/** The same reply as one non-streamed JSON message. */
export function replyMessage(
  id: string,
  model: string,
  content: OutBlock[],
  stopReason: string,
  usage: Usage,
): Record<string, unknown> {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content,
    stop_reason: stopReason,
    stop_sequence: null,
    usage: { ...usage, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
  };
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

/** The API's error body for an HTTP status. */
export function errorBody(
  status: number,
  message?: string,
): { type: 'error'; error: { type: string; message: string } } {
  const type = ERROR_TYPES[status] ?? 'api_error';
  return { type: 'error', error: { type, message: message ?? `stand-in scripted ${status} (${type})` } };
}
