// Quoting for the few places where we write a shell command (launch scripts, printed commands):
// every word is single-quoted unless it is plainly safe, so no user text is ever interpreted.

/** One word, safe to paste into sh/bash/zsh. */
export function quote(word: string): string {
  return /^[A-Za-z0-9_\/.,:=@%+^-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** An argv as one shell command line. */
export function quoteArgv(argv: readonly string[]): string {
  return argv.map(quote).join(' ');
}
