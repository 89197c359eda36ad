// Plain HTTP for the dashboard (node:http, no framework): the security headers every answer
// carries, JSON bodies with a size limit, event-stream responses, and listening on the first free
// port from the one asked for.
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import { OrchestratorError } from '../core/errors.js';

const MAX_BODY = 64 * 1024;

export const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** Sends a whole response with the security headers. */
export function send(
  res: ServerResponse,
  status: number,
  type: string,
  body: string,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': type,
    'Content-Length': String(Buffer.byteLength(body)),
    ...headers,
  });
  res.end(body);
}

/** Whether the answer should be a page rather than JSON. */
export const wantsHtml = (req: IncomingMessage, path: string): boolean =>
  path === '/' || (req.headers.accept ?? '').includes('text/html');

/** Reads a JSON body of at most 64 KB (an oversized one is read to its end, then refused). */
export function readJsonBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) {
        reject(new OrchestratorError(`the request body is over ${MAX_BODY} bytes`));
        return;
      }
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new OrchestratorError('the body is not valid JSON'));
      }
    });
    req.on('error', reject);
  });
}

/** Starts an event-stream response (no timeout, no buffering). */
export function startEventStream(req: IncomingMessage, res: ServerResponse): void {
  req.socket.setNoDelay(true);
  req.socket.setTimeout(0);
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/event-stream; charset=utf-8',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write('retry: 1000\n\n');
}

/** One server-sent event. */
export const sseEvent = (event: string, payload: string): string => `event: ${event}\ndata: ${payload}\n\n`;

/** The host part of a URL for an address we listen on (a wildcard becomes the loopback name). */
export function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Listens on the first free port from `port` on; says which one it got. */
export async function listen(http: HttpServer, host: string, port: number, tries: number): Promise<number> {
  for (let p = port, n = 0; ; p++, n++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (error: Error): void => {
          http.off('listening', ok);
          reject(error);
        };
        const ok = (): void => {
          http.off('error', fail);
          resolve();
        };
        http.once('error', fail);
        http.once('listening', ok);
        http.listen(p, host);
      });
      const address = http.address();
      return typeof address === 'object' && address ? address.port : p;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && port !== 0 && n + 1 < tries) continue;
      if (code === 'EADDRINUSE')
        throw new OrchestratorError(`ports ${port}-${p} on ${host} are all in use; pass --port to choose another`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN')
        throw new OrchestratorError(`cannot listen on ${host}: no such address on this machine (${code})`);
      if (code === 'EACCES')
        throw new OrchestratorError(`not allowed to listen on ${host}:${p} (ports below 1024 need privileges)`);
      throw error;
    }
  }
}
