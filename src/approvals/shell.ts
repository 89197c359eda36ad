// Reads one Bash command line the way permission rules need it, without running or expanding
// anything: the simple commands it holds (across ; && || | |& & and newlines, inside ( ) and { }
// groups, $( ) and backticks), each as its words with the quotes taken off, and the reasons it
// cannot be read with certainty (a substitution, a heredoc, a write, an unterminated quote...).
// A line with such a reason is never allowed by a rule; deny rules still see every command read.
// Written here rather than taken from a package: shell-quote and the like tokenize but do not
// report what they could not read, and Claude Code's own reader is tree-sitter (a native build).

/**
 * A word. `text` is what the shell would pass (quotes removed); `key` is the same with literal
 * special characters kept behind a backslash, so that two words are the same shell text exactly
 * when their keys are equal ("*" a glob, "\*" a quoted star). `dynamic`: its value is decided at
 * run time (an expansion, a glob); `assign`: a NAME=value word; `quoted`: it had quotes or escapes.
 */
export interface Word {
  text: string;
  key: string;
  dynamic: boolean;
  assign: boolean;
  quoted: boolean;
}

/** The simple commands of a line, and why it cannot be read with certainty (empty when it can). */
export interface ParsedCommand {
  commands: Word[][];
  uncertain: string[];
}

const META = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
const SPECIAL = new Set(['\\', '*', '?', '[', ']', '$', '`', '{', '}', '~']);
const PREFIX_KEYWORDS = new Set(['if', 'then', 'else', 'elif', 'do', 'while', 'until', 'fi', 'done', 'esac']);
const OPAQUE_KEYWORDS = new Set(['for', 'select', 'case', 'function', 'coproc', '[[', ']]']);
const REDIRECT = /^(\d*)(&>>|&>|>>|>\||>&|>|<<<|<<-|<<|<>|<&|<)/;

const newWord = (): Word => ({ text: '', key: '', dynamic: false, assign: false, quoted: false });
const literal = (w: Word, s: string): void => {
  w.text += s;
  for (const ch of s) w.key += SPECIAL.has(ch) ? `\\${ch}` : ch;
};
const expansion = (w: Word, raw: string): void => {
  w.text += raw;
  w.key += raw;
  w.dynamic = true;
  w.quoted = true;
};

class Reader {
  i = 0;
  readonly commands: Word[][] = [];
  readonly uncertain = new Set<string>();
  readonly keywords = new Set<string>();
  private heredocs: { delim: string; strip: boolean }[] = [];
  constructor(
    private readonly src: string,
    private readonly pattern: boolean,
  ) {}

  private doubt(why: string): void {
    this.uncertain.add(why);
  }
  private at(k = 0): string | undefined {
    return this.src[this.i + k];
  }

  /** Commands up to `stop` (the closing parenthesis or brace of a group) or the end of the line. */
  list(stop: ')' | '}' | null): void {
    let words: Word[] = [];
    const end = (): void => {
      if (words.length) this.finish(words);
      words = [];
    };
    for (;;) {
      this.blanks();
      const c = this.at();
      const next = this.at(1);
      if (c === undefined) {
        end();
        if (stop) this.doubt(`unclosed ${stop === ')' ? '(' : '{'}`);
        return;
      }
      if (c === '#') {
        while (this.at() !== undefined && this.at() !== '\n') this.i++;
        continue;
      }
      if (c === '\n') {
        this.i++;
        end();
        this.heredocBodies();
        continue;
      }
      if (c === ';') {
        this.i++;
        if (this.at() === ';' || this.at() === '&') this.doubt('case');
        end();
        continue;
      }
      if (c === '&' && next === '>') {
        this.redirect();
        continue;
      }
      if (c === '&') {
        this.i += next === '&' ? 2 : 1;
        if (next !== '&') this.doubt('background &');
        end();
        continue;
      }
      if (c === '|') {
        this.i += next === '|' || next === '&' ? 2 : 1;
        end();
        continue;
      }
      if (c === ')') {
        this.i++;
        end();
        if (stop === ')') return;
        this.doubt('unmatched )');
        continue;
      }
      if (c === '(') {
        this.i++;
        if (words.length) this.doubt('array or function definition');
        else if (this.at() === '(') this.doubt('arithmetic');
        end();
        this.list(')');
        continue;
      }
      if ((c === '<' || c === '>') && next === '(') {
        words.push(this.processSubstitution());
        continue;
      }
      if (/^\d*[<>]/.test(this.src.slice(this.i, this.i + 24))) {
        this.redirect();
        continue;
      }
      const w = this.word();
      if (!w.text && !w.quoted) continue;
      if (!words.length && !w.quoted && w.key === '{') {
        this.list('}');
        continue;
      }
      if (!words.length && !w.quoted && w.key === '}') {
        if (stop === '}') return;
        this.doubt('unmatched }');
        continue;
      }
      words.push(w);
    }
  }

  /** Spaces, tabs and line continuations. */
  private blanks(): void {
    for (;;) {
      if (this.at() === ' ' || this.at() === '\t') this.i++;
      else if (this.at() === '\\' && this.at(1) === '\n') this.i += 2;
      else return;
    }
  }

  /** One word, up to an unquoted blank or operator. */
  private word(): Word {
    const w = newWord();
    for (let c = this.at(); c !== undefined && !META.has(c); c = this.at()) {
      if (c === '=' && !w.quoted && !w.assign && /^[A-Za-z_]\w*\+?$/.test(w.text)) w.assign = true;
      if (c === '\\') {
        const n = this.at(1);
        if (n === '\n') {
          this.i += 2;
          continue;
        }
        literal(w, n ?? '\\');
        w.quoted = true;
        this.i += n === undefined ? 1 : 2;
      } else if (c === "'") {
        const close = this.src.indexOf("'", this.i + 1);
        if (close < 0) this.doubt('unterminated quote');
        literal(w, this.src.slice(this.i + 1, close < 0 ? undefined : close));
        w.quoted = true;
        this.i = close < 0 ? this.src.length : close + 1;
      } else if (c === '"') this.doubleQuoted(w);
      else if (c === '$' || c === '`') this.dollarOrBacktick(w);
      else {
        if ('*?[{}~'.includes(c)) w.dynamic = true;
        w.text += c;
        w.key += c;
        this.i++;
      }
    }
    return w;
  }

  /** "..." : literal text, but $ and backticks still expand. */
  private doubleQuoted(w: Word): void {
    w.quoted = true;
    this.i++;
    for (;;) {
      const c = this.at();
      if (c === undefined) {
        this.doubt('unterminated quote');
        return;
      }
      if (c === '"') {
        this.i++;
        return;
      }
      if (c === '\\' && this.at(1) !== undefined && '$`"\\\n'.includes(this.at(1)!)) {
        if (this.at(1) !== '\n') literal(w, this.at(1)!);
        this.i += 2;
      } else if (c === '$' || c === '`') this.dollarOrBacktick(w);
      else {
        literal(w, c);
        this.i++;
      }
    }
  }

  /** $NAME, ${...}, $(...), $((...)), $'...', backticks; a lone $ is literal. */
  private dollarOrBacktick(w: Word): void {
    const start = this.i;
    const n = this.at(1);
    if (this.at() === '`') {
      expansion(w, this.backticks());
      return;
    }
    if (n === '(' && this.at(2) === '(') {
      this.doubt('arithmetic expansion');
      this.i = this.closing(start + 1, '(', ')');
    } else if (n === '(') {
      this.doubt('command substitution');
      this.i += 2;
      this.list(')');
    } else if (n === '{') {
      this.i = this.closing(start + 1, '{', '}');
      const raw = this.src.slice(start, this.i);
      if (!/^\$\{#?([A-Za-z_]\w*|\d)\}$/.test(raw)) {
        this.doubt('parameter expansion');
        this.readInner(raw.slice(2, -1), true);
      }
    } else if (n === "'") {
      let j = start + 2;
      while (j < this.src.length && this.src[j] !== "'") j += this.src[j] === '\\' ? 2 : 1;
      if (j >= this.src.length) this.doubt('unterminated quote');
      this.i = Math.min(j + 1, this.src.length);
    } else if (n !== undefined && /[A-Za-z_]/.test(n)) {
      this.i = start + 1 + /^[A-Za-z_]\w*/.exec(this.src.slice(start + 1))![0].length;
    } else if (n !== undefined && /[0-9@*#?$!-]/.test(n)) this.i += 2;
    else {
      literal(w, '$');
      this.i++;
      return;
    }
    expansion(w, this.src.slice(start, this.i));
  }

  /** The index after the bracket that closes the one at `from` (the end of the line when none does). */
  private closing(from: number, open: string, close: string): number {
    let depth = 0;
    for (let j = from; j < this.src.length; j++) {
      if (this.src[j] === '\\') {
        j++;
        continue;
      }
      if (this.src[j] === open) depth++;
      else if (this.src[j] === close && --depth === 0) return j + 1;
    }
    this.doubt(`unclosed ${open}`);
    return this.src.length;
  }

  /** `...`: its body is read as commands of its own (deny rules see them); the line is uncertain. */
  private backticks(): string {
    const start = this.i;
    let body = '';
    let j = start + 1;
    for (; j < this.src.length && this.src[j] !== '`'; j++) {
      if (this.src[j] === '\\' && j + 1 < this.src.length) {
        body += '$`\\'.includes(this.src[j + 1]!) ? this.src[j + 1] : `\\${this.src[j + 1]}`;
        j++;
      } else body += this.src[j];
    }
    this.doubt(j >= this.src.length ? 'unterminated backticks' : 'backticks');
    this.i = Math.min(j + 1, this.src.length);
    this.readInner(body);
    return this.src.slice(start, this.i);
  }

  /** Reads text the shell runs or expands on its own (a backtick body; a ${...}, not a command itself) so deny rules see its commands. */
  private readInner(text: string, asPattern = this.pattern): void {
    const inner = new Reader(text, asPattern);
    inner.list(null);
    this.commands.push(...inner.commands);
    for (const why of inner.uncertain) this.doubt(why);
    for (const k of inner.keywords) this.keywords.add(k);
  }

  /** <(...) or >(...): read like $(...). */
  private processSubstitution(): Word {
    const start = this.i;
    this.doubt('process substitution');
    this.i += 2;
    this.list(')');
    const w = newWord();
    expansion(w, this.src.slice(start, this.i));
    return w;
  }

  /** A redirection and its target: reading is fine, writing anywhere but /dev/null is not certain. */
  private redirect(): void {
    const m = REDIRECT.exec(this.src.slice(this.i))!;
    this.i += m[0].length;
    this.blanks();
    const op = m[2]!;
    const c = this.at();
    if (c === undefined || META.has(c)) {
      this.doubt(`${op} without a target`);
      return;
    }
    const target = this.word();
    const name = target.text || target.key;
    if (op === '<<' || op === '<<-') {
      this.heredocs.push({ delim: target.text, strip: op === '<<-' });
      this.doubt('heredoc');
      return;
    }
    if (op === '<' || op === '<<<') return;
    if ((op === '<&' || op === '>&') && /^(\d+|-)$/.test(target.key)) return;
    if (op === '<&') {
      this.doubt(`<& ${name}`);
      return;
    }
    if (op === '<>') {
      this.doubt(`opens ${name} for writing`);
      return;
    }
    if (target.key !== '/dev/null') this.doubt(`writes to ${name}`);
  }

  /** Skips the bodies of the heredocs begun on the line that just ended. */
  private heredocBodies(): void {
    for (const { delim, strip } of this.heredocs) {
      for (;;) {
        if (this.i >= this.src.length) {
          this.doubt('unterminated heredoc');
          break;
        }
        const nl = this.src.indexOf('\n', this.i);
        const line = this.src.slice(this.i, nl < 0 ? undefined : nl);
        this.i = nl < 0 ? this.src.length : nl + 1;
        if ((strip ? line.replace(/^\t+/, '') : line) === delim) break;
      }
    }
    this.heredocs = [];
  }

  /** Ends a simple command: shell keywords make the line uncertain (the command after them is kept). */
  private finish(words: Word[]): void {
    let w = words;
    const bare = (x: Word | undefined, set: Set<string>): boolean => Boolean(x && !x.quoted && set.has(x.key));
    while (w[0] && !w[0].quoted && (w[0].key === '!' || w[0].key === 'time')) w = w.slice(1);
    while (bare(w[0], PREFIX_KEYWORDS)) {
      this.keywords.add(w[0]!.key);
      w = w.slice(1);
    }
    if (bare(w[0], OPAQUE_KEYWORDS)) this.keywords.add(w[0]!.key);
    const head = w.find((x) => !x.assign);
    if (!this.pattern && head && !bare(head, OPAQUE_KEYWORDS)) {
      if (head.dynamic && head.key !== '[') this.doubt(`expansion in command position (${head.key})`);
      if (head.text === 'eval' && !head.dynamic) this.doubt('eval');
    }
    if (w.length) this.commands.push(w);
  }
}

/**
 * Reads a command line. `pattern` reads a rule's text instead: words in command position may then
 * hold globs and expansions (they are compared as written, never run).
 */
export function parseCommand(src: string, pattern = false): ParsedCommand {
  const r = new Reader(src, pattern);
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(src)) r.uncertain.add('control characters');
  r.list(null);
  if (r.keywords.size) r.uncertain.add(`shell keyword${r.keywords.size > 1 ? 's' : ''} ${[...r.keywords].join(' ')}`);
  return { commands: r.commands, uncertain: [...r.uncertain] };
}
