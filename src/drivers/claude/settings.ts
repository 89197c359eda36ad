// Claude Code's hooks as our status signal: which of its events we record and the settings object
// (claude --settings) whose hooks append each to the agent's status file.
import { quoteArgv } from '../../util/shell-quote.js';

/** Events we record. PostToolUse/PreToolUse cost one hook run per tool call; they make "busy" live. */
export const HOOK_EVENTS = [
  'SessionStart',
  'UserPromptSubmit',
  'PreToolUse',
  'PostToolUse',
  'Stop',
  'StopFailure',
  'Notification',
  'PermissionRequest',
  'SessionEnd',
] as const;

/** The PermissionRequest hook: the approval script, where decisions arrive, and how long it waits. */
export interface ApprovalHook {
  script: string;
  decisions: string;
  timeoutS: number;
}

/**
 * The settings object (claude --settings) whose hooks append to statusPath; PermissionRequest waits
 * for a decision when given one. Without sessionEnd (a headless agent's `claude -p` fires SessionEnd
 * whenever it exits, which is not the end of the agent) there is no SessionEnd hook.
 */
export function hookSettings(
  hookScript: string,
  statusPath: string,
  approval?: ApprovalHook,
  opts: { sessionEnd?: boolean } = {},
): Record<string, unknown> {
  const command = quoteArgv(['/bin/sh', hookScript, statusPath]);
  const entry = (matcher?: string): unknown => ({
    ...(matcher !== undefined ? { matcher } : {}),
    hooks: [{ type: 'command', command, timeout: 10 }],
  });
  const toolEvents = new Set(['PreToolUse', 'PostToolUse', 'PermissionRequest']);
  const hooks: Record<string, unknown> = Object.fromEntries(
    HOOK_EVENTS.map((e) => [e, [entry(toolEvents.has(e) ? '*' : undefined)]]),
  );
  if (approval) {
    hooks.PermissionRequest = [
      {
        matcher: '*',
        hooks: [
          {
            type: 'command',
            command: quoteArgv(['/bin/sh', approval.script, statusPath, approval.decisions, String(approval.timeoutS)]),
            timeout: approval.timeoutS + 10,
          },
        ],
      },
    ];
  }
  if (opts.sessionEnd === false) delete hooks.SessionEnd;
  return { hooks };
}
