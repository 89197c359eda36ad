// `orchestrate freeze`: the running session written back as a layout (as tmuxp freeze does). tmux
// says what the session is now (its windows, their names and layout strings, the panes in each and
// where they run); the layout the session was started from says what each agent is (role, flags,
// environment), since tmux only sees a launch script. The result passes `layout validate` and
// rebuilds the same session with ./start.mts.
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { stringify } from 'yaml';
import { OrchestratorError } from '../core/errors.js';
import type { StoreData } from '../store/types.js';
import { Session, Server, type PaneInfo } from '../tmux/objects.js';
import { formatOf } from '../tmux/format.js';
import { loadLayout } from '../layout/load.js';
import type { AgentSpec, CommandSpec, Layout } from '../layout/types.js';
import { toolkitRoot } from '../util/paths.js';
import { isSecretName } from '../util/secrets.js';

export interface FreezeOptions {
  /** Where the layout will be written (paths in it are relative to its folder); undefined: standard output, paths absolute. */
  output?: string;
  /** Says what could not be taken from the layout file. */
  warn?: (line: string) => void;
  /** Show the values of secret-named env: variables as [redacted] (a printout, not a file of mode 0600). */
  redact?: boolean;
}

/** An env: with the values of secret-named variables replaced; their names are added to hidden. */
function redactEnv(env: unknown, hidden: Set<string>): unknown {
  if (!env || typeof env !== 'object') return env;
  const shown: Record<string, string> = {};
  for (const [k, v] of Object.entries(env as Record<string, string>)) {
    if (isSecretName(k)) hidden.add(k);
    shown[k] = isSecretName(k) ? '[redacted]' : v;
  }
  return shown;
}

type Raw = Record<string, unknown>;

/** An agent's layout entry: the fields that differ from the defaults, as a layout file spells them. */
function agentEntry(spec: AgentSpec, cwd: string, focus: boolean): Raw {
  const shippedPrompt = spec.appendSystemPromptFile?.startsWith(resolve(toolkitRoot, 'prompts'));
  return {
    agent: spec.name,
    role: spec.role,
    cwd,
    ...(spec.model ? { model: spec.model } : {}),
    ...(spec.permissionMode ? { permission_mode: spec.permissionMode } : {}),
    ...(spec.allowedTools.length ? { allowed_tools: spec.allowedTools } : {}),
    ...(spec.disallowedTools.length ? { disallowed_tools: spec.disallowedTools } : {}),
    // The shipped role prompt is the default; a prompt of the layout's own is written out as text.
    ...(spec.appendSystemPrompt !== undefined
      ? { append_system_prompt: spec.appendSystemPrompt }
      : !shippedPrompt && spec.appendSystemPromptFile
        ? { append_system_prompt_file: spec.appendSystemPromptFile }
        : {}),
    ...(spec.args.length ? { args: spec.args } : {}),
    ...(Object.keys(spec.env).length ? { env: spec.env } : {}),
    ...(spec.restart !== 'never' ? { restart: spec.restart } : {}),
    ...(spec.mode !== 'interactive' ? { mode: spec.mode } : {}),
    ...(spec.mcp !== (spec.role === 'lead') ? { mcp: Boolean(spec.mcp) } : {}),
    ...(spec.forkFrom ? { fork_from: spec.forkFrom } : {}),
    ...(spec.worktree ? { worktree: true, branch: spec.worktree.branch } : {}),
    ...(spec.ports !== 10 ? { ports: spec.ports } : {}),
    ...(focus ? { focus: true } : {}),
  };
}

/** The layout's worktrees: section, as far as it differs from the defaults. */
function worktreesEntry(layout: Layout): Raw | undefined {
  const w = layout.worktrees;
  const out: Raw = {
    ...(w.dir !== '.worktrees' ? { dir: w.dir } : {}),
    ...(w.base ? { base: w.base } : {}),
    ...(w.copy.length ? { copy: w.copy } : {}),
    ...(w.link.length ? { link: w.link } : {}),
    ...(w.setup ? { setup: w.setup } : {}),
    ...(w.setupTimeoutS !== 600 ? { setup_timeout: w.setupTimeoutS } : {}),
  };
  return Object.keys(out).length ? out : undefined;
}

/** A command pane's layout entry (a pane the layout did not have: the command tmux started it with). */
function commandEntry(spec: CommandSpec | undefined, command: string, title: string, cwd: string, focus: boolean): Raw {
  return {
    command: spec?.command ?? command,
    ...(title && title !== command.split(/\s+/)[0] ? { name: title } : {}),
    cwd,
    ...(focus ? { focus: true } : {}),
  };
}

/** The layout the session was started from, or undefined (with a warning) when it cannot be read now. */
function startedFrom(data: StoreData, warn: (line: string) => void): Layout | undefined {
  const file = data.session!.layout_file;
  const { layout, problems } = loadLayout(file, { cwd: data.session!.root });
  if (!layout)
    warn(
      `the layout ${file} cannot be read now (${problems[0]?.message ?? 'unknown problem'}); agents are written with what the store knows (role, cwd, mode)`,
    );
  return layout;
}

/** The running session of this store as a layout YAML text. */
export async function freezeSession(data: StoreData, opts: FreezeOptions = {}): Promise<string> {
  const s = data.session;
  if (!s) throw new OrchestratorError('no session recorded here: nothing to freeze', 2);
  if (s.ended_at)
    throw new OrchestratorError(
      `session "${s.name}" ended at ${s.ended_at}: nothing runs to freeze (its layout is ${s.layout_file})`,
      1,
    );
  const server = Server.of(s.socket);
  const panes = await new Session(server, s.tmux_id, s.name).panes().catch(() => undefined);
  if (!panes?.length)
    throw new OrchestratorError(
      `the tmux session of "${s.name}" is not running (tmux${s.socket ? ` -L ${s.socket}` : ''}): nothing to freeze`,
      1,
    );
  const warn = opts.warn ?? (() => {});
  const layout = startedFrom(data, warn);
  const base = opts.output ? dirname(resolve(opts.output)) : undefined;
  const where = (path: string): string => (base ? relative(base, path) || '.' : path);
  const under = (root: string, path: string): string => {
    const r = relative(root, path);
    return r && !r.startsWith('..') && !isAbsolute(r) ? r : r ? path : '.';
  };
  const root = layout?.root ?? s.root;
  const agents = new Map(layout?.agents.map((a) => [a.name, a]) ?? []);
  const commands = new Map(
    layout?.windows
      .flatMap((w) => w.panes)
      .filter((p): p is CommandSpec => p.kind === 'command')
      .map((p) => [p.name, p]) ?? [],
  );

  const byWindow = new Map<string, PaneInfo[]>();
  for (const p of panes) {
    if (p.window_id === s.control?.window || (!s.control && p.window_name === 'control')) continue;
    byWindow.set(p.window_id, [...(byWindow.get(p.window_id) ?? []), p]);
  }
  const active = (
    await server.cmd(['display-message', '-p', '-t', s.tmux_id, formatOf(['window_id'])]).catch(() => '')
  ).trim();
  const windows: Raw[] = [];
  for (const [id, rows] of byWindow) {
    const first = rows[0]!;
    const entries: Raw[] = [];
    for (const p of rows) {
      const focus = p.pane_active === '1' && rows.length > 1;
      const name = p['@agent'];
      if (name) {
        const spec = agents.get(name);
        const record = data.agents[name];
        const cwd = under(root, spec?.cwd ?? record?.cwd ?? p.pane_current_path);
        if (spec) entries.push(agentEntry(spec, cwd, focus));
        else
          entries.push({
            agent: name,
            role: record?.role ?? 'worker',
            cwd,
            ...(record?.mode === 'headless' ? { mode: 'headless' } : {}),
            ...(focus ? { focus: true } : {}),
          });
      } else {
        const start = (
          await server.cmd(['display-message', '-p', '-t', p.pane_id, formatOf(['pane_start_command'])]).catch(() => '')
        ).replace(/\n$/, '');
        entries.push(
          commandEntry(
            commands.get(p.pane_title),
            start.replace(/^"|"$/g, '') || process.env.SHELL || 'sh',
            p.pane_title,
            under(root, p.pane_current_path),
            focus,
          ),
        );
      }
    }
    windows.push({
      name: first.window_name,
      layout: first.window_layout,
      ...(id === active && windows.length ? { focus: true } : {}),
      panes: entries,
    });
  }
  const frozen: Raw = {
    session: s.name,
    root: where(root),
    ...(layout && Object.keys(layout.options).length ? { options: layout.options } : {}),
    ...(layout && Object.keys(layout.windowOptions).length ? { window_options: layout.windowOptions } : {}),
    ...(layout && Object.keys(layout.env).length ? { env: layout.env } : {}),
    ...(layout && !layout.dashboard ? { dashboard: false } : {}),
    ...(layout && layout.onRecover !== 'requeue' ? { on_recover: layout.onRecover } : {}),
    ...(layout && worktreesEntry(layout) ? { worktrees: worktreesEntry(layout) } : {}),
    windows,
  };
  const head = [
    `# yaml-language-server: $schema=${where(resolve(toolkitRoot, 'layouts', 'schema.json'))}`,
    `# Frozen from the running session "${s.name}" by orchestrate freeze, ${new Date().toISOString()}.`,
    '# Windows, panes and layout strings are as tmux has them now; agents as the layout they started from',
    '# says (first prompts, which ran already, are left out). ./start.mts --layout THIS-FILE rebuilds it.',
  ];
  if (opts.redact) {
    const hidden = new Set<string>();
    frozen.env = redactEnv(frozen.env, hidden);
    for (const w of windows) for (const p of w.panes as Raw[]) if (p.env) p.env = redactEnv(p.env, hidden);
    if (!frozen.env) delete frozen.env;
    if (hidden.size)
      warn(`the values of ${[...hidden].join(', ')} are shown as [redacted]; --output FILE writes them (mode 0600)`);
  }
  return `${head.join('\n')}\n${stringify(frozen, { lineWidth: 0 })}`;
}
