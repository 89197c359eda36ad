// Layout loading pipeline: read -> parse with positions -> schema -> defaults -> cross-field rules.
// Returns every problem at once, each as file:line:col path: what is wrong (what would be right).
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { check, unique, type Issue } from '../config/schema.js';
import { offsetAt, readSource, type Problem } from '../config/source.js';
import { LAYOUT_NAMES, parseCustomLayout } from './layout-string.js';
import { layoutSchema } from './schema.js';
import { checkForks } from './forks.js';
import { checkWorktrees } from './worktrees.js';
import { checkBranches } from './branches.js';
import { toolkitRoot } from '../util/paths.js';
import type { AgentSpec, HostSpec, Layout, PaneSpec, WindowSpec } from './types.js';
import type { FleetSettings } from '../store/types.js';
import { DEFAULT_BACKOFF_S, DEFAULT_MAX_BACKOFF_S } from '../fleet/limits.js';
import { DEFAULT_APPROVAL_TIMEOUT_S } from '../approvals/approvals.js';

type Raw = Record<string, unknown>;
type Path = (string | number)[];

/** The result of loading: a layout when there are no problems. */
export interface LoadResult {
  layout?: Layout;
  problems: Problem[];
}

export interface LoadOptions {
  /** Directory used as project root when the layout sets none (default: process.cwd()). */
  cwd?: string;
}

/** Roles with a shipped prompt (prompts/<role>.md), appended unless the layout sets its own. */
export const ROLE_PROMPTS = ['lead', 'worker'];

/** A session name from a folder's name: what tmux would change or expand becomes "_". */
export const sessionNameFor = (dir: string): string =>
  (
    basename(dir)
      .replace(/[^\p{L}\p{N}_+-]/gu, '_')
      .replace(/^[+-]/, '_') || 'session'
  ).slice(0, 64);

const isDir = (path: string): boolean => existsSync(path) && statSync(path).isDirectory();
const notADir = (path: string): string =>
  existsSync(path) ? `${path} is a file, not a directory` : `directory ${path} does not exist`;
const pathText = (path: Path): string =>
  path.reduce<string>((s, k) => (typeof k === 'number' ? `${s}[${k}]` : s ? `${s}.${k}` : k), '');

/** Loads and validates a layout file. */
/** Agents run a little below the control plane by default (see the schema's nice). */
const DEFAULT_NICE = 5;

export function loadLayout(file: string, options: LoadOptions = {}): LoadResult {
  const abs = resolve(file);
  const label = relative(process.cwd(), abs).startsWith('..') ? abs : relative(process.cwd(), abs) || abs;
  const source = readSource(abs, label);
  if (source.problems.length) return { problems: source.problems };
  const issues: Issue[] = [];
  const raw = check(layoutSchema, source.doc.contents as never, '', 0, issues) as Raw | undefined;
  const problem = (path: Path, message: string): void => {
    issues.push({ offset: offsetAt(source.doc, path), path: pathText(path), message });
  };
  const layout =
    raw && issues.length === 0 ? resolveLayout(raw, abs, options.cwd ?? process.cwd(), problem) : undefined;
  const problems = unique(issues)
    .sort((a, b) => a.offset - b.offset)
    .map(source.place);
  return problems.length ? { problems } : { layout, problems };
}

function resolveLayout(
  raw: Raw,
  file: string,
  cwd: string,
  problem: (path: Path, message: string) => void,
): Layout | undefined {
  const fileDir = dirname(file);
  const root = raw.root !== undefined ? resolve(fileDir, raw.root as string) : cwd;
  const rootOk = isDir(root);
  if (!rootOk) problem(['root'], `${notADir(root)} (expected a directory, relative to ${fileDir})`);
  const session = (raw.session as string | undefined) ?? sessionNameFor(root);
  const defaults = (raw.defaults as Raw | undefined) ?? {};
  const names = new Map<string, Path>();
  const focusedWindows: number[] = [];
  const hosts = hostsOf(raw);
  if (hosts[LOCAL_HOST])
    problem(['hosts', LOCAL_HOST], `"${LOCAL_HOST}" is this machine in host: (expected another name for that host)`);

  const windows: WindowSpec[] = (raw.windows as Raw[]).map((w, wi) => {
    const windowRoot = w.root !== undefined ? resolve(root, w.root as string) : root;
    // A directory below one that is not there is not reported again.
    const windowOk = rootOk && (w.root === undefined || isDir(windowRoot));
    if (rootOk && !windowOk)
      problem(
        ['windows', wi, 'root'],
        `${notADir(windowRoot)} (expected a directory relative to the project root ${root})`,
      );
    const paneRaws = w.panes as Raw[];
    const layoutName = (w.layout as string | undefined) ?? 'tiled';
    if (!(LAYOUT_NAMES as readonly string[]).includes(layoutName)) {
      const custom = parseCustomLayout(layoutName);
      if ('error' in custom)
        problem(
          ['windows', wi, 'layout'],
          `${JSON.stringify(layoutName)} is not a tmux layout: ${custom.error} (expected ${LAYOUT_NAMES.join(', ')}, or a custom layout string)`,
        );
      else if (custom.panes !== paneRaws.length)
        problem(
          ['windows', wi, 'layout'],
          `the custom layout has ${custom.panes} panes but the window has ${paneRaws.length} (expected a layout string for ${paneRaws.length} panes)`,
        );
    }
    if (w.focus) focusedWindows.push(wi);
    if (paneRaws.filter((p) => p.focus).length > 1)
      problem(['windows', wi, 'panes'], 'more than one pane has focus: true (expected at most one per window)');
    const panes = paneRaws.map((p, pi) =>
      resolvePane(
        p,
        defaults,
        ['windows', wi, 'panes', pi],
        windowRoot,
        windowOk,
        dirname(file),
        names,
        problem,
        session,
        hosts,
      ),
    );
    return {
      name: (w.name as string | undefined) ?? `window-${wi + 1}`,
      layout: layoutName,
      focus: Boolean(w.focus),
      options: (w.options as Record<string, string>) ?? {},
      panes: panes.filter((p): p is PaneSpec => p !== undefined),
    };
  });
  if (focusedWindows.length > 1)
    problem(['windows', focusedWindows[1]!, 'focus'], 'more than one window has focus: true (expected at most one)');
  const agents = windows.flatMap((w) => w.panes.filter((p): p is AgentSpec => p.kind === 'agent'));
  const wt = (raw.worktrees as Raw | undefined) ?? {};
  checkWorktrees(wt, root, rootOk && agents.some((a) => a.worktree && !a.host), problem);
  const agentRaws = (raw.windows as Raw[]).flatMap((w, wi) =>
    (w.panes as Raw[]).flatMap((p, pi) =>
      p.agent !== undefined ? [{ p, path: ['windows', wi, 'panes', pi] as Path }] : [],
    ),
  );
  checkForks(
    agents,
    agentRaws.map((r) => r.path),
    problem,
  );
  checkBranches(
    agents,
    agentRaws.map((r) => r.path),
    agentRaws.map((r) => r.p.branch !== undefined),
    problem,
  );
  return {
    file,
    session,
    root,
    options: (raw.options as Record<string, string>) ?? {},
    windowOptions: (raw.window_options as Record<string, string>) ?? {},
    env: (raw.env as Record<string, string>) ?? {},
    dashboard: (raw.dashboard as boolean | undefined) ?? true,
    onRecover: (raw.on_recover as 'requeue' | 'report' | undefined) ?? 'requeue',
    worktrees: {
      dir: (wt.dir as string | undefined) ?? '.worktrees',
      ...(wt.base !== undefined ? { base: wt.base as string } : {}),
      copy: (wt.copy as string[] | undefined) ?? [],
      link: (wt.link as string[] | undefined) ?? [],
      ...(wt.setup !== undefined ? { setup: wt.setup as string } : {}),
      setupTimeoutS: (wt.setup_timeout as number | undefined) ?? 600,
    },
    fleet: fleetOf(raw),
    notify: notifyOf(raw),
    approvals: {
      timeout_s: ((raw.approvals as Raw | undefined)?.timeout as number | undefined) ?? DEFAULT_APPROVAL_TIMEOUT_S,
      by: ((raw.approvals as Raw | undefined)?.by as 'person' | 'lead' | undefined) ?? 'person',
    },
    windows,
    agents,
    hosts,
  };
}

/** The name of this machine in host: (so no host of hosts: may have it). */
export const LOCAL_HOST = 'local';

/** The layout's hosts: section. */
function hostsOf(raw: Raw): Record<string, HostSpec> {
  return Object.fromEntries(
    Object.entries((raw.hosts as Record<string, Raw> | undefined) ?? {}).map(([name, h]) => [
      name,
      {
        name,
        ssh: h.ssh as string,
        ...(h.port !== undefined ? { port: h.port as number } : {}),
        ...(h.root !== undefined ? { root: h.root as string } : {}),
        claude: (h.claude as string | undefined) ?? 'claude',
        env: (h.env as Record<string, string> | undefined) ?? {},
      },
    ]),
  );
}

/** The layout's notify: section (a webhook may also come from ORCH_NOTIFY_WEBHOOK). */
function notifyOf(raw: Raw): Layout['notify'] {
  const n = (raw.notify as Raw | undefined) ?? {};
  return {
    webhook: (n.webhook as string | undefined) ?? process.env.ORCH_NOTIFY_WEBHOOK ?? null,
    topic: (n.topic as string | undefined) ?? null,
    debounce_ms: (n.debounce as number | undefined) ?? 2000,
    desktop: (n.desktop as boolean | undefined) ?? true,
    tmux: (n.tmux as boolean | undefined) ?? true,
  };
}

/** The layout's on_limit, budget and busy caps, as the store keeps them. */
function fleetOf(raw: Raw): FleetSettings {
  const limit = (raw.on_limit as Raw | undefined) ?? {};
  const budget = (raw.budget as Raw | undefined) ?? {};
  return {
    on_limit: {
      backoff_s: (limit.backoff as number | undefined) ?? DEFAULT_BACKOFF_S,
      max_backoff_s: (limit.max_backoff as number | undefined) ?? DEFAULT_MAX_BACKOFF_S,
    },
    budget: {
      session_usd: (budget.session_usd as number | undefined) ?? null,
      agent_usd: (budget.agent_usd as number | undefined) ?? null,
      task_usd: (budget.task_usd as number | undefined) ?? null,
      run_usd: (budget.run_usd as number | undefined) ?? null,
    },
    max_busy: (raw.max_busy as number | undefined) ?? null,
    max_busy_per_role: (raw.max_busy_per_role as Record<string, number> | undefined) ?? {},
  };
}

function resolvePane(
  p: Raw,
  defaults: Raw,
  path: Path,
  windowRoot: string,
  windowOk: boolean,
  fileDir: string,
  names: Map<string, Path>,
  problem: (path: Path, message: string) => void,
  session: string,
  hosts: Record<string, HostSpec>,
): PaneSpec | undefined {
  const pick = <T>(key: string): T | undefined => (p[key] ?? defaults[key]) as T | undefined;
  const at = (key: string): Path => (p[key] !== undefined ? [...path, key] : ['defaults', key]);
  // host: local is this machine (for an agent whose defaults: send the others elsewhere).
  const named = p.command === undefined ? pick<string>('host') : undefined;
  const host = named === LOCAL_HOST ? undefined : named;
  // An agent on another host: its cwd is relative to that host's root, and is checked there (doctor, start).
  const cwd =
    host !== undefined
      ? (pick<string>('cwd') ?? '.')
      : pick<string>('cwd') !== undefined
        ? resolve(windowRoot, pick<string>('cwd')!)
        : windowRoot;
  if (host === undefined && windowOk && pick<string>('cwd') !== undefined && !isDir(cwd))
    problem(at('cwd'), `${notADir(cwd)} (expected a directory relative to ${windowRoot})`);
  const role =
    (p.role as string | undefined) ?? (defaults.role as string | undefined) ?? (p.agent === 'lead' ? 'lead' : 'worker');
  if (host !== undefined) {
    const known = Object.keys(hosts);
    if (!hosts[host])
      problem(
        at('host'),
        `no host ${JSON.stringify(host)} in hosts: (expected ${known.length ? `one of ${known.join(', ')}` : 'a hosts: section naming it, e.g. hosts: { box: { ssh: user@box } }'})`,
      );
    // What needs this machine: our headless runner, the lead's MCP server (fork_from: layout/forks.ts).
    const cannot = (key: string, why: string): void =>
      problem(at(key), `an agent on host ${host} cannot have ${why} yet (expected it on this machine, without host:)`);
    if (pick<string>('mode') === 'headless')
      cannot('mode', 'mode: headless (its runner is part of this toolkit, which runs here)');
    if (pick<boolean>('mcp')) cannot('mcp', "the orchestrator's MCP tools (the lead stays on this machine)");
    // A lead without its tools would start and fail at its first dispatch: refused unless mcp: false says so.
    if (role === 'lead' && pick<boolean>('mcp') === undefined)
      problem(
        at('host'),
        `a lead (role: lead) on host ${host} cannot have the orchestrator's MCP tools yet (its MCP server needs the store, which is on this machine): expected the lead without host: (or host: local), or mcp: false for a lead there without its tools`,
      );
  }
  const env = { ...((defaults.env as Record<string, string>) ?? {}), ...((p.env as Record<string, string>) ?? {}) };
  if (p.command !== undefined) {
    for (const key of Object.keys(p)) {
      if (!['command', 'name', 'cwd', 'env', 'focus'].includes(key))
        problem(
          [...path, key],
          `is an agent setting, but this pane runs a command (a command pane takes command, name, cwd, env, focus)`,
        );
    }
    return {
      kind: 'command',
      name: (p.name as string | undefined) ?? String(p.command).split(/\s+/)[0]!,
      command: p.command as string,
      cwd,
      env,
      focus: Boolean(p.focus),
    };
  }
  if (p.name !== undefined) problem([...path, 'name'], 'an agent pane is named by "agent:" (expected no "name:" here)');
  if (p.branch !== undefined && !(p.worktree ?? defaults.worktree))
    problem(
      [...path, 'branch'],
      'names the branch of a worktree, but this agent has none (expected worktree: true here or in defaults:)',
    );
  const name = p.agent as string;
  const earlier = names.get(name);
  if (earlier)
    problem(
      [...path, 'agent'],
      `duplicate agent name ${JSON.stringify(name)}, already used at ${pathText(earlier)} (expected a unique name)`,
    );
  names.set(name, [...path, 'agent']);
  const inline = pick<string>('append_system_prompt');
  const promptFile = pick<string>('append_system_prompt_file');
  let appendSystemPrompt = inline;
  // The shipped role prompt, passed by path, unless the layout gives its own (append_system_prompt: "" gives none).
  const rolePrompt =
    inline === undefined && promptFile === undefined && ROLE_PROMPTS.includes(role)
      ? join(toolkitRoot, 'prompts', `${role}.md`)
      : undefined;
  if (rolePrompt && !existsSync(rolePrompt))
    problem(
      [...path, 'agent'],
      `the toolkit's role prompt ${rolePrompt} is missing (reinstall, or set append_system_prompt_file)`,
    );
  if (inline !== undefined && promptFile !== undefined) {
    problem(
      [...path, p.append_system_prompt_file !== undefined ? 'append_system_prompt_file' : 'append_system_prompt'],
      'both append_system_prompt and append_system_prompt_file are set (expected one of them)',
    );
  } else if (promptFile !== undefined) {
    const promptPath = resolve(fileDir, promptFile);
    try {
      appendSystemPrompt = readFileSync(promptPath, 'utf8');
    } catch {
      problem(
        p.append_system_prompt_file !== undefined
          ? [...path, 'append_system_prompt_file']
          : ['defaults', 'append_system_prompt_file'],
        `cannot read ${promptPath} (expected a file relative to the layout file)`,
      );
    }
  }
  return {
    kind: 'agent',
    name,
    role,
    cwd,
    ...(pick<string>('model') !== undefined ? { model: pick<string>('model') } : {}),
    ...(pick<string>('permission_mode') !== undefined ? { permissionMode: pick<string>('permission_mode') } : {}),
    allowedTools: pick<string[]>('allowed_tools') ?? [],
    disallowedTools: pick<string[]>('disallowed_tools') ?? [],
    ...(appendSystemPrompt !== undefined ? { appendSystemPrompt } : {}),
    ...(rolePrompt ? { appendSystemPromptFile: rolePrompt } : {}),
    args: pick<string[]>('args') ?? [],
    env,
    ...(p.prompt !== undefined ? { prompt: p.prompt as string } : {}),
    restart: pick<'never' | 'on-failure'>('restart') ?? 'never',
    mode: pick<'interactive' | 'headless'>('mode') ?? 'interactive',
    focus: Boolean(p.focus),
    mcp: pick<boolean>('mcp') ?? (role === 'lead' && host === undefined),
    ...(p.fork_from !== undefined ? { forkFrom: p.fork_from as string } : {}),
    ...(pick<boolean>('worktree')
      ? { worktree: { branch: (p.branch as string | undefined) ?? `${session}/${name}` } }
      : {}),
    ports: pick<number>('ports') ?? 10,
    nice: pick<number>('nice') ?? DEFAULT_NICE,
    account: pick<string>('account') ?? 'default',
    rules: {
      allow: pick<string[]>('allow') ?? [],
      deny: pick<string[]>('deny') ?? [],
      ask: pick<string[]>('ask') ?? [],
    },
    ...(host !== undefined ? { host } : {}),
  };
}
