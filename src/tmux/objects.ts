// An object model over tmux: Server, Session and Pane hold tmux ids ($1, %3), never indexes, read
// their state through -F formats (src/tmux/format.ts), and are the only way the rest of the code
// drives a pane: capture its screen, press keys, type or paste text (user text on stdin, never in
// argv or a shell), set its options.
import { existsSync } from 'node:fs';
import {
  tmux,
  tmuxOnHost,
  tmuxWithInput,
  isNoServer,
  socketPath,
  type RemoteShell,
  type TmuxCommand,
} from './command.js';
import { formatOf, parseRows } from './format.js';

const PANE_FIELDS = [
  'session_id',
  'session_name',
  'window_id',
  'window_name',
  'window_index',
  'window_layout',
  'pane_id',
  'pane_index',
  'pane_title',
  'pane_pid',
  'pane_current_path',
  'pane_dead',
  'pane_dead_status',
  'pane_width',
  'pane_height',
  'pane_left',
  'pane_top',
  'pane_active',
  '@agent',
] as const;

/** One row of pane state as tmux reports it. */
export type PaneInfo = Record<(typeof PANE_FIELDS)[number], string>;

/** A tmux server, the default one or a private one selected by -L NAME. */
export class Server {
  private static readonly known = new Map<string, Server>();

  /** The server of a socket as the store records it (null: the user's default server); one object per socket. */
  static of(socket: string | null | undefined): Server {
    const key = socket ?? '';
    let server = Server.known.get(key);
    if (!server) {
      server = new Server(socket ?? undefined);
      Server.known.set(key, server);
    }
    return server;
  }

  /** A tmux server on another machine (-L socket there), reached through its shell; one object per machine and socket. */
  static onHost(shell: RemoteShell, socket: string): Server {
    const key = `${shell.key}\0${socket}`;
    let server = Server.known.get(key);
    if (!server) {
      server = new Server(socket, shell);
      Server.known.set(key, server);
    }
    return server;
  }

  constructor(
    readonly socket?: string,
    readonly host?: RemoteShell,
  ) {}

  /** Runs commands (chained into one client call) on this server. */
  cmd(...commands: TmuxCommand[]): Promise<string> {
    return this.host ? tmuxOnHost(this.host, this.socket, undefined, ...commands) : tmux(this.socket, ...commands);
  }

  /** Runs commands with text on stdin (for load-buffer -). */
  cmdWithInput(input: string, ...commands: TmuxCommand[]): Promise<string> {
    return this.host
      ? tmuxOnHost(this.host, this.socket, input, ...commands)
      : tmuxWithInput(this.socket, input, ...commands);
  }

  /** A pane of this server, by %id. */
  pane(id: string): Pane {
    return new Pane(this, id);
  }

  /**
   * Whether a server may be listening: its socket file is there. Without one no server runs, and
   * no client needs to be started to learn that (a client given no -L inside tmux uses $TMUX's).
   */
  mayBeRunning(): boolean {
    if (this.host) return true;
    const inTmux = !this.socket && process.env.TMUX;
    return existsSync(inTmux ? inTmux.split(',')[0]! : socketPath(this.socket ?? 'default'));
  }

  /** The session with exactly this name, or undefined (also when no server runs). */
  async findSession(name: string): Promise<Session | undefined> {
    if (!this.mayBeRunning()) return undefined;
    try {
      const [row] = parseRows(
        ['session_id'],
        await this.cmd(['display-message', '-p', '-t', `=${name}:`, formatOf(['session_id'])]),
      );
      return row ? new Session(this, row.session_id, name) : undefined;
    } catch (error) {
      if (isNoServer(error) || /can't find session/.test(String((error as Error).message))) return undefined;
      throw error;
    }
  }

  /** The ids of every session on the server (empty when no server runs). */
  async sessionIds(): Promise<string[]> {
    try {
      return parseRows(['session_id'], await this.cmd(['list-sessions', '-F', formatOf(['session_id'])])).map(
        (r) => r.session_id,
      );
    } catch (error) {
      if (isNoServer(error)) return [];
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
      await this.cmd(['list-sessions', '-F', formatOf(['session_id'])]);
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
  constructor(
    readonly server: Server,
    readonly id: string,
    readonly name: string,
  ) {}

  /** All panes of this session, in window and pane order. */
  async panes(): Promise<PaneInfo[]> {
    return parseRows(
      PANE_FIELDS,
      await this.server.cmd(['list-panes', '-s', '-t', this.id, '-F', formatOf(PANE_FIELDS)]),
    );
  }

  /** Kills the session. */
  async kill(): Promise<void> {
    await this.server.cmd(['kill-session', '-t', this.id]);
  }
}

/** A pane, by its %id. */
export class Pane {
  constructor(
    readonly server: Server,
    readonly id: string,
  ) {}

  /** The pane's current state. */
  async info(): Promise<PaneInfo | undefined> {
    const rows = parseRows(
      PANE_FIELDS,
      await this.server.cmd(['list-panes', '-t', this.id, '-F', formatOf(PANE_FIELDS)]),
    );
    return rows.find((r) => r.pane_id === this.id);
  }

  /** The visible screen as text: with colour escapes when ansi is set, wrapped lines joined when join is. */
  async capture(opts: { ansi?: boolean; join?: boolean } = {}): Promise<string> {
    return this.server.cmd([
      'capture-pane',
      '-p',
      ...(opts.join ? ['-J'] : []),
      ...(opts.ansi ? ['-e'] : []),
      '-t',
      this.id,
    ]);
  }

  /** Size, whether its process died, and the screen with its colours, in one call. */
  async screen(): Promise<{ width: number; height: number; dead: boolean; text: string }> {
    const fields = ['pane_width', 'pane_height', 'pane_dead'] as const;
    const out = await this.server.cmd(
      ['display-message', '-p', '-t', this.id, formatOf(fields)],
      ['capture-pane', '-e', '-p', '-t', this.id],
    );
    const nl = out.indexOf('\n');
    const [row] = parseRows(fields, nl < 0 ? out : out.slice(0, nl));
    return {
      width: Number(row?.pane_width ?? 0),
      height: Number(row?.pane_height ?? 0),
      dead: row?.pane_dead === '1',
      text: nl < 0 ? '' : out.slice(nl + 1).replace(/\n$/, ''),
    };
  }

  /** Presses keys by name (Enter, Escape, C-c), in one call. */
  async press(...keys: string[]): Promise<void> {
    await this.server.cmd(['send-keys', '-t', this.id, ...keys]);
  }

  /** Types text as keystrokes (send-keys -l: nothing in it is a key name). */
  async type(text: string): Promise<void> {
    await this.server.cmd(['send-keys', '-t', this.id, '-l', text]);
  }

  /** Pastes text as one bracketed paste (newlines stay part of it), the text on tmux's stdin: one client call. */
  async paste(text: string, opts: { buffer: string }): Promise<void> {
    await this.server.cmdWithInput(
      text,
      ['load-buffer', '-b', opts.buffer, '-'],
      ['paste-buffer', '-p', '-d', '-b', opts.buffer, '-t', this.id],
    );
  }

  /** Sets a pane option (set-option -p). */
  async setOption(name: string, value: string): Promise<void> {
    await this.server.cmd(['set-option', '-p', '-t', this.id, name, value]);
  }
}
