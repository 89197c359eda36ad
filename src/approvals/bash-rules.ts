// Bash permission rules, matched the way Claude Code matches them (docs/approvals.md): a line is
// split into simple commands; a deny or ask rule that matches any of them decides the whole line;
// an allow needs every command allowed and a line read with certainty. "npm test:*" is a prefix
// of whole words, "git *" a wildcard, anything else one exact command (or the exact whole line).
import { parseCommand, type Word } from './shell.js';

/** A Bash rule's specifier, read once. `words` are the keys of its one simple command (null: not one). */
export type BashRule =
  | { kind: 'all' }
  | { kind: 'exact'; text: string; words: string[] | null }
  | { kind: 'prefix'; words: string[] | null }
  | { kind: 'wildcard'; pattern: RegExp | null };

/** Whether `*` at `at` is not escaped by an odd number of backslashes. */
const unescapedStar = (spec: string, at: number): boolean => {
  let n = 0;
  for (let j = at - 1; j >= 0 && spec[j] === '\\'; j--) n++;
  return n % 2 === 0;
};

/** The keys of a rule text that is one simple command, or null. */
function ruleWords(text: string): string[] | null {
  const parsed = parseCommand(text, true);
  return parsed.commands.length === 1 && !parsed.uncertain.length ? parsed.commands[0]!.map((w) => w.key) : null;
}

/**
 * A wildcard rule as a pattern over a command's word keys joined by NUL: an unquoted `*` is any
 * text (across words too), a trailing " *" also matches nothing (`git *` matches `git`), as in Claude Code.
 */
function wildcard(words: string[]): RegExp {
  const stars = words.join(' ').replace(/\\./g, '').split('*').length - 1;
  const optionalTail = words.length > 1 && words.at(-1) === '*' && stars === 1;
  const body = (optionalTail ? words.slice(0, -1) : words).map((key) =>
    key.replace(/\\.|./gs, (ch) => (ch === '*' ? '.*' : ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))),
  );
  return new RegExp(`^${body.join('\u0000')}${optionalTail ? '(?:\u0000.*)?' : ''}$`, 's');
}

/** Reads a Bash rule's specifier (null or "*": the whole tool). */
export function parseBashRule(spec: string | null): BashRule {
  if (spec === null || spec === '' || spec === '*') return { kind: 'all' };
  if (spec.endsWith(':*') && spec.length > 2) return { kind: 'prefix', words: ruleWords(spec.slice(0, -2)) };
  if ([...spec].some((ch, at) => ch === '*' && unescapedStar(spec, at))) {
    const words = ruleWords(spec);
    return { kind: 'wildcard', pattern: words && wildcard(words) };
  }
  return { kind: 'exact', text: spec.trim(), words: ruleWords(spec) };
}

/** Whether a rule matches one simple command, given as word keys. */
export function matchesWords(rule: BashRule, keys: string[]): boolean {
  switch (rule.kind) {
    case 'all':
      return true;
    case 'exact':
      return rule.words !== null && rule.words.length === keys.length && rule.words.every((k, i) => k === keys[i]);
    case 'prefix':
      return rule.words !== null && rule.words.length <= keys.length && rule.words.every((k, i) => k === keys[i]);
    case 'wildcard':
      return rule.pattern?.test(keys.join('\u0000')) ?? false;
  }
}

/** Commands that run the command in their arguments: deny and ask rules look past them. */
const WRAPPERS = new Set([
  'sudo',
  'doas',
  'env',
  'nohup',
  'time',
  'timeout',
  'nice',
  'ionice',
  'stdbuf',
  'command',
  'builtin',
  'exec',
  'xargs',
  'watch',
  'setsid',
  'taskset',
  'chrt',
  'flock',
  'nsenter',
  'unshare',
  'strace',
  'ltrace',
  'script',
  'runuser',
  'su',
  'pkexec',
  'noglob',
]);
const basename = (key: string): string => key.replace(/^.*\//, '');

/**
 * The forms of a command a deny or ask rule is tried on: as written; without NAME=value
 * assignments; its first word without a directory (/bin/rm); and, when it starts with a wrapper
 * (sudo, env, timeout, xargs...), from each later word that follows the wrapper, an option, a
 * number, an assignment or an option's value. One pass: a wrapper inside a wrapper adds no loop.
 */
export function denyForms(words: Word[]): string[][] {
  const keys = words.map((x) => x.key);
  const forms: string[][] = [];
  const add = (from: number): void => {
    if (from >= keys.length) return;
    forms.push(keys.slice(from));
    const head = basename(keys[from]!);
    if (head !== keys[from]) forms.push([head, ...keys.slice(from + 1)]);
  };
  add(0);
  const bare = words.findIndex((x) => !x.assign);
  if (bare > 0) add(bare);
  if (bare < 0 || !WRAPPERS.has(basename(keys[bare]!))) return forms;
  const opt = (x: Word | undefined): boolean =>
    Boolean(
      x && (x.key.startsWith('-') || x.assign || /^\d+(\.\d+)?[smhd]?$/.test(x.key) || WRAPPERS.has(basename(x.key))),
    );
  for (let p = bare + 1; p < words.length; p++) if (opt(words[p - 1]) || (p - 2 > bare && opt(words[p - 2]))) add(p);
  return forms;
}

/** The Bash rules of each behavior, as [the rule as written, its specifier]. */
export interface BashRules {
  allow: [string, string | null][];
  deny: [string, string | null][];
  ask: [string, string | null][];
}

/**
 * Decides a Bash line: deny (then ask) when a rule matches any command in it, or the exact line;
 * allow when an exact rule is the whole line, or when the line is read with certainty and each of
 * its commands is allowed (the rule names every rule used, joined by " + "); a line that cannot be
 * read with certainty asks a person ("uncertain: why"); otherwise null (a person decides).
 */
export function decideBash(
  rules: BashRules,
  command: string,
): { behavior: 'allow' | 'deny' | 'ask'; rule: string } | null {
  const parsed = parseCommand(command);
  const line = command.trim();
  const read = (list: [string, string | null][]): [string, BashRule][] =>
    list.map(([rule, spec]) => [rule, parseBashRule(spec)]);
  const isLine = (r: BashRule): boolean => r.kind === 'exact' && r.text === line;
  for (const behavior of ['deny', 'ask'] as const) {
    for (const [rule, r] of read(rules[behavior])) {
      if (
        r.kind === 'all' ||
        isLine(r) ||
        parsed.commands.some((c) => denyForms(c).some((form) => matchesWords(r, form)))
      )
        return { behavior, rule };
    }
  }
  const allow = read(rules.allow);
  const exact = allow.find(([, r]) => isLine(r));
  if (exact) return { behavior: 'allow', rule: exact[0] };
  if (parsed.uncertain.length) {
    // The whole tool allowed and no deny or ask rule an unreadable part could slip past: allowed, as in Claude Code.
    const whole = allow.find(([, r]) => r.kind === 'all');
    if (whole && !rules.deny.length && !rules.ask.length) return { behavior: 'allow', rule: whole[0] };
    return { behavior: 'ask', rule: `uncertain: ${parsed.uncertain.join(', ')}` };
  }
  if (!parsed.commands.length) return null;
  const used: string[] = [];
  for (const c of parsed.commands) {
    const keys = c.map((w) => w.key);
    const hit = allow.find(([, r]) => matchesWords(r, keys));
    if (!hit) return null;
    if (!used.includes(hit[0])) used.push(hit[0]);
  }
  return { behavior: 'allow', rule: used.join(' + ') };
}
