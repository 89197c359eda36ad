// The dashboard's HTTP server: who may ask (security.ts), what it answers (routes.ts), the store it
// follows (follow.ts) and the event streams it keeps (streams.ts), wired together. Assets are
// strings in this bundle: no request reads a file except a handover, by a checked name.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { Server as HttpServer } from 'node:http';
import { OrchestratorError } from '../core/errors.js';
import { Server } from '../tmux/objects.js';
import { PaneFeed } from './pane-feed.js';
import { deniedHtml } from './page.js';
import { checkAccess, checkAction, cookies, needsToken, newToken, type AccessConfig } from './security.js';
import { envFilesIn, redactor } from '../util/secrets.js';
import { agentsDir, panesDir } from '../store/paths.js';
import { StreamPool } from './streams.js';
import { StoreFollower } from './follow.js';
import { listen, send, sseEvent, urlHost, wantsHtml } from './http.js';
import { ACTION_PATHS, answerAction, answerGet, type RouteContext } from './routes.js';
import { shownIn } from '../store/types.js';

export interface DashboardOptions {
  stateDir: string;
  host: string;
  /** First port to try (0: any free port). */
  port: number;
  /** Required on every request when set; generated when the host is not loopback and none is given. */
  token?: string;
  /** How many ports after `port` to try when it is in use. */
  portTries?: number;
  paneIntervalMs?: number;
  log?: (line: string) => void;
}

export interface Dashboard {
  host: string;
  port: number;
  /** The token every request needs, if any. */
  token: string | undefined;
  tokenGenerated: boolean;
  /** The port asked for, when it was in use and another was taken. */
  portInUse: number | undefined;
  /** Address of the page (without the token). */
  url: string;
  /** Address to open: with ?token= when a token is needed. */
  openUrl: string;
  http: HttpServer;
  /** How many event streams are open (for tests). */
  streams(): number;
  close(): Promise<void>;
}

const HEARTBEAT_MS = 20_000;

/** Starts the dashboard of the session whose state is in opts.stateDir. */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const log = opts.log ?? (() => {});
  if (!existsSync(opts.stateDir))
    throw new OrchestratorError(
      `no state directory ${opts.stateDir}: start a session with ./start.mts, or pass --state DIR`,
    );
  if (opts.token !== undefined && opts.token.length < 8)
    throw new OrchestratorError('the token must be at least 8 characters');
  const tokenGenerated = !opts.token && needsToken(opts.host);
  const token = opts.token ?? (tokenGenerated ? newToken() : undefined);
  const access: AccessConfig = { token, cookieName: 'orch_dash', csrf: newToken() };
  let clientCookie = 'orch_client';
  // Secret-named values of this process's environment and of the session's env files (the layout's env:, every agent's).
  const redact = redactor([token], process.env, ...envFilesIn([agentsDir(opts.stateDir), panesDir(opts.stateDir)]));
  const json = (value: unknown): string =>
    JSON.stringify(value, (_, v: unknown) => (typeof v === 'string' ? redact(v) : v));

  const streams = new StreamPool();
  const panes: PaneFeed = new PaneFeed({
    redact,
    ...(opts.paneIntervalMs ? { intervalMs: opts.paneIntervalMs } : {}),
    locate(agent) {
      const data = follower.data;
      const a = data && Object.hasOwn(data.agents, agent) ? data.agents[agent] : undefined;
      return a && data?.session ? { server: Server.of(data.session.socket), pane: shownIn(a) } : undefined;
    },
  });
  // Every page gets the sections a store write changed; watched panes are looked at again.
  const follower: StoreFollower = new StoreFollower(opts.stateDir, (changed) => {
    if (Object.keys(changed).length) streams.broadcast(sseEvent('patch', json({ now: Date.now(), view: changed })));
    panes.poke();
  });
  const heartbeat = setInterval(() => streams.broadcast(': keep-alive\n\n'), HEARTBEAT_MS);
  const routes: RouteContext = {
    stateDir: opts.stateDir,
    follower,
    streams,
    panes,
    json,
    log,
    csrf: token ? access.csrf : undefined,
    clientCookie: () => clientCookie,
    clientOf: (req) => cookies(req).get(clientCookie) ?? 'anonymous',
  };

  const http = createServer({ noDelay: true }, (req, res) => {
    answerRequest(req, res, { access, routes, json, token }).catch((error: unknown) => {
      log(`internal error on ${req.method} ${req.url?.split('?')[0]}: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent)
        send(res, 500, 'application/json; charset=utf-8', json({ error: 'internal error (see the dashboard log)' }));
      else res.end();
    });
  });
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;

  const stop = (): void => {
    follower.close();
    clearInterval(heartbeat);
    panes.close();
    streams.closeAll();
  };
  let port: number;
  try {
    port = await listen(http, opts.host, opts.port, opts.portTries ?? 20);
  } catch (error) {
    stop();
    throw error;
  }
  access.cookieName = `orch_dash_${port}`;
  clientCookie = `orch_client_${port}`;
  const url = `http://${urlHost(opts.host)}:${port}/`;
  return {
    host: opts.host,
    port,
    token,
    tokenGenerated,
    url,
    portInUse: opts.port !== 0 && port !== opts.port ? opts.port : undefined,
    openUrl: token ? `${url}?token=${encodeURIComponent(token)}` : url,
    http,
    streams: () => streams.size,
    async close() {
      stop();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
    },
  };
}

/** What a request is answered with: the access rules, the routes, and how JSON is written (redacted). */
interface RequestHandling {
  access: AccessConfig;
  routes: RouteContext;
  json: (value: unknown) => string;
  token: string | undefined;
}

/** Answers one request: exact paths only, access checked (and an action's CSRF), then the action or the page, data or stream asked for. */
async function answerRequest(req: IncomingMessage, res: ServerResponse, h: RequestHandling): Promise<void> {
  const { access, routes, json, token } = h;
  const raw = req.url ?? '/';
  // Only exact paths are served; anything that tries to climb or hide a path is not one of them.
  if (!raw.startsWith('/') || /\.\.|\\|%2e|%2f|%5c|%00/i.test(raw.split('?')[0]!)) {
    send(res, 404, 'application/json; charset=utf-8', json({ error: 'not found' }));
    return;
  }
  const url = new URL(raw, 'http://dashboard.invalid');
  const verdict = checkAccess(req, url, access);
  if (!verdict.ok) {
    const headers: Record<string, string> =
      verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="orchestrator dashboard"' } : {};
    if (wantsHtml(req, url.pathname))
      send(res, verdict.status, 'text/html; charset=utf-8', deniedHtml(verdict.status, verdict.message), headers);
    else
      send(res, verdict.status, 'application/json; charset=utf-8', JSON.stringify({ error: verdict.message }), headers);
    return;
  }
  const method = req.method ?? 'GET';
  if (method === 'POST') {
    if (!ACTION_PATHS.has(url.pathname)) {
      send(res, 404, 'application/json; charset=utf-8', json({ error: 'not found' }));
      return;
    }
    const allowed = checkAction(req, access);
    if (!allowed.ok) {
      send(res, allowed.status, 'application/json; charset=utf-8', json({ error: allowed.message }));
      return;
    }
    await answerAction(routes, req, res, url.pathname);
    return;
  }
  if (method !== 'GET' && method !== 'HEAD') {
    send(res, 405, 'application/json; charset=utf-8', json({ error: `${method} not allowed` }));
    return;
  }
  if (url.pathname === '/' && verdict.tokenFrom === 'query') {
    // Keep the token out of the address bar, history and logs: a cookie only this site's pages send.
    send(res, 303, 'text/plain; charset=utf-8', 'see /\n', {
      Location: '/',
      'Set-Cookie': `${access.cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    });
    return;
  }
  answerGet(routes, req, res, url);
}
