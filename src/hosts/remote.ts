// Agents on another host: their scripts written there, each run in a tmux session of its own on a
// tmux server of ours there (so it lives on when the connection drops), and shown here by a pane
// whose ssh client attaches to it and attaches again when the connection comes back.
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { posix } from 'node:path';
import { projectKey } from '../agents/claude-files.js';
import type { AgentSpec, HostSpec, Layout } from '../layout/types.js';
import type { AgentRecord, AgentWorktree, HostRecord, StoreData } from '../store/types.js';
import { agentFiles, approvalHookFile, hookScriptFile } from '../store/paths.js';
import { APPROVAL_HOOK_SCRIPT } from '../approvals/hook.js';
import { DEFAULT_APPROVAL_TIMEOUT_S } from '../approvals/approvals.js';
import { HOOK_SCRIPT, hookSettings } from '../agents/hooks.js';
import { launchScript, layoutEnv, type LaunchContext } from '../agents/launch.js';
import { envFileText, SECRET_FILE_MODE } from '../util/secrets.js';
import { Server } from '../tmux/objects.js';
import { formatOf, parseRows } from '../tmux/format.js';
import { isNoServer } from '../tmux/command.js';
import { quote, quoteArgv } from '../util/shell-quote.js';
import { OrchestratorError } from '../core/errors.js';
import { checkOnHost, closeConnection, hostShell, sshArgv, type SshTarget } from '../ssh/ssh.js';

export { hostShell } from '../ssh/ssh.js';

export const targetOf = (host: Pick<HostRecord, 'name' | 'ssh' | 'port'>): SshTarget => ({
  name: host.name,
  ssh: host.ssh,
  ...(host.port ? { port: host.port } : {}),
});

/** The tmux server of a host's agents. */
export const hostServer = (host: HostRecord): Server => Server.onHost(hostShell(targetOf(host)), host.socket);

/** The tmux server an agent's pane is on: its host's, or the session's here. */
export function agentServer(data: Pick<StoreData, 'session'>, agent: Pick<AgentRecord, 'host'>): Server {
  const host = agent.host ? data.session?.hosts?.[agent.host] : undefined;
  return host ? hostServer(host) : Server.of(data.session?.socket);
}

/** Where the transcript of an agent on a host is mirrored here (its link streams it). */
export { transcriptMirror } from '../store/paths.js';

/** The agent's transcript there. */
export const remoteTranscript = (host: Pick<HostRecord, 'claude_config_dir'>, cwd: string, sessionId: string): string =>
  posix.join(host.claude_config_dir, 'projects', projectKey(cwd), `${sessionId}.jsonl`);

/** The agents of a host, by name. */
export const agentsOn = (data: Pick<StoreData, 'agents'>, host: string): string[] =>
  Object.values(data.agents)
    .filter((a) => a.host === host)
    .map((a) => a.name);

/**
 * One name per session and machine for what it keeps on a host: two sessions (or two machines)
 * sending agents to the same login never share a state directory or a tmux server.
 */
export function hostKey(stateDir: string, host: HostSpec): string {
  return createHash('sha256')
    .update(`${hostname()}\0${stateDir}\0${host.ssh}\0${host.port ?? ''}`)
    .digest('hex')
    .slice(0, 12);
}

/** The login's HOME there (one round trip; the first call also opens the shared connection). */
export async function remoteHome(target: SshTarget): Promise<string> {
  const home = (await checkOnHost(target, ['sh', '-c', 'printf %s "$HOME"'], { timeoutMs: 20_000 })).trim();
  if (!home.startsWith('/'))
    throw new OrchestratorError(`host ${target.name}: its HOME is ${JSON.stringify(home)}, not an absolute path`);
  return home;
}

/** A remote agent as it runs there: its cwd below the host's root, the role prompt as text, the host's environment. */
function remoteSpec(agent: AgentSpec, root: string): AgentSpec {
  const { appendSystemPromptFile, ...rest } = agent;
  const prompt = appendSystemPromptFile ? readFileSync(appendSystemPromptFile, 'utf8') : undefined;
  return {
    ...rest,
    cwd: posix.resolve(root, agent.cwd),
    ...(prompt !== undefined && rest.appendSystemPrompt === undefined ? { appendSystemPrompt: prompt } : {}),
  };
}

/**
 * A script for `sh -s` there that checks each agent's directory and writes the files: every text
 * as base64 on stdin, so nothing in it is read by a shell.
 */
export function filesScript(
  dirs: readonly string[],
  files: readonly { path: string; text: string; mode: number }[],
): string {
  const lines = ['set -e', 'umask 077'];
  for (const dir of dirs)
    lines.push(
      `[ -d ${quote(dir)} ] || { printf '%s\\n' ${quote(`no directory ${dir} there (create it, or set the host's root: or the agent's cwd:)`)} >&2; exit 3; }`,
    );
  for (const f of files) {
    lines.push(`mkdir -p ${quote(posix.dirname(f.path))}`);
    // Through a temp file and a rename: a hook that runs meanwhile reads the old script or the new one, never half.
    const temp = `${f.path}.tmp`;
    lines.push(`printf '%s' ${quote(Buffer.from(f.text).toString('base64'))} | base64 -d > ${quote(temp)}`);
    lines.push(`chmod ${f.mode.toString(8)} ${quote(temp)} && mv -f ${quote(temp)} ${quote(f.path)}`);
  }
  // Status files are only ever appended to (the recorder here mirrors them byte for byte from their offsets).
  return `${lines.join('\n')}\n`;
}

/** What startOnHost did: the host's record and each agent's pane there. */
export interface HostStart {
  record: HostRecord;
  panes: Map<string, string>;
  reused: string[];
  cwds: Map<string, string>;
  worktrees: Map<string, AgentWorktree>;
  notes: string[];
}

export interface HostStartOptions {
  host: HostSpec;
  layout: Layout;
  agents: AgentSpec[];
  stateDir: string;
  /** Each agent's launch context (session id, ports, resume). */
  contexts: Map<string, LaunchContext>;
  resume: boolean;
  width: number;
  height: number;
}

/**
 * Starts a host's agents there, or, when resuming, finds those still running (a local session
 * lost while the host kept working) and keeps them. Writes each agent's local view script.
 */
export async function startOnHost(opts: HostStartOptions): Promise<HostStart> {
  const { host, stateDir } = opts;
  const target = targetOf(host);
  const home = await remoteHome(target);
  const key = hostKey(stateDir, host);
  const root = posix.resolve(home, host.root ?? '.');
  const remoteState = posix.join(home, '.claude-orchestrator', `${opts.layout.session}-${key}`);
  const record: HostRecord = {
    name: host.name,
    ssh: host.ssh,
    ...(host.port ? { port: host.port } : {}),
    home,
    state_dir: remoteState,
    socket: `orch-${key}`,
    claude_config_dir: host.env.CLAUDE_CONFIG_DIR ?? opts.layout.env.CLAUDE_CONFIG_DIR ?? posix.join(home, '.claude'),
    reachable: true,
    checked_at: new Date().toISOString(),
    error: null,
  };
  const server = hostServer(record);
  const running = opts.resume ? await livePanes(server) : new Map<string, string>();
  if (!opts.resume) await server.kill();

  // Agents with worktree: true get theirs in the repository at the host's root, there.
  const { prepareWorktrees } = await import('../worktrees/prepare.js');
  const prepared = await prepareWorktrees(opts.layout, stateDir, {
    host: { name: host.name, ssh: host.ssh, ...(host.port ? { port: host.port } : {}) },
    shell: hostShell(target),
    root,
    remoteState,
    agents: opts.agents,
  });
  const specs = opts.agents.map((a) => {
    const spec = remoteSpec(a, root);
    const wt = prepared.worktrees.get(a.name);
    return wt ? { ...spec, cwd: posix.join(wt.path, posix.relative(wt.repo, spec.cwd)) } : spec;
  });
  const files: { path: string; text: string; mode: number }[] = [
    { path: hookScriptFile(remoteState), text: HOOK_SCRIPT, mode: 0o755 },
    { path: approvalHookFile(remoteState), text: APPROVAL_HOOK_SCRIPT, mode: 0o755 },
  ];
  for (const agent of specs) {
    const ctx = opts.contexts.get(agent.name)!;
    const there = agentFiles(remoteState, agent.name);
    const remoteCtx: LaunchContext = {
      ...ctx,
      claudeBin: host.claude,
      stateDir: remoteState,
      env: { ...opts.layout.env, ...host.env },
    };
    delete remoteCtx.mcp;
    // fork_from an agent of the same host (layout/forks.ts): its conversation is there, in its cwd there.
    const parent = ctx.forkFrom && specs.find((s) => s.name === ctx.forkFrom!.name);
    if (parent) remoteCtx.forkFrom = { ...ctx.forkFrom!, cwd: parent.cwd };
    else delete remoteCtx.forkFrom;
    delete remoteCtx.setup;
    // A new worktree's setup runs in its pane there, before claude, as here.
    if (prepared.worktrees.get(agent.name)?.setup === 'pending' && opts.layout.worktrees.setup)
      remoteCtx.setup = { command: opts.layout.worktrees.setup, timeoutS: opts.layout.worktrees.setupTimeoutS };
    writeViewScript(stateDir, agent.name, record);
    // A running agent's script is not written over (its shell reads it as it goes).
    if (running.has(agent.name)) continue;
    // Its permission requests wait there for a decision made here (the recorder copies it there: src/hosts/decisions.ts).
    const approval = {
      script: approvalHookFile(remoteState),
      decisions: there.approvals,
      timeoutS: ctx.approvalTimeoutS ?? DEFAULT_APPROVAL_TIMEOUT_S,
    };
    files.push({
      path: there.settings,
      text: `${JSON.stringify(hookSettings(hookScriptFile(remoteState), there.status, approval), null, 2)}\n`,
      mode: 0o644,
    });
    // The env: values (the host's too) travel on ssh's stdin into a file there only its user can read.
    files.push({ path: there.env, text: envFileText(layoutEnv(agent, remoteCtx)), mode: SECRET_FILE_MODE });
    files.push({ path: there.launch, text: launchScript(agent, remoteCtx), mode: 0o755 });
  }
  await checkOnHost(target, ['sh', '-s'], {
    input: filesScript([...new Set(specs.map((a) => a.cwd))], files),
    timeoutMs: 30_000,
  });

  const toStart = specs.filter((a) => !running.has(a.name));
  const panes = new Map([...running].filter(([name]) => specs.some((a) => a.name === name)));
  if (toStart.length) {
    const commands = [
      ['start-server'],
      ['set-option', '-g', 'status', 'off'],
      ['set-option', '-g', 'history-limit', '10000'],
      ...toStart.map((a) => [
        'new-session',
        '-d',
        '-s',
        a.name,
        '-x',
        String(opts.width),
        '-y',
        String(opts.height),
        '-c',
        a.cwd,
        '-P',
        '-F',
        formatOf(['pane_id']),
        '/bin/sh',
        agentFiles(remoteState, a.name).launch,
      ]),
    ];
    const out = (await server.cmd(...commands))
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    toStart.forEach((a, i) => {
      panes.set(a.name, out[i] ?? '');
    });
  }
  return {
    record,
    panes,
    reused: specs.filter((a) => running.has(a.name)).map((a) => a.name),
    cwds: new Map(specs.map((a) => [a.name, a.cwd])),
    worktrees: prepared.worktrees,
    notes: prepared.notes,
  };
}

/** The agent sessions with a live pane on a host's server (none when no server runs there). */
async function livePanes(server: Server): Promise<Map<string, string>> {
  const fields = ['session_name', 'pane_id', 'pane_dead'] as const;
  try {
    const rows = parseRows(fields, await server.cmd(['list-panes', '-a', '-F', formatOf(fields)]));
    return new Map(rows.filter((r) => r.pane_dead !== '1').map((r) => [r.session_name, r.pane_id]));
  } catch (error) {
    if (isNoServer(error)) return new Map();
    throw error;
  }
}

/**
 * The local pane's script: an ssh client attached to the agent's session there (its own
 * connection, so that many views never exceed the shared one's session limit), again after
 * each drop. The local pane's border and the store name the agent; its state comes from its hooks.
 */
export function viewScript(agent: string, host: HostRecord): string {
  const attach = sshArgv(targetOf(host), ['tmux', '-u', '-L', host.socket, 'attach-session', '-t', `=${agent}`], {
    tty: true,
    multiplex: false,
  });
  return [
    '#!/bin/sh',
    `# Agent ${agent} runs on host ${host.name} (${host.ssh}), in tmux -L ${host.socket} there. Written by claude-orchestrator:`,
    '# this pane shows it, and attaches again when the connection comes back.',
    'while :; do',
    `  ${quoteArgv(attach)}`,
    '  code=$?',
    `  printf '\\n%s\\n' ${quote(`[claude-orchestrator] the view of ${agent} on ${host.name} ended`)}" (ssh exit $code); again in 2 s"`,
    '  sleep 2',
    'done',
    '',
  ].join('\n');
}

function writeViewScript(stateDir: string, agent: string, host: HostRecord): void {
  const files = agentFiles(stateDir, agent);
  mkdirSync(files.dir, { recursive: true });
  writeFileSync(files.launch, viewScript(agent, host));
  chmodSync(files.launch, 0o755);
}

/**
 * The session's processes on a host that its tmux server's end leaves running (a server a worktree's
 * setup started in the background): they carry ORCH_STATE_DIR of its state directory there, with
 * ORCH_AGENT. SIGTERM, then SIGKILL for those left a second later. Linux /proc, GNU grep.
 */
const SWEEP = `ours() { set -- $(grep -lzxF "ORCH_STATE_DIR=$d" /proc/[0-9]*/environ 2>/dev/null); [ $# -gt 0 ] && grep -lz '^ORCH_AGENT=' "$@" 2>/dev/null | sed 's|^/proc/||; s|/environ$||'; }
d=$1; p=$(ours); [ -n "$p" ] || exit 0; kill $p 2>/dev/null; sleep 1; p=$(ours); [ -n "$p" ] && kill -9 $p 2>/dev/null; exit 0`;

/** Stops a host's tmux server (every agent there) and what the session left running there; a host that does not answer is reported, not waited for. With close, its shared connection is closed too. */
export async function stopHost(host: HostRecord, close = true): Promise<string | undefined> {
  try {
    await hostServer(host).kill();
    await hostShell(targetOf(host))
      .run(['sh', '-c', SWEEP, 'sweep', host.state_dir], undefined)
      .catch(() => {});
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    if (close) await closeConnection(targetOf(host));
  }
}
