// Quoting for the few places where we write a shell command (launch scripts, printed commands):
// every word is single-quoted unless it is plainly safe, so no user text is ever interpreted.

/** One word, safe to paste into sh/bash/zsh. */
export function quote(word: string): string {
  return /^[A-Za-z0-9_/.,:=@%+^-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * One word for a command line shown to a person (bash, zsh): like quote(), but a word holding
 * control characters (tmux's field separator) is written as $'...' with \xHH escapes, so it stays
 * visible and pastes as it is.
 */
export function quoteShown(word: string): string {
  if (!/[\x00-\x1f\x7f]/.test(word)) return quote(word);
  return `$'${word.replace(/[\\']/g, '\\$&').replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}'`;
}

/** An argv as one shell command line. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}
