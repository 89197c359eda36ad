// Who may talk to the dashboard. Without a token it serves only loopback names (a page on another
// site that rebinds its DNS name to 127.0.0.1 is refused by its Host header); with a token every
// request and event stream must carry it (cookie, header or ?token=). Requests sent by a page
// (they carry Origin) must come from the dashboard's own origin, and actions also need a header
// that only the dashboard's own page can know, so no other site can forge one.
import { randomBytes, timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** A new random token (URL-safe). */
export const newToken = (): string => randomBytes(18).toString('base64url');

/** Whether an address (as given to --host) is a loopback one. */
export function isLoopbackAddress(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return (
    h === 'localhost' ||
    h === '::1' ||
    h === '0:0:0:0:0:0:0:1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    h === '::ffff:127.0.0.1'
  );
}

/** The host name part of a Host header ("[::1]:8888" -> "::1", "localhost:80" -> "localhost"). */
export function hostName(header: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(header);
  if (v6) return v6[1]!;
  return header.replace(/:\d+$/, '');
}

/** Whether a Host header names this machine's loopback (localhost, 127.x, [::1]). */
export const isLoopbackHostHeader = (header: string | undefined): boolean =>
  !!header && isLoopbackAddress(hostName(header));

/** Constant-time comparison of two secrets. */
export function sameSecret(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** Cookies of a request as a map (first one of each name wins). */
export function cookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (!out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export interface AccessConfig {
  /** Required on every request when set. */
  token: string | undefined;
  /** The cookie that carries the token (named after the port: cookies are shared between ports). */
  cookieName: string;
  /** Shown only to pages that passed the token check; actions must send it back as X-Orch-Csrf. */
  csrf: string;
}

export type Verdict =
  | { ok: true; tokenFrom?: 'query' | 'cookie' | 'header' }
  | { ok: false; status: number; message: string };

/** The token a request carries, and where it came from. */
function presentedToken(
  req: IncomingMessage,
  url: URL,
  cfg: AccessConfig,
): { value: string | undefined; from: 'query' | 'cookie' | 'header' | undefined } {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return { value: auth.slice(7).trim(), from: 'header' };
  const header = req.headers['x-orch-token'];
  if (typeof header === 'string') return { value: header, from: 'header' };
  const query = url.searchParams.get('token');
  if (query !== null) return { value: query, from: 'query' };
  const cookie = cookies(req).get(cfg.cookieName);
  return cookie ? { value: cookie, from: 'cookie' } : { value: undefined, from: undefined };
}

/** Checks Host, Origin and the token of any request. */
export function checkAccess(req: IncomingMessage, url: URL, cfg: AccessConfig): Verdict {
  const host = req.headers.host;
  if (!host) return { ok: false, status: 400, message: 'missing Host header' };
  if (!cfg.token && !isLoopbackHostHeader(host)) {
    return {
      ok: false,
      status: 403,
      message: `this dashboard answers only to localhost/127.0.0.1 (Host was ${JSON.stringify(host)}); to serve other names, start it with --token`,
    };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}`) {
    return { ok: false, status: 403, message: 'cross-origin request refused' };
  }
  if (req.headers['sec-fetch-site'] === 'cross-site' && req.method !== 'GET') {
    return { ok: false, status: 403, message: 'cross-site request refused' };
  }
  if (!cfg.token) return { ok: true };
  const { value, from } = presentedToken(req, url, cfg);
  if (!sameSecret(value, cfg.token)) {
    return {
      ok: false,
      status: 401,
      message: value
        ? 'wrong token'
        : 'this dashboard needs its token: open the URL it printed (…/?token=…), or run `orchestrate dashboard --url`',
    };
  }
  return { ok: true, ...(from ? { tokenFrom: from } : {}) };
}

/** Checks what an action (POST) needs beyond access: actions on, JSON, and the page's CSRF header. */
export function checkAction(req: IncomingMessage, cfg: AccessConfig): Verdict {
  if (!cfg.token)
    return {
      ok: false,
      status: 403,
      message: 'actions are off: start the dashboard with --token T (or --new-token) to dispatch and cancel',
    };
  if (!/^application\/json\b/.test(req.headers['content-type'] ?? ''))
    return { ok: false, status: 415, message: 'send JSON (Content-Type: application/json)' };
  const csrf = req.headers['x-orch-csrf'];
  const bearer = req.headers.authorization?.startsWith('Bearer ') || typeof req.headers['x-orch-token'] === 'string';
  // A script that sends the token itself (curl, a tool) needs no page header; a browser's cookie alone is not enough.
  if (!bearer && !sameSecret(typeof csrf === 'string' ? csrf : undefined, cfg.csrf))
    return { ok: false, status: 403, message: 'missing or wrong X-Orch-Csrf header' };
  return { ok: true };
}

/** Whether a bind address is allowed as given; non-loopback needs a token. */
export const needsToken = (host: string): boolean => !isLoopbackAddress(host);
