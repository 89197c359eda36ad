// What the dashboard answers: its page and assets, the view as JSON, handovers by plain name, the
// event streams, and the two actions (dispatch, cancel), which write inbox requests
// (src/tasks/client.ts) so that the recorder stays the store's only writer.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OrchestratorError } from '../core/errors.js';
import { STATE_LOOK, formatUsd } from '../core/looks.js';
import { FINAL_TASK_STATES } from '../store/types.js';
import { cancelTask, dispatchTask, findTask, taskPage } from '../tasks/client.js';
import { taskView } from './view.js';
import { decideRequest, findRequest } from '../approvals/decide.js';
import { readStore } from '../store/state-dir.js';
import { readHandover } from '../handover/read.js';
import { dashboardClient, type ClientShared } from './client.js';
import { pageHtml, STYLE_CSS } from './page.js';
import { readJsonBody, send, sseEvent, startEventStream } from './http.js';
import type { StoreFollower } from './follow.js';
import type { PaneFeed, PaneScreen } from './pane-feed.js';
import type { StreamPool } from './streams.js';
import { newToken } from './security.js';

/** The page's script, handed the values it shares with the server. */
const APP_JS = `"use strict";\n(${dashboardClient.toString()})(${JSON.stringify({
  symbols: Object.fromEntries(Object.entries(STATE_LOOK).map(([state, look]) => [state, look.symbol])),
  final: FINAL_TASK_STATES,
} satisfies ClientShared)}, ${formatUsd.toString()});\n`;

export interface RouteContext {
  stateDir: string;
  follower: StoreFollower;
  streams: StreamPool;
  panes: PaneFeed;
  /** JSON with every string redacted. */
  json: (value: unknown) => string;
  /** The page's CSRF value (actions are on) or undefined (read-only). */
  csrf: string | undefined;
  /** The cookie that names a browser (its streams are capped together). */
  clientCookie: () => string;
  clientOf: (req: IncomingMessage) => string;
  log: (line: string) => void;
}

const sendJson = (ctx: RouteContext, res: ServerResponse, status: number, value: unknown): void =>
  send(res, status, 'application/json; charset=utf-8', ctx.json(value));

/** The actions, by path; each returns the JSON answer or throws an OrchestratorError (400). */
function actions(ctx: RouteContext): Record<string, (body: Record<string, unknown>) => Record<string, unknown>> {
  return {
    '/api/dispatch': (body) => {
      const prompt = typeof body.prompt === 'string' ? body.prompt : '';
      if (!prompt.trim()) throw new OrchestratorError('the prompt is empty');
      const target =
        typeof body.agent === 'string'
          ? { agent: body.agent }
          : typeof body.role === 'string'
            ? { role: body.role }
            : body.any === true
              ? { any: true }
              : undefined;
      if (!target)
        throw new OrchestratorError('say whom the task is for: {"agent": NAME}, {"role": ROLE} or {"any": true}');
      const id = dispatchTask(ctx.stateDir, prompt, target, { by: 'dashboard' });
      ctx.log(`dispatched ${id} to ${JSON.stringify(target)}`);
      return { id };
    },
    '/api/decide': (body) => {
      const behavior = body.behavior;
      if (typeof body.request !== 'string' || (behavior !== 'allow' && behavior !== 'deny'))
        throw new OrchestratorError('say which request and how: {"request": ID, "behavior": "allow" | "deny"}');
      const request = findRequest(readStore(ctx.stateDir), body.request);
      const won = decideRequest(ctx.stateDir, request, {
        behavior,
        by: 'dashboard',
        ...(typeof body.message === 'string' && body.message ? { message: body.message } : {}),
      });
      if (!won) throw new OrchestratorError(`request ${request.id} was decided already`);
      ctx.log(`${behavior === 'allow' ? 'allowed' : 'denied'} ${request.summary} for ${request.agent}`);
      return { ok: true, request: request.id };
    },
    '/api/cancel': (body) => {
      if (typeof body.task !== 'string' || !body.task) throw new OrchestratorError('say which task: {"task": ID}');
      cancelTask(ctx.stateDir, body.task);
      ctx.log(`asked to cancel ${body.task}`);
      return { ok: true, task: body.task };
    },
  };
}

/** The paths that take a POST. */
export const ACTION_PATHS: ReadonlySet<string> = new Set(['/api/dispatch', '/api/cancel', '/api/decide']);

/** Answers an action (the access and CSRF checks passed). */
export async function answerAction(
  ctx: RouteContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  const action = actions(ctx)[path];
  if (!action || !ACTION_PATHS.has(path)) {
    sendJson(ctx, res, 404, { error: 'not found' });
    return;
  }
  try {
    const body = await readJsonBody(req);
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new OrchestratorError('send a JSON object');
    sendJson(ctx, res, 202, action(body as Record<string, unknown>));
  } catch (error) {
    if (!(error instanceof OrchestratorError)) throw error;
    sendJson(ctx, res, 400, { error: error.message });
  }
}

/** Answers a GET (or HEAD) of an exact path (the access check passed). */
export function answerGet(ctx: RouteContext, req: IncomingMessage, res: ServerResponse, url: URL): void {
  const { follower } = ctx;
  switch (url.pathname) {
    case '/':
      send(res, 200, 'text/html; charset=utf-8', pageHtml(ctx.csrf ? { csrf: ctx.csrf } : {}), {
        // Which browser a stream belongs to: streams are capped per client, not for everyone.
        'Set-Cookie': `${ctx.clientCookie()}=${newToken()}; HttpOnly; SameSite=Strict; Path=/`,
      });
      return;
    case '/app.js':
      send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
      return;
    case '/style.css':
      send(res, 200, 'text/css; charset=utf-8', STYLE_CSS);
      return;
    case '/favicon.ico':
      send(res, 204, 'image/x-icon', '');
      return;
    case '/api/state':
      if (follower.error && !follower.data) sendJson(ctx, res, 503, { error: follower.error });
      else sendJson(ctx, res, 200, { now: Date.now(), actions: Boolean(ctx.csrf), view: follower.view });
      return;
    case '/api/handover': {
      const found = readHandover(ctx.stateDir, url.searchParams.get('name') ?? '');
      if (found) sendJson(ctx, res, 200, { name: url.searchParams.get('name'), ...found });
      else sendJson(ctx, res, 404, { error: 'no such handover' });
      return;
    }
    case '/api/tasks': {
      // Every task, newest first, the archived ones too (read from disk on each call: pages are rare).
      const page = Number(url.searchParams.get('page') ?? '1');
      if (!Number.isSafeInteger(page) || page < 1) {
        sendJson(ctx, res, 400, { error: 'page wants a whole number of at least 1' });
        return;
      }
      const found = taskPage(readStore(ctx.stateDir), ctx.stateDir, page, 50);
      sendJson(ctx, res, 200, { ...found, tasks: found.tasks.map(taskView) });
      return;
    }
    case '/api/task': {
      try {
        sendJson(ctx, res, 200, {
          task: taskView(findTask(readStore(ctx.stateDir), url.searchParams.get('id') ?? '', ctx.stateDir)),
        });
      } catch (error) {
        if (!(error instanceof OrchestratorError)) throw error;
        sendJson(ctx, res, 404, { error: error.message });
      }
      return;
    }
    case '/events':
      startEventStream(req, res);
      ctx.streams.add(res, ctx.clientOf(req));
      res.write(sseEvent('snapshot', ctx.json({ now: Date.now(), view: follower.view })));
      return;
    case '/events/pane': {
      const agent = url.searchParams.get('agent') ?? '';
      if (!follower.data || !Object.hasOwn(follower.data.agents, agent)) {
        sendJson(ctx, res, 404, { error: `no agent ${JSON.stringify(agent)} in this session` });
        return;
      }
      startEventStream(req, res);
      ctx.streams.add(res, ctx.clientOf(req));
      const stop = ctx.panes.subscribe(agent, (screen: PaneScreen) => res.write(sseEvent('screen', ctx.json(screen))));
      req.on('close', stop);
      return;
    }
    default:
      sendJson(ctx, res, 404, { error: 'not found' });
  }
}
