// A delivery to an agent on another host in one round trip. Here a delivery is three tmux calls or
// more (the paste, a look at Claude's box until it shows the text, the Enter: src/delivery/deliver.ts);
// to a host each would be an ssh round trip of its own, so a small script there makes them all,
// the same way: the text on stdin to load-buffer (never in argv or a shell), a bracketed paste, the
// box looked at every 8 ms until its line after "❯" holds text (up to waitMs), then Enter.
import { TmuxError, type RemoteShell } from '../tmux/command.js';

/**
 * sh -c PASTE_AND_SUBMIT sh SOCKET PANE BUFFER WAIT_MS, the text on stdin. The box test is
 * promptBoxText's: the last screen line that starts with "❯", without it and its no-break spaces,
 * is not blank. (date +%s%3N: the hook script needs GNU date there already.)
 */
export const PASTE_AND_SUBMIT = [
  's=$1 p=$2 b=$3',
  'tmux -u -L "$s" load-buffer -b "$b" - \\; paste-buffer -p -d -b "$b" -t "$p" || exit',
  'end=$(( $(date +%s%3N) + $4 ))',
  `until tmux -u -L "$s" capture-pane -p -t "$p" 2>/dev/null | LC_ALL=C sed -n 's/^❯//p' | tail -n 1 | LC_ALL=C sed 's/\u00a0//g' | LC_ALL=C grep -q '[^[:space:]]'; do`,
  '  [ "$(date +%s%3N)" -lt "$end" ] || break',
  '  sleep 0.008 2>/dev/null || sleep 1',
  'done',
  'exec tmux -u -L "$s" send-keys -t "$p" Enter',
].join('\n');

/**
 * Pastes text into a pane of a tmux server there (-L socket) and submits it once Claude's box
 * shows it: one call of the host's shell (src/hosts/remote.ts hostShell: one ssh round trip).
 */
export async function pasteAndSubmitOnHost(
  shell: RemoteShell,
  socket: string,
  pane: string,
  text: string,
  buffer: string,
  waitMs: number,
): Promise<void> {
  const argv = ['sh', '-c', PASTE_AND_SUBMIT, 'sh', socket, pane, buffer, String(Math.round(waitMs))];
  const result = await shell.run(argv, text);
  if (result.exitCode !== 0)
    throw new TmuxError(
      'load-buffer ; paste-buffer ; send-keys',
      result.stderr || `exited with code ${result.exitCode}`,
      result.exitCode ?? undefined,
      argv,
    );
}
