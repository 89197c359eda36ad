// Claude's start-up screens: an agent that shows no sign of life (no SessionStart)
// may be held at one of Claude Code's start-up dialogs, which fire no hooks. Each is named with
// its fix, so the status says "waiting: folder trust dialog..." instead of "starting" forever.

const DIALOGS: [RegExp, string][] = [
  [
    /Yes, I trust this folder|Do you trust the files in this folder|one you trust\?/,
    'folder trust dialog: attach and choose "Yes, I trust this folder" (once per project), see `orchestrate doctor`',
  ],
  [
    /Do you want to use this API key|Detected a custom API key/,
    'API key dialog: attach and choose "Yes" (its default is No), or approve the key once in a plain `claude`',
  ],
  [
    /Bypass Permissions mode|bypass permissions mode/i,
    'bypass-permissions warning: attach and accept it (its default is "No, exit")',
  ],
  [
    /Choose the text style|Select login method|Let's get started|Security notes:[\s\S]*Press Enter to continue/,
    'first-run onboarding: attach and finish it once, or run `claude` once by hand',
  ],
  [
    /Unable to connect to Anthropic services|Failed to connect to api\.anthropic\.com/,
    'onboarding connectivity check failed (it ignores ANTHROPIC_BASE_URL): finish onboarding once with network, or set hasCompletedOnboarding in ~/.claude.json',
  ],
];

/** The dialog shown on screen, as a reason with its fix, or undefined. */
export function detectDialog(screen: string): string | undefined {
  return DIALOGS.find(([re]) => re.test(screen))?.[1];
}
