// The PermissionRequest hook: it records the request in the agent's status file (with an id of
// its own) and waits for a decision file under the agent's approvals/ folder: whoever decides first
// (a person with `orchestrate approve`, the dashboard, the lead, a layout rule) writes it, and its
// text is the hook's answer to Claude. Claude's dialog stays up in the pane meanwhile, so a person
// there can answer too; with no decision before the timeout the hook says nothing, and the dialog
// decides: never an allow by default. A hook whose claude is gone stops at once and withdraws its request.
import { mkdirSync } from 'node:fs';
import { writeOnce } from '../util/write-once.js';
import { approvalHookFile } from '../store/paths.js';

export const APPROVAL_HOOK_SCRIPT = `#!/bin/sh
# PermissionRequest hook of claude-orchestrator: $1 status file, $2 decisions folder, $3 seconds to wait.
e=$(tr -d '\\n')
id="q$(date +%s%N)-$$"
printf '{"at":%s,"request":"%s","event":%s}\\n' "$(date +%s%3N)" "$id" "\${e:-null}" >> "$1" 2>/dev/null
d="$2/$id.json"; end=$(($(date +%s) + $3)); n=0
# The claude that asked: our parent, or its parent when a shell runs us (sh -c). Once it is gone
# (killed, crashed) nobody waits for the answer: the request is withdrawn at once. (Linux /proc;
# elsewhere the hook waits as before.)
parent() { p=; s=; read -r s < "/proc/$1/stat" 2>/dev/null || return 0; s=\${s##*) }; set -- $s; p=$2; }
parent $$; up=$p; claude=$up
if [ -n "$up" ] && read -r c < "/proc/$up/comm" 2>/dev/null; then
  case $c in sh|dash|bash|ash|ksh|mksh|zsh|fish|busybox) parent "$up"; claude=$p;; esac
fi
asker_alive() { [ -z "$claude" ] && return 0; parent $$; [ "$p" = "$up" ] || return 1; [ "$up" = "$claude" ] && return 0; parent "$up"; [ "$p" = "$claude" ]; }
# A rule answers within milliseconds, a person within seconds: look often at first, then less.
while [ ! -f "$d" ] && [ "$(date +%s)" -lt "$end" ]; do
  if ! asker_alive; then
    printf '{"at":%s,"request":"%s","event":{"hook_event_name":"PermissionWithdrawn","reason":"its claude exited"}}\\n' "$(date +%s%3N)" "$id" >> "$1" 2>/dev/null
    exit 0
  fi
  if [ "$n" -lt 100 ]; then sleep 0.01; else sleep 0.2; fi; n=$((n + 1))
done
[ -f "$d" ] && cat "$d"
exit 0
`;

/** Writes the session's approval hook (once per state directory) and returns its path. */
export function writeApprovalHook(stateDir: string): string {
  mkdirSync(stateDir, { recursive: true });
  const file = approvalHookFile(stateDir);
  writeOnce(file, APPROVAL_HOOK_SCRIPT, 0o755);
  return file;
}
