// ./start.mts: validate the layout, build the tmux session in one call, launch one claude per
// agent pane, record it all in the store, then attach or print how to.
import { join, relative, resolve } from 'node:path';
import { loadLayout } from '../layout/load.js';
import type { Layout } from '../layout/types.js';
import { OrchestratorError } from '../core/errors.js';
import { ConfigError } from '../config/source.js';
import { resolveClaude } from '../agents/claude-bin.js';
import { buildCommands, buildSession, renderCommands, type BuiltSession } from '../tmux/builder.js';
import { Server } from '../tmux/objects.js';
import { tmuxEnv } from '../tmux/command.js';
import { Store } from '../store/store.js';
import { inspectStore, keepDamagedAside, prepareStateDir } from '../store/state-dir.js';
import type { AgentRecord } from '../store/types.js';
import { quoteArgv } from '../util/shell-quote.js';
import { stateRoot, toolkitRoot } from '../util/paths.js';
import { launchContext, planSession, writeAgentFiles, writeSessionEnvFiles, type StartPlan } from './plan.js';
import { layoutEnv, type LaunchContext } from '../agents/launch.js';
import { envNames } from '../util/secrets.js';
import type { HostStart } from '../hosts/remote.js';
import { controlCommands, createControlWindow } from './control.js';
import { earlierSocket, giveLeadHandover, prepareStart, recordResumed, type StartDecision } from './resume.js';
import type { Prepared } from '../worktrees/prepare.js';
import { leaseAllPorts } from '../worktrees/ports.js';

export interface StartOptions {
  layoutFile: string;
  socket?: string;
  stateDir?: string;
  /** auto: attach when stdin is a terminal. */
  attach: 'auto' | 'never';
  dryRun: boolean;
  restart: boolean;
  /** Bring back a session whose tmux session was lost, every agent with --resume (./start.mts --resume). */
  resume?: boolean;
  /** Asks a yes/no question on the terminal (when there is one): a plain start offers to resume a lost session. */
  ask?: (question: string) => Promise<boolean>;
  /** Project directory when the layout sets no root. */
  cwd: string;
  out: (line: string) => void;
}

/** The command a person runs to attach. */
export function attachCommand(socket: string | undefined, session: string): string {
  return quoteArgv(['tmux', ...(socket ? ['-L', socket] : []), 'attach', '-t', session]);
}

/** Loads the layout or throws a ConfigError listing every problem. */
export function loadLayoutOrFail(file: string, cwd: string): Layout {
  const { layout, problems } = loadLayout(file, { cwd });
  if (!layout) throw new ConfigError(problems);
  return layout;
}

/** Runs ./start.mts. Returns the process exit code. */
export async function start(opts: StartOptions): Promise<number> {
  const loaded = loadLayoutOrFail(opts.layoutFile, opts.cwd);
  const stateDir = resolve(opts.stateDir ?? join(stateRoot, loaded.session));
  // Agents on other hosts run the claude there (hosts: claude:); this machine's is needed only for its own.
  const claudeBin = loaded.agents.some((a) => !a.host) ? resolveClaude() : 'claude';
  const size = terminalSize();
  if (opts.dryRun) return printDryRun(opts, loaded, planSession(loaded, { claudeBin, stateDir, ...size }), stateDir);
  openStateDir(opts, loaded, stateDir);
  const server = Server.of(opts.socket ?? (opts.resume ? earlierSocket(stateDir) : undefined));
  const existing = await server.findSession(loaded.session);
  if (existing && !opts.restart) {
    opts.out(`tmux session "${loaded.session}" is already running; not starting a second one (--restart replaces it).`);
    return finish(opts, server, loaded.session);
  }
  if (existing) await existing.kill();

  // Worktrees and ports before anything runs: a branch in the way stops the start here, and each
  // agent runs in its worktree from its first command.
  const prepared = await worktreesOf(loaded, stateDir);
  for (const note of prepared.notes) opts.out(note);
  const layout = prepared.layout;
  // Leased side by side: two agents after the same block get it one after the other (exclusive create).
  const ports = await leaseAllPorts(
    stateDir,
    layout.agents.map((a) => ({ agent: a.name, count: a.ports })),
  );
  await warnOfDialogs(layout, opts.out);

  // An earlier session here: resume it if it was lost (asked for, or agreed to), and the lead's handover.
  const decision = await prepareStart({
    layout,
    stateDir,
    resume: Boolean(opts.resume),
    restart: opts.restart,
    ...(opts.ask ? { ask: opts.ask } : {}),
    out: opts.out,
  });
  const lead = decision.handover ? await giveLeadHandover(layout, stateDir, decision.handover) : undefined;
  if (lead) opts.out(`${lead} starts with the handover ${displayPath(decision.handover!.file)} as context.`);
  const plan = planSession(layout, {
    claudeBin,
    stateDir,
    ...size,
    ...(decision.sessionIds ? { sessionIds: decision.sessionIds } : {}),
  });
  const contexts = writeLaunchFiles({ layout, plan, prepared, ports, claudeBin, stateDir, decision });
  // Agents on other hosts first: a host that cannot be reached, or lacks their directory, starts nothing here.
  const hosts = await startHosts(layout, stateDir, contexts, Boolean(decision.resume), size);
  for (const h of hosts.values()) for (const note of h.notes) opts.out(`${h.record.name}: ${note}`);
  for (const h of hosts.values())
    if (h.reused.length)
      opts.out(
        `On host ${h.record.name}, ${h.reused.join(', ')} ${h.reused.length === 1 ? 'was' : 'were'} still running; kept.`,
      );
  const stopHosts = async (): Promise<void> => {
    if (hosts.size && !decision.resume) {
      const { stopHost } = await import('../hosts/remote.js');
      await Promise.all([...hosts.values()].map((h) => stopHost(h.record)));
    }
  };
  let built: BuiltSession;
  try {
    built = await buildSession(server, plan.tmux);
  } catch (error) {
    // Never leave a half-built session behind.
    await (await server.findSession(layout.session))?.kill().catch(() => {});
    await stopHosts();
    throw new OrchestratorError(`could not build tmux session "${layout.session}": ${(error as Error).message}`);
  }
  const agents = await agentRecords({ layout, plan, prepared, ports, stateDir, hosts, built });
  await recordStart({ opts, layout, stateDir, server, built, hosts, agents, decision, stopHosts });

  const names = agents.map((a) => a.name).join(', ');
  opts.out(
    `${decision.resume ? 'Resumed' : 'Started'} tmux session "${layout.session}" with ${agents.length} agent${agents.length === 1 ? '' : 's'}${names ? ` (${names})` : ''} from ${displayPath(layout.file)}.`,
  );
  opts.out(`State: ${stateDir}`);
  if (layout.dashboard)
    opts.out(
      `Dashboard: starting in the control window; ${quoteArgv([displayPath(join(toolkitRoot, 'scripts', 'orchestrate.mts')), 'dashboard', '--url', '--state', displayPath(stateDir)])} prints its address.`,
    );
  return finish(opts, server, layout.session);
}

/** --dry-run: the tmux commands, the control window's and each agent's command line; nothing starts. */
async function printDryRun(opts: StartOptions, layout: Layout, plan: StartPlan, stateDir: string): Promise<number> {
  opts.out(`# tmux session "${layout.session}" from ${layout.file} (dry run: nothing is started)`);
  opts.out(renderCommands(opts.socket, buildCommands(plan.tmux)));
  // Names only: env: values may be secrets, whatever their names (a URL with a password in it).
  if (Object.keys(layout.env).length)
    opts.out(`# the layout's env: (values in ${plan.tmux.envFile}, mode 0600, not shown): ${envNames(layout.env)}`);
  opts.out(
    `# then, once the store is written, the control window (recorder, status board${layout.dashboard ? ' and dashboard' : ''}):`,
  );
  opts.out(
    renderCommands(
      opts.socket,
      controlCommands(layout.session, stateDir, layout.root, undefined, false, layout.dashboard),
    ),
  );
  const { worktreePath } = await import('../worktrees/prepare.js');
  for (const agent of plan.agents) {
    const spec = layout.agents.find((a) => a.name === agent.name)!;
    if (spec.worktree)
      opts.out(
        `# agent ${agent.name} gets its own worktree ${worktreePath(layout.root, layout, agent.name)} below the repository's top (branch ${spec.worktree.branch}), and runs in it:`,
      );
    opts.out(
      `# agent ${agent.name} (${spec.role}) in ${spec.cwd}, run by ${agent.launchFile}, its env: (values not shown) ${envNames(layoutEnv(spec, { env: { ...layout.env, ...(spec.host ? layout.hosts[spec.host]?.env : {}) } }))}:`,
    );
    opts.out(quoteArgv(agent.argv));
  }
  return 0;
}

/** The state directory first: a place we cannot write, or a damaged store, starts nothing (--restart keeps a damaged one aside). */
function openStateDir(opts: StartOptions, layout: Layout, stateDir: string): void {
  prepareStateDir(
    stateDir,
    layout.agents.map((a) => a.name),
  );
  const earlier = inspectStore(stateDir);
  if (earlier.state !== 'damaged') return;
  if (!opts.restart) throw earlier.error;
  opts.out(
    `${earlier.error.file} was damaged (${earlier.error.why}); kept as ${keepDamagedAside(stateDir)}, and the session starts afresh (--restart).`,
  );
}

/** Says before anything starts what would hold the agents at a first-run dialog (folder trust, onboarding, login): they would wait there, reported as waiting, until someone answers. */
async function warnOfDialogs(layout: Layout, out: (line: string) => void): Promise<void> {
  if (!layout.agents.some((a) => a.mode === 'interactive' && !a.host)) return;
  const { setupFindings } = await import('../doctor/doctor.js');
  const problems = setupFindings(layout, process.env, process.getuid?.() === 0).filter((f) => f.status === 'problem');
  for (const f of problems) out(`warning: ${f.summary}`);
  if (problems.length)
    out(
      `  ${quoteArgv([displayPath(join(toolkitRoot, 'scripts', 'orchestrate.mts')), 'doctor'])} gives the exact fix for each.`,
    );
}

interface Planned {
  layout: Layout;
  plan: StartPlan;
  prepared: Prepared & { layout: Layout };
  ports: Map<string, number[]>;
  stateDir: string;
}

/** Each agent's launch context; the files of the agents here (a host's are written there) and the session's env files. */
function writeLaunchFiles(p: Planned & { claudeBin: string; decision: StartDecision }): Map<string, LaunchContext> {
  const { layout, plan, prepared, ports, stateDir, decision } = p;
  const contexts = new Map<string, LaunchContext>();
  for (const agent of layout.agents) {
    const worktree = prepared.worktrees.get(agent.name);
    const setup =
      worktree?.setup === 'pending' && layout.worktrees.setup
        ? { command: layout.worktrees.setup, timeoutS: layout.worktrees.setupTimeoutS }
        : undefined;
    const ctx: LaunchContext = {
      ...launchContext(layout, plan, agent.name, p.claudeBin, stateDir),
      ports: ports.get(agent.name) ?? [],
      approvalTimeoutS: layout.approvals.timeout_s,
      ...(setup ? { setup } : {}),
      ...(decision.resume ? { resume: true } : {}),
    };
    contexts.set(agent.name, ctx);
    if (!agent.host) writeAgentFiles(agent, ctx);
  }
  writeSessionEnvFiles(layout, stateDir);
  return contexts;
}

/** The store's record of each agent in the built session (an agent on a host: its pane there, shown here in a view pane). */
async function agentRecords(
  p: Planned & { hosts: Map<string, HostStart>; built: BuiltSession },
): Promise<AgentRecord[]> {
  const { layout, plan, prepared, ports, stateDir, hosts } = p;
  const transcriptMirror = hosts.size ? (await import('../hosts/remote.js')).transcriptMirror : () => null;
  const now = new Date().toISOString();
  const agents: AgentRecord[] = [];
  for (const window of p.built.windows) {
    for (const pane of window.panes) {
      if (!pane.agent) continue;
      const spec = layout.agents.find((a) => a.name === pane.agent)!;
      const launched = plan.agents.find((a) => a.name === pane.agent)!;
      const host = spec.host ? hosts.get(spec.host) : undefined;
      agents.push({
        name: spec.name,
        role: spec.role,
        mode: spec.mode,
        pane: host?.panes.get(spec.name) ?? pane.id,
        window: window.id,
        cwd: host?.cwds.get(spec.name) ?? spec.cwd,
        session_id: launched.sessionId,
        launch_script: launched.launchFile,
        status: 'starting',
        reason: null,
        task: null,
        last_result: null,
        cost_usd: 0,
        updated_at: now,
        worktree: prepared.worktrees.get(spec.name) ?? host?.worktrees.get(spec.name) ?? null,
        ports: ports.get(spec.name) ?? [],
        account: spec.account,
        ...(host
          ? {
              host: spec.host,
              view_pane: pane.id,
              transcript_path: transcriptMirror(stateDir, spec.name, launched.sessionId),
            }
          : {}),
      });
    }
  }
  return agents;
}

interface Recording {
  opts: StartOptions;
  layout: Layout;
  stateDir: string;
  server: Server;
  built: BuiltSession;
  hosts: Map<string, HostStart>;
  agents: AgentRecord[];
  decision: StartDecision;
  stopHosts: () => Promise<void>;
}

/** Records the session in the store (a resumed one: its tasks recovered), then starts the control window; a failure leaves no half-built session. */
async function recordStart(r: Recording): Promise<void> {
  const { opts, layout, stateDir, built, hosts, agents, decision } = r;
  const now = agents[0]?.updated_at ?? new Date().toISOString();
  const record = {
    name: layout.session,
    socket: r.server.socket ?? null,
    tmux_id: built.session.id,
    layout_file: layout.file,
    root: layout.root,
    state_dir: stateDir,
    created_at: now,
    ended_at: null,
    windows: built.windows,
    handover: decision.handover?.file ?? null,
    ...(hosts.size ? { hosts: Object.fromEntries([...hosts].map(([name, h]) => [name, h.record])) } : {}),
  };
  let store: Store | undefined;
  try {
    store = await Store.open(stateDir);
    // The layout's limits, budgets and busy caps; a resumed session keeps its own (budget set may have changed them).
    const policy = Object.fromEntries(layout.agents.map((a) => [a.name, a.rules]));
    if (decision.resume) {
      const stillRunning = new Set([...hosts.values()].flatMap((h) => h.reused));
      const relaunched = new Set(agents.filter((a) => a.host && !stillRunning.has(a.name)).map((a) => a.name));
      const { recoverTasks } = await import('./recover.js');
      await store.mutate((data) => {
        // Agents of a host that lost them too (it restarted): their tasks are recovered as a local agent's were.
        for (const line of recoverTasks(data, layout.onRecover, now, 'its host lost it', relaunched)) opts.out(line);
        recordResumed(data, record, agents, now, stillRunning);
        data.fleet ??= layout.fleet;
        // Rules added by approve --always stay; the layout's come first.
        data.policy = Object.fromEntries(
          layout.agents.map((a) => [a.name, mergeRules(a.rules, data.policy?.[a.name])]),
        );
        data.approval_settings = layout.approvals;
        data.notify = layout.notify;
      });
    } else
      await store.recordSession(record, agents, {
        fleet: layout.fleet,
        limits: {},
        policy,
        approval_settings: layout.approvals,
        notify: layout.notify,
      });
    // The recorder starts only now that the store holds the session it records; it records the
    // control window's ids itself (it is the store's writer from now on).
    await createControlWindow(r.server, layout.session, stateDir, layout.root, built, layout.dashboard);
  } catch (error) {
    // Never leave a half-built session behind. A session being resumed stays lost (its tasks wait
    // for the next --resume); a new one is marked ended.
    await built.session.kill().catch(() => {});
    await r.stopHosts();
    if (store?.data.session?.tmux_id === built.session.id && !decision.resume) {
      const { recordSessionEnd } = await import('./record-end.js');
      await store
        .mutate((d) => {
          recordSessionEnd(d, stateDir, 'never-ran', new Date().toISOString(), 'the session did not start');
        })
        .catch(() => {});
    }
    throw new OrchestratorError(`could not start the session "${layout.session}": ${(error as Error).message}`);
  }
}

/** Starts every host's agents (hosts side by side); a host that fails stops the others it started. */
async function startHosts(
  layout: Layout,
  stateDir: string,
  contexts: Map<string, LaunchContext>,
  resume: boolean,
  size: { width: number; height: number },
): Promise<Map<string, HostStart>> {
  const used = [...new Set(layout.agents.map((a) => a.host).filter((h): h is string => Boolean(h)))];
  if (!used.length) return new Map();
  const { startOnHost, stopHost } = await import('../hosts/remote.js');
  const results = await Promise.allSettled(
    used.map((name) =>
      startOnHost({
        host: layout.hosts[name]!,
        layout,
        agents: layout.agents.filter((a) => a.host === name),
        stateDir,
        contexts,
        resume,
        ...size,
      }),
    ),
  );
  const failed = results.map((r, i) => [used[i]!, r] as const).filter(([, r]) => r.status === 'rejected');
  if (failed.length) {
    if (!resume)
      await Promise.all(results.flatMap((r) => (r.status === 'fulfilled' ? [stopHost(r.value.record)] : [])));
    throw new OrchestratorError(
      failed
        .map(
          ([name, r]) =>
            `could not start the agents of host ${name}: ${((r as PromiseRejectedResult).reason as Error).message}`,
        )
        .join('\n'),
    );
  }
  return new Map(results.map((r, i) => [used[i]!, (r as PromiseFulfilledResult<HostStart>).value]));
}

type Rules = { allow: string[]; deny: string[]; ask: string[] };
const mergeRules = (a: Rules, b: Rules | undefined): Rules => ({
  allow: [...new Set([...a.allow, ...(b?.allow ?? [])])],
  deny: [...new Set([...a.deny, ...(b?.deny ?? [])])],
  ask: [...new Set([...a.ask, ...(b?.ask ?? [])])],
});

/** Every agent's worktree, made or found, and the layout with those agents moved into theirs (git is loaded only for a layout that has any). */
async function worktreesOf(layout: Layout, stateDir: string): Promise<Prepared & { layout: Layout }> {
  if (!layout.agents.some((a) => a.worktree && !a.host)) return { worktrees: new Map(), notes: [], layout };
  const { inWorktrees, prepareWorktrees } = await import('../worktrees/prepare.js');
  const prepared = await prepareWorktrees(layout, stateDir);
  return { ...prepared, layout: inWorktrees(layout, prepared.worktrees) };
}

/** A path relative to the current directory when it is below it, else absolute. */
const displayPath = (path: string): string => {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') ? rel : path;
};

/** Attaches when asked and possible, and always prints the attach command. */
async function finish(opts: StartOptions, server: Server, session: string): Promise<number> {
  const command = attachCommand(server.socket, session);
  opts.out(`Attach: ${command}`);
  if (opts.attach === 'auto' && process.stdin.isTTY && process.stdout.isTTY) {
    const inside = process.env.TMUX && !server.socket;
    const argv = [
      ...(server.socket ? ['-L', server.socket] : []),
      inside ? 'switch-client' : 'attach-session',
      '-t',
      `=${session}`,
    ];
    const { execa } = await import('execa');
    const result = await execa('tmux', argv, { stdio: 'inherit', reject: false, env: tmuxEnv() });
    return result.exitCode ?? 0;
  }
  return 0;
}

/** A detached session's size: the caller's terminal when there is one, else a roomy default. */
function terminalSize(): { width: number; height: number } {
  const { columns, rows } = process.stdout;
  return columns && rows && columns >= 80 && rows >= 24 ? { width: columns, height: rows } : { width: 240, height: 64 };
}
