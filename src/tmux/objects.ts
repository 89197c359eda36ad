// An object model over tmux: Server, Session, Window and Pane hold tmux ids ($1, @2, %3), never
// indexes, and read their state through -F formats.
import { tmux, tmuxWithInput, isNoServer, type TmuxCommand } from './command.js';
import { formatOf, parseRows } from './format.js';

const PANE_FIELDS = ['session_id', 'session_name', 'window_id', 'window_name', 'window_index', 'pane_id', 'pane_index',
  'pane_title', 'pane_pid', 'pane_current_path', 'pane_dead', 'pane_dead_status', 'pane_width', 'pane_height',
  'pane_left', 'pane_top', 'pane_active', '@agent'] as const;

/** One row of pane state as tmux reports it. */
export type PaneInfo = Record<(typeof PANE_FIELDS)[number], string>;

/** A tmux server, the default one or a private one selected by -L NAME. */
export class Server {
  constructor(readonly socket?: string) {}

  /** Runs commands (chained into one client call) on this server. */
  cmd(...commands: TmuxCommand[]): Promise<string> {
    return tmux(this.socket, ...commands);
  }

  /** Runs commands with text on stdin (for load-buffer -). */
  cmdWithInput(input: string, ...commands: TmuxCommand[]): Promise<string> {
    return tmuxWithInput(this.socket, input, ...commands);
  }

  /** The session with exactly this name, or undefined (also when no server runs). */
  async findSession(name: string): Promise<Session | undefined> {
    try {
      const out = await this.cmd(['display-message', '-p', '-t', `=${name}:`, '#{session_id}']);
      return new Session(this, out.trim(), name);
    } catch (error) {
      if (isNoServer(error) || /can't find session/.test(String((error as Error).message))) return undefined;
      throw error;
    }
  }

  /** Every pane on the server (empty when no server runs). */
  async panes(): Promise<PaneInfo[]> {
    try {
      return parseRows(PANE_FIELDS, await this.cmd(['list-panes', '-a', '-F', formatOf(PANE_FIELDS)]));
    } catch (error) {
      if (isNoServer(error)) return [];
      throw error;
    }
  }

  /** Whether a server answers on this socket. */
  async running(): Promise<boolean> {
    try {
      await this.cmd(['list-sessions', '-F', '#{session_id}']);
      return true;
    } catch (error) {
      if (isNoServer(error)) return false;
      throw error;
    }
  }

  /** Kills the whole server; a server that is not running is fine. */
  async kill(): Promise<void> {
    try {
      await this.cmd(['kill-server']);
    } catch (error) {
      if (!isNoServer(error)) throw error;
    }
  }

  /** The flags a person types to reach this server: "" or "-L NAME". */
  get flag(): string {
    return this.socket ? `-L ${this.socket}` : '';
  }
}

/** A session, by its $id. */
export class Session {
  constructor(readonly server: Server, readonly id: string, readonly name: string) {}

  /** All panes of this session, in window and pane order. */
  async panes(): Promise<PaneInfo[]> {
    return parseRows(PANE_FIELDS, await this.server.cmd(['list-panes', '-s', '-t', this.id, '-F', formatOf(PANE_FIELDS)]));
  }

  /** Kills the session. */
  async kill(): Promise<void> {
    await this.server.cmd(['kill-session', '-t', this.id]);
  }
}

/** A window, by its @id. */
export class Window {
  constructor(readonly session: Session, readonly id: string, readonly name: string) {}
}

/** A pane, by its %id. */
export class Pane {
  constructor(readonly server: Server, readonly id: string) {}

  /** The pane's current state. */
  async info(): Promise<PaneInfo | undefined> {
    const rows = parseRows(PANE_FIELDS, await this.server.cmd(['list-panes', '-t', this.id, '-F', formatOf(PANE_FIELDS)]));
    return rows.find((r) => r.pane_id === this.id);
  }

  /** The visible screen as text (with colour escapes when ansi is set). */
  async capture(ansi = false): Promise<string> {
    return this.server.cmd(['capture-pane', '-p', '-J', ...(ansi ? ['-e'] : []), '-t', this.id]);
  }
}
