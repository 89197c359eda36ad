// Builds a whole session in one tmux client call: new-session, new-window and split-window each
// start their pane with its own command (nothing is typed into a shell) and print the new ids.
import { serverArgs, type TmuxCommand } from './command.js';
import { formatLiteral, formatOf, parseRows } from './format.js';

/** What each creating command prints (-P -F): the ids of what it made. */
const NEW_SESSION = ['session_id', 'window_id', 'pane_id'] as const;
const NEW_WINDOW = ['window_id', 'pane_id'] as const;
const NEW_PANE = ['pane_id'] as const;
import { type Server, Session } from './objects.js';
import { quoteShown } from '../util/shell-quote.js';

/** A pane to create: what it runs, where, and how tmux labels it. */
export interface PanePlan {
  /** Shown in the pane border (the agent or command name). */
  title: string;
  /** Set as the pane's @agent option when the pane runs an agent. */
  agent?: string;
  role?: string;
  cwd: string;
  /** argv run directly by tmux (more than one word: no shell in between). */
  argv: readonly string[];
  focus?: boolean;
}

/** A window to create, its panes and their arrangement. */
export interface WindowPlan {
  name: string;
  /** tmux layout name (tiled, main-vertical, ...) or a custom layout string. */
  layout: string;
  panes: readonly PanePlan[];
  focus?: boolean;
  /** Window options for this window (over SessionPlan.windowOptions). */
  options?: Record<string, string>;
}

/** A whole session. */
export interface SessionPlan {
  name: string;
  cwd: string;
  /** Size of the detached session, so splits always have room; a client that attaches resizes it. */
  width: number;
  height: number;
  windows: readonly WindowPlan[];
  /** Session options (set-option -t session). */
  options: Record<string, string>;
  /** Window options, for every window. */
  windowOptions: Record<string, string>;
  /**
   * A tmux file of set-environment commands (the layout's env:) for source-file: values given to
   * tmux by file, never in argv (a new-session -e VAR=value stays on the tmux server's command line).
   */
  envFile?: string;
}

/** What tmux created: ids in plan order. */
export interface BuiltSession {
  session: Session;
  windows: { id: string; name: string; panes: { id: string; title: string; agent?: string }[] }[];
  /** The window and pane to select for the user (focusCommands; start selects them with its next call). */
  focusWindow: string;
  focusPane: string;
}

/** Options that make the pane borders say who is who. */
const BORDER_OPTIONS: Record<string, string> = {
  'pane-border-status': 'top',
  'pane-border-format':
    ' #{?#{@agent},#[bold]#{@agent}#[nobold]#{?#{@role}, (#{@role}),},#{pane_title}} #{?#{@state},[#{@state}] ,}',
};

// tmux expands formats (#{...}, #(command)) in start directories, window names and pane titles:
// each goes through formatLiteral, so no layout text reaches the format expander.
const literal = formatLiteral;

/** The tmux commands (one chained call) that create the session described by plan. */
export function buildCommands(plan: SessionPlan): TmuxCommand[] {
  return plan.windows.flatMap((_, w) => windowCommands(plan, w));
}

/**
 * The commands that create one window of the plan (the session itself with the first). In a call
 * of its own, a window after the first names its session (sessionTarget: "$3:").
 */
function windowCommands(plan: SessionPlan, w: number, sessionTarget?: string): TmuxCommand[] {
  const window = plan.windows[w]!;
  const commands: TmuxCommand[] = [];
  window.panes.forEach((pane, p) => {
    const where = ['-c', literal(pane.cwd)];
    if (w === 0 && p === 0) {
      commands.push([
        'new-session',
        '-d',
        '-s',
        plan.name,
        '-x',
        String(plan.width),
        '-y',
        String(plan.height),
        '-n',
        literal(window.name),
        ...where,
        '-P',
        '-F',
        formatOf(NEW_SESSION),
        ...pane.argv,
      ]);
      for (const [key, value] of Object.entries(plan.options)) commands.push(['set-option', key, value]);
      if (plan.envFile) commands.push(['source-file', plan.envFile]);
    } else if (p === 0) {
      commands.push([
        'new-window',
        ...(sessionTarget ? ['-t', sessionTarget] : []),
        '-n',
        literal(window.name),
        ...where,
        '-P',
        '-F',
        formatOf(NEW_WINDOW),
        ...pane.argv,
      ]);
    } else {
      commands.push(['split-window', ...where, '-P', '-F', formatOf(NEW_PANE), ...pane.argv]);
      // Rebalance after each split so the next split always has room (no "no space for new pane").
      if (p < window.panes.length - 1) commands.push(['select-layout', 'tiled']);
    }
    commands.push(['select-pane', '-T', literal(pane.title)]);
    commands.push(['set-option', '-p', 'remain-on-exit', 'on']);
    if (pane.agent) commands.push(['set-option', '-p', '@agent', pane.agent]);
    if (pane.role) commands.push(['set-option', '-p', '@role', pane.role]);
  });
  for (const [key, value] of Object.entries({ ...BORDER_OPTIONS, ...plan.windowOptions, ...window.options })) {
    commands.push(['set-option', '-w', key, value]);
  }
  commands.push(['select-layout', window.layout]);
  return commands;
}

/**
 * Bytes of one tmux client call's commands: tmux refuses a call whose arguments do not fit in one
 * message of 16 KB ("command too long"), so a big layout is built in several calls.
 */
export const CALL_BYTES = 12_000;
const bytesOf = (commands: readonly TmuxCommand[]): number =>
  commands.reduce((n, c) => n + c.reduce((m, arg) => m + Buffer.byteLength(arg) + 2, 2), 0);

/** Runs the plan's commands in as few calls as fit: one for most layouts; windows are never split. */
async function runBuild(server: Server, plan: SessionPlan): Promise<string> {
  const first = buildCommands(plan);
  if (bytesOf(first) <= CALL_BYTES) return server.cmd(...first.map((c) => [...c]));
  let out = await server.cmd(...windowCommands(plan, 0).map((c) => [...c]));
  const sessionId = parseRows<string>(NEW_SESSION, out.split('\n').find(Boolean) ?? '')[0]?.session_id ?? '';
  let batch: TmuxCommand[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length) out += `\n${await server.cmd(...batch.map((c) => [...c]))}`;
    batch = [];
  };
  for (let w = 1; w < plan.windows.length; w++) {
    const commands = windowCommands(plan, w, `${sessionId}:`);
    if (batch.length && bytesOf(batch) + bytesOf(commands) > CALL_BYTES) await flush();
    batch.push(...commands);
  }
  await flush();
  return out;
}

/** The commands printed by --dry-run: what a person could paste into a shell. */
export function renderCommands(socket: string | undefined, commands: readonly TmuxCommand[]): string {
  return ['tmux', ...serverArgs(socket)]
    .concat(...commands.map((c, i) => (i === 0 ? [...c] : ['\\;', ...c])))
    .map((w) => (w === '\\;' ? w : quoteShown(w)))
    .join(' ');
}

/** Selects the chosen window and pane: chained by the caller onto its next call, so that focusing costs no client of its own. */
export function focusCommands(built: Pick<BuiltSession, 'focusWindow' | 'focusPane'>): TmuxCommand[] {
  return built.focusWindow && built.focusPane
    ? [
        ['select-window', '-t', built.focusWindow],
        ['select-pane', '-t', built.focusPane],
      ]
    : [];
}

/** Creates the session in one client call (a few for a very big layout); focusing is left to the caller's next one (focusCommands). */
export async function buildSession(server: Server, plan: SessionPlan): Promise<BuiltSession> {
  const out = await runBuild(server, plan);
  const lines = out.split('\n').filter(Boolean);
  let sessionId = '';
  let line = 0;
  // One line per pane created, in plan order: what new-session, new-window and split-window printed.
  const windows: BuiltSession['windows'] = plan.windows.map((window, w) => {
    let windowId = '';
    const panes = window.panes.map((pane, p) => {
      const fields = w === 0 && p === 0 ? NEW_SESSION : p === 0 ? NEW_WINDOW : NEW_PANE;
      const [row] = parseRows<string>(fields, lines[line++] ?? '');
      if (w === 0 && p === 0) sessionId = row?.session_id ?? '';
      if (p === 0) windowId = row?.window_id ?? '';
      return { id: row?.pane_id ?? '', title: pane.title, ...(pane.agent ? { agent: pane.agent } : {}) };
    });
    return { id: windowId, name: window.name, panes };
  });
  if (
    !sessionId.startsWith('$') ||
    windows.some((w) => !w.id.startsWith('@') || w.panes.some((p) => !p.id.startsWith('%')))
  ) {
    throw new Error(`tmux did not report the ids of what it created: ${JSON.stringify(out)}`);
  }
  const session = new Session(server, sessionId, plan.name);
  const focusWindow = plan.windows.findIndex((w) => w.focus);
  const wi = Math.max(focusWindow, 0);
  const pi = Math.max(0, plan.windows[wi]?.panes.findIndex((p) => p.focus) ?? 0);
  return { session, windows, focusWindow: windows[wi]?.id ?? '', focusPane: windows[wi]?.panes[pi]?.id ?? '' };
}
