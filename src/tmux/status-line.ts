// tmux itself shows the agents' states: the session's status line lists every agent with a symbol
// and colour for its state, and each agent pane's border shows its state (the @state pane option
// that the builder's pane-border-format prints). All of it is one chained client call, made after
// each store change (never by a poll); an unchanged picture makes no call at all.
import { formatLiteral } from './format.js';
import { lookOf } from '../core/looks.js';
import type { TmuxCommand } from './command.js';
import type { Server } from './objects.js';

/** What tmux shows: the session (its $id) and each agent's name, state, pane and cost; a plain list, no store. */
export interface TmuxPicture {
  /** The tmux session's $id, or null when there is none to show (never built, or ended). */
  session: string | null;
  /** Each agent with the pane of this session that shows it. */
  agents: readonly { name: string; status: string; pane: string; cost_usd: number }[];
  /** Budgets at 80% or more, e.g. { text: "session 85%", over: false }. */
  alerts?: readonly { text: string; over: boolean }[];
}

const literal = formatLiteral;

/** The status-right text: each agent as a badge (symbol and name) in its state's colour, then the session's cost. */
export function statusRight(picture: TmuxPicture): string {
  const agents = picture.agents;
  const items = agents.map((a) => {
    const { symbol, colour, text } = lookOf(a.status);
    return `#[fg=${text},bg=${colour}] ${symbol} ${literal(a.name)} #[default]`;
  });
  const cost = agents.reduce((sum, a) => sum + (Number.isFinite(a.cost_usd) ? a.cost_usd : 0), 0);
  const alerts = (picture.alerts ?? []).map(
    (a) => `#[fg=${a.over ? 'white' : 'black'},bg=${a.over ? 'red' : 'yellow'}] $ ${literal(a.text)} #[default]`,
  );
  return `${items.join(' ')} $${cost.toFixed(2)} ${alerts.length ? `${alerts.join(' ')} ` : ''}`;
}

/** The @state value of one agent's pane: symbol and state in the state's colour. */
export function paneState(status: string): string {
  const { symbol, colour } = lookOf(status);
  return `#[fg=${colour}]${symbol} ${literal(status)}#[default]`;
}

/**
 * The commands that show the agents' states in tmux: the session's status-right (and a length that
 * fits it), and each agent pane's @state. None without a session to show them in.
 */
export function tmuxStatusCommands(picture: TmuxPicture): TmuxCommand[] {
  const session = picture.session;
  if (!session) return [];
  const right = statusRight(picture);
  const commands: TmuxCommand[] = [
    ['set-option', '-t', session, 'status-right-length', String(Math.max(40, right.length))],
    ['set-option', '-t', session, 'status-right', right],
  ];
  for (const agent of picture.agents) {
    if (agent.pane) commands.push(['set-option', '-p', '-t', agent.pane, '@state', paneState(agent.status)]);
  }
  return commands;
}

/** Per server: what it was last told (an unchanged picture costs no call) and the call in flight. */
const servers = new WeakMap<Server, { last: string; tail: Promise<unknown> }>();

/**
 * Shows the agents' states in tmux in one client call. The picture's commands are made at the call
 * and calls are applied in order, so the last picture
 * asked for is the one tmux shows. A pane that no longer exists would stop the chain, so on
 * failure the panes still present are looked up and the call made again. Resolves to whether
 * tmux was called; rejects with the TmuxError when tmux cannot be reached.
 */
export function applyTmuxStatus(server: Server, picture: TmuxPicture): Promise<boolean> {
  const commands = tmuxStatusCommands(picture);
  const key = JSON.stringify(commands);
  let state = servers.get(server);
  if (!state) {
    state = { last: '', tail: Promise.resolve() };
    servers.set(server, state);
  }
  const s = state;
  const run = s.tail.then(async (): Promise<boolean> => {
    if (!commands.length || s.last === key) return false;
    try {
      await server.cmd(...commands);
    } catch {
      const alive = new Set((await server.panes()).map((p) => p.pane_id));
      await server.cmd(...commands.filter((c) => c[1] !== '-p' || alive.has(c[3] ?? '')));
    }
    s.last = key;
    return true;
  });
  s.tail = run.catch(() => undefined);
  return run;
}
