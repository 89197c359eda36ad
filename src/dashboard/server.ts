// The dashboard's HTTP server (node:http, no framework). It follows the store by watching the
// state directory (the recorder replaces store.json by rename on every write) and pushes the
// sections of the view that changed to every page over server-sent events; a page that connects
// gets the whole view first. Assets are strings in this bundle: no request reads a file except
// a handover, by a checked name. Actions write inbox requests (src/tasks/client.ts): the
// recorder stays the store's only writer.
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { watch, type FSWatcher, existsSync } from 'node:fs';
import { readStore } from '../cli/state-dir.js';
import { OrchestratorError } from '../cli/errors.js';
import { Server } from '../tmux/objects.js';
import type { StoreData } from '../store/types.js';
import { cancelTask, dispatchTask } from '../tasks/client.js';
import { buildView, ViewDiffer, type View } from './view.js';
import { handoversDir, listHandovers, readHandover } from './handovers.js';
import { PaneFeed, type PaneScreen } from './pane-feed.js';
import { pageHtml, STYLE_CSS, deniedHtml } from './page.js';
import { dashboardClient } from './client.js';
import { checkAccess, checkAction, cookies, needsToken, newToken, redactor, type AccessConfig } from './security.js';
import { StreamPool } from './streams.js';

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

const APP_JS = `"use strict";\n(${dashboardClient.toString()})();\n`;
const MAX_BODY = 64 * 1024;
const HEARTBEAT_MS = 20_000;

const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The host part of a URL for an address we listen on (a wildcard becomes the loopback name). */
function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::' || host === '[::]') return '[::1]';
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/** Listens on the first free port from `port` on; says which one it got. */
async function listen(http: HttpServer, host: string, port: number, tries: number): Promise<number> {
  for (let p = port, n = 0; ; p++, n++) {
    try {
      await new Promise<void>((resolve, reject) => {
        const fail = (error: Error): void => { http.off('listening', ok); reject(error); };
        const ok = (): void => { http.off('error', fail); resolve(); };
        http.once('error', fail);
        http.once('listening', ok);
        http.listen(p, host);
      });
      const address = http.address();
      return typeof address === 'object' && address ? address.port : p;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && port !== 0 && n + 1 < tries) continue;
      if (code === 'EADDRINUSE') throw new OrchestratorError(`ports ${port}-${p} on ${host} are all in use; pass --port to choose another`);
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') throw new OrchestratorError(`cannot listen on ${host}: no such address on this machine (${code})`);
      if (code === 'EACCES') throw new OrchestratorError(`not allowed to listen on ${host}:${p} (ports below 1024 need privileges)`);
      throw error;
    }
  }
}

/** Starts the dashboard of the session whose state is in opts.stateDir. */
export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const log = opts.log ?? (() => {});
  if (!existsSync(opts.stateDir)) throw new OrchestratorError(`no state directory ${opts.stateDir}: start a session with ./start.mts, or pass --state DIR`);
  if (opts.token !== undefined && opts.token.length < 8) throw new OrchestratorError('the token must be at least 8 characters');
  const tokenGenerated = !opts.token && needsToken(opts.host);
  const token = opts.token ?? (tokenGenerated ? newToken() : undefined);
  const access: AccessConfig = { token, cookieName: 'orch_dash', csrf: newToken() };
  const redact = redactor([token]);
  const json = (value: unknown): string => JSON.stringify(value, (_, v: unknown) => (typeof v === 'string' ? redact(v) : v));

  // ---- the store, followed.
  let data: StoreData | undefined;
  let view: View = buildView({ version: 1, session: null, agents: {} }, []);
  let storeError: string | null = null;
  const differ = new ViewDiffer();
  let clientCookie = 'orch_client';
  const streams = new StreamPool();
  const servers = new Map<string, Server>();
  const serverFor = (socket: string | null): Server => {
    const key = socket ?? '';
    let s = servers.get(key);
    if (!s) { s = new Server(socket ?? undefined); servers.set(key, s); }
    return s;
  };
  const panes = new PaneFeed({
    redact,
    ...(opts.paneIntervalMs ? { intervalMs: opts.paneIntervalMs } : {}),
    locate(agent) {
      const a = data?.agents[agent];
      return a && data?.session ? { server: serverFor(data.session.socket), pane: a.pane } : undefined;
    },
  });
  const sse = (res: ServerResponse, event: string, payload: string): void => { res.write(`event: ${event}\ndata: ${payload}\n\n`); };

  const refresh = (): void => {
    try {
      data = readStore(opts.stateDir);
      storeError = null;
    } catch (error) {
      // A store that cannot be read now (not written yet) is read again on the next change.
      storeError = (error as Error).message;
      return;
    }
    view = buildView(data, listHandovers(opts.stateDir));
    const changed = differ.changed(view);
    if (Object.keys(changed).length) {
      const payload = json({ now: Date.now(), view: changed });
      streams.broadcast(`event: patch\ndata: ${payload}\n\n`);
    }
    panes.poke();
  };
  // One refresh at a time; changes that arrive meanwhile cause one more.
  let queued = false;
  const schedule = (): void => {
    if (queued) return;
    queued = true;
    setImmediate(() => { queued = false; refresh(); });
  };
  refresh();

  const watchers: FSWatcher[] = [];
  let handoverWatcher: FSWatcher | undefined;
  const watchHandovers = (): void => {
    if (handoverWatcher || !existsSync(handoversDir(opts.stateDir))) return;
    try {
      handoverWatcher = watch(handoversDir(opts.stateDir), () => schedule());
      handoverWatcher.on('error', () => { handoverWatcher?.close(); handoverWatcher = undefined; });
    } catch { /* appears later: the state directory's watcher tries again */ }
  };
  watchers.push(watch(opts.stateDir, (_, file) => {
    const name = String(file ?? '');
    if (name === 'store.json') schedule();
    else if (name === 'handovers') { watchHandovers(); schedule(); }
  }));
  watchHandovers();
  const heartbeat = setInterval(() => streams.broadcast(': keep-alive\n\n'), HEARTBEAT_MS);

  // ---- requests.
  const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void => {
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...headers });
    res.end(body);
  };
  const sendJson = (res: ServerResponse, status: number, value: unknown): void => send(res, status, 'application/json; charset=utf-8', json(value));
  const wantsHtml = (req: IncomingMessage, path: string): boolean => path === '/' || (req.headers.accept ?? '').includes('text/html');

  const readBody = (req: IncomingMessage): Promise<unknown> => new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    // An oversized body is read to its end (and dropped) so that the refusal can still be sent.
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY) { reject(new OrchestratorError(`the request body is over ${MAX_BODY} bytes`)); return; }
      try { resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))); } catch { reject(new OrchestratorError('the body is not valid JSON')); }
    });
    req.on('error', reject);
  });

  const openStream = (req: IncomingMessage, res: ServerResponse): boolean => {
    req.socket.setNoDelay(true);
    req.socket.setTimeout(0);
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    res.write('retry: 1000\n\n');
    streams.add(res, cookies(req).get(clientCookie) ?? 'anonymous');
    return true;
  };

  const actions: Record<string, (body: Record<string, unknown>) => Record<string, unknown>> = {
    '/api/dispatch': (body) => {
      const prompt = typeof body.prompt === 'string' ? body.prompt : '';
      if (!prompt.trim()) throw new OrchestratorError('the prompt is empty');
      const target = typeof body.agent === 'string' ? { agent: body.agent } : typeof body.role === 'string' ? { role: body.role } : body.any === true ? { any: true } : undefined;
      if (!target) throw new OrchestratorError('say whom the task is for: {"agent": NAME}, {"role": ROLE} or {"any": true}');
      const id = dispatchTask(opts.stateDir, prompt, target, { by: 'dashboard' });
      log(`dispatched ${id} to ${JSON.stringify(target)}`);
      return { id };
    },
    '/api/cancel': (body) => {
      if (typeof body.task !== 'string' || !body.task) throw new OrchestratorError('say which task: {"task": ID}');
      cancelTask(opts.stateDir, body.task);
      log(`asked to cancel ${body.task}`);
      return { ok: true, task: body.task };
    },
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const raw = req.url ?? '/';
    // Only exact paths are served; anything that tries to climb or hide a path is not one of them.
    if (!raw.startsWith('/') || /\.\.|\\|%2e|%2f|%5c|%00/i.test(raw.split('?')[0]!)) { sendJson(res, 404, { error: 'not found' }); return; }
    const url = new URL(raw, 'http://dashboard.invalid');
    const path = url.pathname;
    const verdict = checkAccess(req, url, access);
    if (!verdict.ok) {
      const headers: Record<string, string> = verdict.status === 401 ? { 'WWW-Authenticate': 'Bearer realm="orchestrator dashboard"' } : {};
      if (wantsHtml(req, path)) send(res, verdict.status, 'text/html; charset=utf-8', deniedHtml(verdict.status, verdict.message), headers);
      else send(res, verdict.status, 'application/json; charset=utf-8', JSON.stringify({ error: verdict.message }), headers);
      return;
    }
    const method = req.method ?? 'GET';
    if (method === 'POST') {
      const action = actions[path];
      if (!action) { sendJson(res, 404, { error: 'not found' }); return; }
      const allowed = checkAction(req, access);
      if (!allowed.ok) { sendJson(res, allowed.status, { error: allowed.message }); return; }
      try {
        const body = await readBody(req);
        if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OrchestratorError('send a JSON object');
        sendJson(res, 202, action(body as Record<string, unknown>));
      } catch (error) {
        if (!(error instanceof OrchestratorError)) throw error;
        sendJson(res, 400, { error: error.message });
      }
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') { sendJson(res, 405, { error: `${method} not allowed` }); return; }

    if (path === '/' && verdict.tokenFrom === 'query') {
      // Keep the token out of the address bar, history and logs: a cookie only this site's pages send.
      send(res, 303, 'text/plain; charset=utf-8', 'see /\n', {
        Location: '/',
        'Set-Cookie': `${access.cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/`,
      });
      return;
    }
    switch (path) {
      case '/': send(res, 200, 'text/html; charset=utf-8', pageHtml(token ? { csrf: access.csrf } : {}), {
        // Which browser a stream belongs to: streams are capped per client, not for everyone.
        'Set-Cookie': `${clientCookie}=${newToken()}; HttpOnly; SameSite=Strict; Path=/`,
      }); return;
      case '/app.js': send(res, 200, 'text/javascript; charset=utf-8', APP_JS); return;
      case '/style.css': send(res, 200, 'text/css; charset=utf-8', STYLE_CSS); return;
      case '/favicon.ico': send(res, 204, 'image/x-icon', ''); return;
      case '/api/state': sendJson(res, storeError && !data ? 503 : 200, storeError && !data ? { error: storeError } : { now: Date.now(), actions: !!token, view }); return;
      case '/api/handover': {
        const found = readHandover(opts.stateDir, url.searchParams.get('name') ?? '');
        if (found) sendJson(res, 200, { name: url.searchParams.get('name'), ...found });
        else sendJson(res, 404, { error: 'no such handover' });
        return;
      }
      case '/events':
        if (!openStream(req, res)) return;
        sse(res, 'snapshot', json({ now: Date.now(), view }));
        return;
      case '/events/pane': {
        const agent = url.searchParams.get('agent') ?? '';
        if (!data?.agents[agent]) { sendJson(res, 404, { error: `no agent ${JSON.stringify(agent)} in this session` }); return; }
        if (!openStream(req, res)) return;
        const stop = panes.subscribe(agent, (screen: PaneScreen) => sse(res, 'screen', json(screen)));
        req.on('close', stop);
        return;
      }
      default: sendJson(res, 404, { error: 'not found' });
    }
  };

  const http = createServer({ noDelay: true }, (req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`internal error on ${req.method} ${req.url?.split('?')[0]}: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error (see the dashboard log)' });
      else res.end();
    });
  });
  http.headersTimeout = 10_000;
  http.requestTimeout = 30_000;

  let port: number;
  try {
    port = await listen(http, opts.host, opts.port, opts.portTries ?? 20);
  } catch (error) {
    for (const w of watchers) w.close();
    handoverWatcher?.close();
    clearInterval(heartbeat);
    throw error;
  }
  access.cookieName = `orch_dash_${port}`;
  clientCookie = `orch_client_${port}`;
  const url = `http://${urlHost(opts.host)}:${port}/`;
  return {
    host: opts.host, port, token, tokenGenerated, url,
    portInUse: opts.port !== 0 && port !== opts.port ? opts.port : undefined,
    openUrl: token ? `${url}?token=${encodeURIComponent(token)}` : url,
    http,
    streams: () => streams.size,
    async close() {
      for (const w of watchers) w.close();
      handoverWatcher?.close();
      clearInterval(heartbeat);
      panes.close();
      streams.closeAll();
      await new Promise<void>((resolve) => { http.close(() => resolve()); http.closeAllConnections(); });
    },
  };
}
