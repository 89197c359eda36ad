// Permission rules in Claude Code's own syntax, decided by us so that each decision names the rule
// that made it: "Edit" (a whole tool), "Bash(npm test:*)" (a command prefix), "Bash(git status)"
// (one command), "Read(src/**)" / "Edit(*.md)" (a path glob), "WebFetch(domain:example.com)".
// deny wins over ask, ask over allow (as in Claude Code); no rule: a person decides.

export interface Rules { allow: string[]; deny: string[]; ask: string[] }

export interface PolicyDecision { behavior: 'allow' | 'deny' | 'ask'; rule: string }

/** A rule's tool and specifier. */
export function parseRule(rule: string): { tool: string; spec: string | null } | null {
  const m = /^([A-Za-z_][\w.*-]*)(?:\((.*)\))?$/s.exec(rule.trim());
  return m ? { tool: m[1]!, spec: m[2] ?? null } : null;
}

const globRegex = (glob: string): RegExp => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*\*\/?/g, '\u0000').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]').replace(/\u0000/g, '.*')}$`);

/** What a tool call is matched on: a Bash command, a file path, a URL's host, or nothing. */
function subject(tool: string, input: Record<string, unknown>): string | null {
  const s = (k: string): string | null => (typeof input[k] === 'string' ? (input[k] as string) : null);
  if (tool === 'Bash') return s('command');
  if (tool === 'WebFetch') { try { return `domain:${new URL(s('url') ?? '').hostname}`; } catch { return null; } }
  return s('file_path') ?? s('path') ?? s('notebook_path') ?? s('pattern');
}

/** Whether one rule covers this tool call. */
export function ruleMatches(rule: string, tool: string, input: Record<string, unknown>, cwd?: string): boolean {
  const r = parseRule(rule);
  if (!r || (r.tool !== tool && !(r.tool.endsWith('*') && tool.startsWith(r.tool.slice(0, -1))))) return false;
  if (r.spec === null || r.spec === '*') return true;
  const what = subject(tool, input);
  if (what === null) return false;
  if (tool === 'Bash') {
    // "npm test:*" is a prefix (the command, or it followed by anything); otherwise the exact command.
    if (r.spec.endsWith(':*')) { const prefix = r.spec.slice(0, -2); return what === prefix || what.startsWith(`${prefix} `) || what.startsWith(prefix); }
    if (r.spec.endsWith('*')) return what.startsWith(r.spec.slice(0, -1));
    return what === r.spec;
  }
  if (r.spec.startsWith('domain:')) return what === r.spec;
  const rel = cwd && what.startsWith(`${cwd}/`) ? what.slice(cwd.length + 1) : what;
  return globRegex(r.spec).test(rel) || globRegex(r.spec).test(what);
}

/** The decision the rules make for a tool call, or null when none applies (a person decides). */
export function decide(rules: Rules, tool: string, input: Record<string, unknown>, cwd?: string): PolicyDecision | null {
  for (const behavior of ['deny', 'ask', 'allow'] as const) {
    const rule = rules[behavior].find((r) => ruleMatches(r, tool, input, cwd));
    if (rule) return { behavior, rule };
  }
  return null;
}

/** A rule that would allow exactly this call again (approve --always). */
export function ruleFor(tool: string, input: Record<string, unknown>): string {
  const what = subject(tool, input);
  return what && tool === 'Bash' ? `Bash(${what})` : what && tool !== 'WebFetch' ? `${tool}(${what})` : tool;
}

/** A tool call in a few words: "Bash(npm install)", "Edit(src/app.ts)". */
export function describeCall(tool: string, input: Record<string, unknown>, max = 120): string {
  const what = subject(tool, input);
  const text = what ? `${tool}(${what})` : tool;
  return text.length > max ? `${text.slice(0, max - 1)}…)` : text;
}
