// `orchestrate doctor`: everything a session needs, checked before anything starts. Each agent is
// checked with the environment its pane will have (ours, then the layout's env, then its own), so
// an agent with its own CLAUDE_CONFIG_DIR or API key is judged by what it will really read.
import { relative } from 'node:path';
import { loadLayout } from '../layout/load.js';
import { formatProblem } from '../config/source.js';
import type { AgentSpec, Layout } from '../layout/types.js';
import { claudeFiles, readJsonFile } from './claude-config.js';
import { checkAuth, checkBypass, checkOnboarding, checkTrust } from './setup-checks.js';
import { checkClaude, checkGit, checkTmux } from './tools.js';
import { ok, problem, type Finding } from './types.js';

export interface DoctorOptions {
  layoutFile: string;
  /** Project directory when the layout sets no root (./start.mts uses its working directory). */
  cwd: string;
  env: NodeJS.ProcessEnv;
  isRoot: boolean;
}

export interface DoctorReport {
  ok: boolean;
  layout: string;
  /** The project root the checks used (the layout's root, else cwd). */
  root: string;
  findings: Finding[];
}

/** Environment variables that change what claude reads or how it authenticates. */
const RELEVANT = [
  'HOME',
  'CLAUDE_CONFIG_DIR',
  'CLAUDE_CODE_CUSTOM_OAUTH_URL',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
  'CLAUDE_CODE_SANDBOXED',
  'IS_SANDBOX',
  'CLAUDE_CODE_BUBBLEWRAP',
];

const usesBypass = (a: AgentSpec): boolean =>
  a.permissionMode === 'bypassPermissions' ||
  a.args.some(
    (arg, i) =>
      arg === '--dangerously-skip-permissions' ||
      arg === '--permission-mode=bypassPermissions' ||
      (arg === '--permission-mode' && a.args[i + 1] === 'bypassPermissions'),
  );

/** Agents that see the same Claude files and credentials, checked together. */
interface Group {
  env: NodeJS.ProcessEnv;
  agents: AgentSpec[];
  dirs: string[];
}

function groups(layout: Layout | undefined, opts: DoctorOptions): Group[] {
  // Agents on other hosts are checked there (src/doctor/hosts.ts).
  const local = layout?.agents.filter((a) => !a.host) ?? [];
  if (!local.length) return [{ env: opts.env, agents: [], dirs: [layout?.root ?? opts.cwd] }];
  const byKey = new Map<string, Group>();
  for (const agent of local) {
    const env = { ...opts.env, ...layout!.env, ...agent.env };
    const key = JSON.stringify(RELEVANT.map((k) => env[k] ?? null));
    const group = byKey.get(key) ?? { env, agents: [], dirs: [] };
    group.agents.push(agent);
    if (!group.dirs.includes(agent.cwd)) group.dirs.push(agent.cwd);
    byKey.set(key, group);
  }
  return [...byKey.values()];
}

function checkGroup(g: Group, root: string, isRoot: boolean): Finding[] {
  const files = claudeFiles(g.env);
  const config = readJsonFile(files.config);
  const settings = readJsonFile(files.settings);
  const found: Finding[] = [];
  for (const f of [config, settings]) {
    if (f.error)
      found.push(
        problem(
          'claude-config',
          `${f.file} cannot be read: ${f.error}`,
          `repair ${f.file} (claude cannot read it either), or move it away to start afresh`,
        ),
      );
  }
  found.push(
    checkTrust(config, g.env, g.dirs, root),
    checkOnboarding(config),
    checkAuth(config, settings, readJsonFile(files.credentials), g.env),
  );
  const bypass = g.agents.filter(usesBypass);
  if (bypass.length)
    found.push(
      ...checkBypass(
        settings,
        g.env,
        bypass.map((a) => a.name),
        isRoot,
      ),
    );
  return found;
}

/**
 * The checks that read Claude's files only (no process started): what would stop the layout's
 * agents at a first-run dialog. ./start.mts runs these before it starts anything.
 */
export function setupFindings(layout: Layout, env: NodeJS.ProcessEnv, isRoot: boolean): Finding[] {
  const all = groups(layout, { layoutFile: layout.file, cwd: layout.root, env, isRoot });
  return all.flatMap((g) => {
    const label = all.length > 1 ? `[${g.agents.map((a) => a.name).join(', ')}] ` : '';
    return checkGroup(g, layout.root, isRoot).map((f) => ({ ...f, summary: label + f.summary }));
  });
}

/** Runs every check. */
export async function runDoctor(opts: DoctorOptions): Promise<DoctorReport> {
  const { layout, problems } = loadLayout(opts.layoutFile, { cwd: opts.cwd });
  const shown = relative(opts.cwd, opts.layoutFile).startsWith('..')
    ? opts.layoutFile
    : relative(opts.cwd, opts.layoutFile) || opts.layoutFile;
  const findings: Finding[] = [await checkTmux(), ...(await checkClaude(opts.env))];
  findings.push(
    layout
      ? ok(
          'layout',
          `${shown}: session ${layout.session}, ${layout.agents.length} agent${layout.agents.length === 1 ? '' : 's'} (${layout.agents.map((a) => a.name).join(', ') || 'none'})`,
        )
      : problem(
          'layout',
          `${shown} has ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map(formatProblem).join('\n')}`,
          `fix each line above, then check again with \`orchestrate layout validate ${shown}\``,
        ),
  );
  const root = layout?.root ?? opts.cwd;
  if (layout?.agents.some((a) => a.worktree && !a.host)) findings.push(await checkGit(root));
  const all = groups(layout, opts);
  for (const g of all) {
    const label = all.length > 1 ? `[${g.agents.map((a) => a.name).join(', ')}] ` : '';
    findings.push(...checkGroup(g, root, opts.isRoot).map((f) => ({ ...f, summary: label + f.summary })));
  }
  if (layout && Object.keys(layout.hosts).length)
    findings.push(...(await (await import('./hosts.js')).checkHosts(layout)));
  return { ok: findings.every((f) => f.status !== 'problem'), layout: opts.layoutFile, root, findings };
}
