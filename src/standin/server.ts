// A scripted local stand-in for the Anthropic Messages API, for tests and --demo mode: point the
// real claude CLI at it with ANTHROPIC_BASE_URL and steer replies with [[markers]] in the prompt.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readTurn, type MessagesBody } from './conversation.js';
import { planReply, type Reply } from './scenarios.js';
import { errorBody, estimateTokens, formatEvent, messageId, replyEvents, replyMessage, usageFor } from './sse.js';

/** One logged request. */
export interface StandinRequest {
  time: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  /** Number of messages in a /v1/messages body (a resumed session sends its earlier turns). */
  messageCount?: number;
  /** The last real user prompt and the step within it, as the scenario logic saw them. */
  prompt?: string;
  step?: number;
  /** A side request without tools (e.g. title generation): answered with plain text, outside any scenario. */
  side?: boolean;
  /** What the stand-in answered: message kinds, an error status, hang or drop. */
  reply?: string;
}

/** An answer the stand-in gives every model request (with tools) while it is set: a rate limit, an overload, a usage limit. */
export interface Refusal {
  status: number;
  retryAfterS?: number;
  message?: string;
  type?: string /** Only requests whose prompt this matches (default: all). */;
  match?: RegExp;
}

/** A running stand-in. */
export interface Standin {
  url: string;
  port: number;
  requests: StandinRequest[];
  /** From now on, answer every model request with this error (null: answer normally again). */
  refuse(refusal: Refusal | null): void;
  close(): Promise<void>;
}

/** Options: where to listen, a base latency for every reply, and a callback per logged request. */
export interface StandinOptions {
  port?: number;
  host?: string;
  latencyMs?: number;
  onRequest?: (request: StandinRequest) => void;
}

const LOGGED_HEADERS = [
  'x-claude-code-session-id',
  'user-agent',
  'anthropic-beta',
  'anthropic-version',
  'x-stainless-retry-count',
];

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req
      .on('data', (c: Buffer) => parts.push(c))
      .on('end', () => resolve(Buffer.concat(parts).toString('utf8')))
      .on('error', reject);
  });

const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
  res.writeHead(status, { 'content-type': 'application/json', 'request-id': `req_standin_${Date.now()}`, ...headers });
  res.end(JSON.stringify(body));
};

const describe = (reply: Reply): string =>
  reply.kind === 'message'
    ? reply.content.map((b) => (b.type === 'text' ? 'text' : `tool_use:${b.name}`)).join('+')
    : reply.kind === 'error'
      ? `error:${reply.status}`
      : reply.kind;

/** Timers the stand-in set, all cleared when it closes. */
class Timers {
  private readonly set = new Set<NodeJS.Timeout>();

  /** Runs fn after ms (now, for 0). */
  later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.set.delete(timer);
      fn();
    }, ms);
    this.set.add(timer);
  }

  clear(): void {
    for (const timer of this.set) clearTimeout(timer);
    this.set.clear();
  }
}

/** Sends a planned reply: an API error, a message (whole or streamed), or a stream dropped part way. */
function sendReply(
  req: IncomingMessage,
  res: ServerResponse,
  raw: string,
  body: MessagesBody,
  reply: Exclude<Reply, { kind: 'hang' }>,
  timers: Timers,
): void {
  if (reply.kind === 'error') {
    sendJson(res, reply.status, errorBody(reply.status), reply.status === 429 ? { 'retry-after': '1' } : {});
    return;
  }
  const model = body.model ?? 'claude-standin';
  const id = messageId();
  const content = reply.kind === 'message' ? reply.content : [{ type: 'text' as const, text: 'dropped' }];
  const stop = reply.kind === 'message' ? reply.stopReason : 'end_turn';
  const usage = usageFor(raw, content);
  if (!body.stream && reply.kind === 'drop') {
    req.socket.destroy();
    return;
  }
  if (!body.stream && reply.kind === 'message') {
    sendJson(res, 200, replyMessage(id, model, content, stop, usage));
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
  const events = replyEvents(id, model, content, stop, usage);
  if (reply.kind === 'drop') {
    res.write(events.slice(0, 3).map(formatEvent).join(''));
    timers.later(50, () => req.socket.destroy());
    return;
  }
  res.end(events.map(formatEvent).join(''));
}

/** Starts the stand-in on 127.0.0.1 (a free port unless one is given). */
export async function startStandin(opts: StandinOptions = {}): Promise<Standin> {
  const host = opts.host ?? '127.0.0.1';
  const requests: StandinRequest[] = [];
  let refusal: Refusal | null = null;
  const sockets = new Set<Socket>();
  const timers = new Timers();

  const answer = (req: IncomingMessage, res: ServerResponse, raw: string, entry: StandinRequest): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || !path?.startsWith('/v1/messages')) {
      if (req.method === 'HEAD' || path === '/') {
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(req.method === 'HEAD' ? undefined : 'claude API stand-in\n');
        return;
      }
      sendJson(res, 404, errorBody(404, `no route ${req.method} ${path}`));
      return;
    }
    const body = entry.body as MessagesBody | undefined;
    if (!body || typeof body !== 'object') {
      sendJson(res, 400, errorBody(400, 'body is not JSON'));
      return;
    }
    if (path === '/v1/messages/count_tokens') {
      sendJson(res, 200, { input_tokens: estimateTokens(raw) });
      return;
    }
    if (path !== '/v1/messages') {
      sendJson(res, 404, errorBody(404, `no route POST ${path}`));
      return;
    }
    const turn = readTurn(body);
    if (refusal && turn.hasTools && (!refusal.match || refusal.match.test(turn.prompt))) {
      Object.assign(entry, { prompt: turn.prompt, step: turn.step, side: false, reply: `refused:${refusal.status}` });
      const error = errorBody(refusal.status, refusal.message);
      if (refusal.type) error.error.type = refusal.type;
      sendJson(
        res,
        refusal.status,
        error,
        refusal.retryAfterS !== undefined ? { 'retry-after': String(refusal.retryAfterS) } : {},
      );
      return;
    }
    const reply = planReply(turn);
    Object.assign(entry, { prompt: turn.prompt, step: turn.step, side: !turn.hasTools, reply: describe(reply) });
    if (reply.kind === 'hang') return;
    timers.later((opts.latencyMs ?? 0) + reply.delayMs, () => sendReply(req, res, raw, body, reply, timers));
  };

  const server = createServer((req, res) => {
    readBody(req).then(
      (raw) => {
        let body: unknown;
        try {
          body = raw ? JSON.parse(raw) : undefined;
        } catch {
          body = undefined;
        }
        const headers = Object.fromEntries(
          LOGGED_HEADERS.flatMap((h) => (typeof req.headers[h] === 'string' ? [[h, req.headers[h] as string]] : [])),
        );
        const entry: StandinRequest = {
          time: new Date().toISOString(),
          method: req.method ?? '?',
          path: req.url ?? '/',
          headers,
          ...(body !== undefined ? { body } : {}),
          ...(Array.isArray((body as MessagesBody | undefined)?.messages)
            ? { messageCount: (body as MessagesBody).messages!.length }
            : {}),
        };
        requests.push(entry);
        answer(req, res, raw, entry);
        opts.onRequest?.(entry);
      },
      () => req.socket.destroy(),
    );
  });
  // Claude keeps its connection between turns: a stand-in that closed it after Node's default 5 s
  // raced a turn that began just then (ECONNRESET, a failed task). An API keeps it open far longer.
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    requests,
    refuse: (r) => {
      refusal = r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        timers.clear();
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      }),
  };
}
