// The PermissionRequest hook: it records the request in the agent's status file (with an id of
// its own) and waits for a decision file under the agent's approvals/ folder: whoever decides first
// (a person with `orchestrate approve`, the dashboard, the lead, a layout rule) writes it, and its
// text is the hook's answer to Claude. Claude's dialog stays up in the pane meanwhile, so a person
// there can answer too; with no decision before the timeout the hook says nothing, and the dialog
// decides: never an allow by default.
import { mkdirSync } from 'node:fs';
import { writeOnce } from '../util/write-once.js';
import { approvalHookFile } from '../store/paths.js';

export const APPROVAL_HOOK_SCRIPT = `#!/bin/sh
# PermissionRequest hook of claude-orchestrator: $1 status file, $2 decisions folder, $3 seconds to wait.
e=$(tr -d '\\n')
id="q$(date +%s%N)-$$"
printf '{"at":%s,"request":"%s","event":%s}\\n' "$(date +%s%3N)" "$id" "\${e:-null}" >> "$1" 2>/dev/null
d="$2/$id.json"; end=$(($(date +%s) + $3)); n=0
# A rule answers within milliseconds, a person within seconds: look often at first, then less.
while [ ! -f "$d" ] && [ "$(date +%s)" -lt "$end" ]; do
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
