// Permission rules in Claude Code's own syntax, decided by us so that each decision names the rule
// that made it: "Edit" (a whole tool), "Bash(npm test:*)" (a command prefix), "Bash(git status)"
// (one command), "Bash(git *)" (a wildcard), "Read(src/**)" / "Edit(*.md)" (a path glob),
// "WebFetch(domain:example.com)". deny wins over ask, ask over allow (as in Claude Code); no rule:
// a person decides. Bash lines are split into commands first (bash-rules.ts, docs/approvals.md).
import { decideBash, type BashRules } from './bash-rules.js';

export interface Rules {
  allow: string[];
  deny: string[];
  ask: string[];
}

export interface PolicyDecision {
  behavior: 'allow' | 'deny' | 'ask';
  rule: string;
}

/** A rule's tool and specifier; in the specifier \( \) \\ stand for ( ) \ (Claude Code's escaping). */
export function parseRule(rule: string): { tool: string; spec: string | null } | null {
  const m = /^([A-Za-z_][\w.*-]*)(?:\((.*)\))?$/s.exec(rule.trim());
  return m ? { tool: m[1]!, spec: m[2] === undefined ? null : m[2].replace(/\\([()\\])/g, '$1') } : null;
}

/** A rule for this specifier, escaped so that parseRule reads it back as it is. */
const withSpec = (tool: string, spec: string): string => `${tool}(${spec.replace(/[()\\]/g, '\\$&')})`;

const toolMatches = (ruleTool: string, tool: string): boolean =>
  ruleTool === tool || (ruleTool.endsWith('*') && tool.startsWith(ruleTool.slice(0, -1)));

const globRegex = (glob: string): RegExp =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\/?/g, '\u0000')
      .replace(/\*/g, '[^/]*')
      .replace(/\?/g, '[^/]')
      .replace(/\u0000/g, '.*')}$`,
  );

/** What a tool call is matched on: a Bash command, a file path, a URL's host, or nothing. */
function subject(tool: string, input: Record<string, unknown>): string | null {
  const s = (k: string): string | null => (typeof input[k] === 'string' ? (input[k] as string) : null);
  if (tool === 'Bash') return s('command');
  if (tool === 'WebFetch') {
    try {
      return `domain:${new URL(s('url') ?? '').hostname}`;
    } catch {
      return null;
    }
  }
  return s('file_path') ?? s('path') ?? s('notebook_path') ?? s('pattern');
}

/** The Bash rules among these, per behavior, with their specifiers. */
const bashRules = (rules: Rules): BashRules => {
  const pick = (list: string[]): [string, string | null][] =>
    list.flatMap((rule) => {
      const r = parseRule(rule);
      return r && toolMatches(r.tool, 'Bash') ? [[rule, r.spec] as [string, string | null]] : [];
    });
  return { allow: pick(rules.allow), deny: pick(rules.deny), ask: pick(rules.ask) };
};

/** Whether one rule covers this tool call (for Bash: the whole line, every command in it). */
export function ruleMatches(rule: string, tool: string, input: Record<string, unknown>, cwd?: string): boolean {
  const r = parseRule(rule);
  if (!r || !toolMatches(r.tool, tool)) return false;
  const what = subject(tool, input);
  if (tool === 'Bash' && what !== null)
    return decideBash(bashRules({ allow: [rule], deny: [], ask: [] }), what)?.behavior === 'allow';
  if (r.spec === null || r.spec === '' || r.spec === '*') return true;
  if (what === null) return false;
  if (r.spec.startsWith('domain:')) return what === r.spec;
  const rel = cwd && what.startsWith(`${cwd}/`) ? what.slice(cwd.length + 1) : what;
  return globRegex(r.spec).test(rel) || globRegex(r.spec).test(what);
}

/** The decision the rules make for a tool call, or null when none applies (a person decides). */
export function decide(
  rules: Rules,
  tool: string,
  input: Record<string, unknown>,
  cwd?: string,
): PolicyDecision | null {
  const command = subject(tool, input);
  if (tool === 'Bash' && command !== null) return decideBash(bashRules(rules), command);
  for (const behavior of ['deny', 'ask', 'allow'] as const) {
    const rule = rules[behavior].find((r) => ruleMatches(r, tool, input, cwd));
    if (rule) return { behavior, rule };
  }
  return null;
}

/**
 * A rule that allows this call and no other (approve --always), or null when no rule can say
 * that: a Bash line becomes an exact rule of the whole line (matched as the whole line, never as a
 * prefix), unless it holds a "*" (a rule would read it as a wildcard); a path with a glob character
 * likewise; WebFetch gets its domain, the narrowest rule Claude Code has for it.
 */
export function ruleFor(tool: string, input: Record<string, unknown>): string | null {
  const what = subject(tool, input);
  if (what === null) return tool === 'WebFetch' ? null : tool;
  if (tool === 'WebFetch') return withSpec(tool, what);
  if (!what.trim() || what.includes('*') || (tool !== 'Bash' && what.includes('?'))) return null;
  return withSpec(tool, tool === 'Bash' ? what.trim() : what);
}

/** A tool call in a few words: "Bash(npm install)", "Edit(src/app.ts)". */
export function describeCall(tool: string, input: Record<string, unknown>, max = 120): string {
  const what = subject(tool, input);
  const text = what ? `${tool}(${what})` : tool;
  return text.length > max ? `${text.slice(0, max - 1)}…)` : text;
}
