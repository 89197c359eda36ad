// The tmux command that shows one agent's pane, zoomed: select its window and pane and zoom it
// (unless it is zoomed already), then switch this client there (inside tmux) or attach to the
// session (outside it, or over SSH). One client call, the pane targeted by its %id.
import type { SessionRecord } from '../store/types.js';

export function attachArgv(session: Pick<SessionRecord, 'name' | 'socket'>, pane: string, inside: boolean): string[] {
  const socket = session.socket ? ['-L', session.socket] : [];
  const show = [
    'select-window',
    '-t',
    pane,
    ';',
    'select-pane',
    '-t',
    pane,
    ';',
    'if-shell',
    '-F',
    '-t',
    pane,
    '#{window_zoomed_flag}',
    '',
    `resize-pane -Z -t ${pane}`,
  ];
  return inside
    ? [...socket, 'switch-client', '-t', pane, ';', ...show]
    : [...socket, 'attach-session', '-t', `=${session.name}`, ';', ...show];
}
