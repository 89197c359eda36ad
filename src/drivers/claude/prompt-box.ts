// Claude Code's prompt box: how a prompt must be shaped to stay a prompt there, what the box makes
// of it (what its UserPromptSubmit then reports), and how its text is read off the screen.

/**
 * Claude Code's prompt box runs a line that starts with "!" as a shell command and one that starts
 * with "/" as a slash command ("/exit" quits). Such a prompt is sent with one leading space, which
 * keeps it a prompt (Claude passes the space on). Everything else is sent as it is.
 */
export function interactiveText(prompt: string): string {
  return /^[!/]/.test(prompt) ? ` ${prompt}` : prompt;
}

/** A prompt as the box submits it after we pasted it: each tab four spaces, no trailing white space or carriage returns. */
export function boxSubmission(prompt: string): string {
  return interactiveText(prompt).replace(/\r\n?/g, '\n').replace(/\t/g, '    ').trimEnd();
}

/** The text in Claude's prompt box (the line after "❯"), or null when the box is not on screen. */
export function promptBoxText(screen: string): string | null {
  const line = screen
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('❯'));
  return line === undefined
    ? null
    : line
        .slice(1)
        .replace(/\u00a0/g, ' ')
        .trim();
}
