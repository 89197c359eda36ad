// Plain HTTP for dashboard tests: node:http (fetch would not let a test send its own Host header),
// and a reader of server-sent events.
import { request as httpRequest, type IncomingHttpHeaders, type ClientRequest } from 'node:http';

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request to 127.0.0.1:port (or host) with exactly these headers (Host defaults to 127.0.0.1:port). */
export function request(
  port: number,
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: opts.host ?? '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        headers: { Host: `127.0.0.1:${port}`, ...opts.headers },
        setHost: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface SseEvent {
  event: string;
  data: string;
}

/** An open event stream: its status, the events received so far, and a wait for the next matching one. */
export interface EventStream {
  status: number;
  events: SseEvent[];
  next(match: (e: SseEvent) => boolean, timeoutMs?: number, what?: string): Promise<SseEvent>;
  close(): void;
}

/** Opens an event stream (resolves once the response headers arrive). */
export function openEvents(port: number, path: string, headers: Record<string, string> = {}): Promise<EventStream> {
  return new Promise((resolve, reject) => {
    let req: ClientRequest;
    const events: SseEvent[] = [];
    const waiters: { match: (e: SseEvent) => boolean; resolve: (e: SseEvent) => void; from: number }[] = [];
    const deliver = (): void => {
      for (const w of [...waiters]) {
        const found = events.slice(w.from).find(w.match);
        if (found) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(found);
        }
      }
    };
    req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: { Host: `127.0.0.1:${port}`, Accept: 'text/event-stream', ...headers },
        setHost: false,
      },
      (res) => {
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = block
              .split('\n')
              .filter((l) => l.startsWith('data: '))
              .map((l) => l.slice(6))
              .join('\n');
            if (event) events.push({ event, data });
          }
          deliver();
        });
        res.on('error', () => {});
        let consumed = 0;
        resolve({
          status: res.statusCode ?? 0,
          events,
          // Each call waits for an event after those an earlier call returned.
          next(match, timeoutMs = 10_000, what = 'an event') {
            return new Promise((ok, fail) => {
              const from = consumed;
              const timer = setTimeout(
                () =>
                  fail(
                    new Error(`no ${what} within ${timeoutMs} ms; got ${JSON.stringify(events.map((e) => e.event))}`),
                  ),
                timeoutMs,
              );
              waiters.push({
                match,
                from,
                resolve: (e) => {
                  clearTimeout(timer);
                  consumed = events.indexOf(e) + 1;
                  ok(e);
                },
              });
              deliver();
            });
          },
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}
