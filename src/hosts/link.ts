// The recorder's link to a host: one ssh channel that streams every agent's new status lines from
// the byte offset this machine has (tail -c +N -F there, each line tagged with its agent), and
// appends them, byte for byte, to the agent's status file here. The recorder reads those files as
// it reads a local agent's: a drop, a killed recorder or a host down for an hour loses nothing and
// counts nothing twice, because each stream starts again where the file here ends.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdirSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AgentRecord, HostRecord } from '../store/types.js';
import { agentFiles } from '../store/paths.js';
import { quote } from '../util/shell-quote.js';
import { checkOnHost, isUnreachable, sshArgv } from '../ssh/ssh.js';
import { remoteTranscript, targetOf, transcriptMirror } from './remote.js';

/** A line of nothing every HEARTBEAT_S: a channel that shows none for SILENT_MS is dead, whatever TCP thinks. */
const HEARTBEAT_S = 2;
const SILENT_MS = 8000;
/** Waits between tries to reach a host that did not answer (it doubles up to the last). */
const RETRY_MS = [500, 1000, 2000, 4000];

export interface HostLinkEvents {
  /** The host answers again (or for the first time since this recorder started). */
  reachable(host: string): void;
  /** The host does not answer: why, as ssh said it. */
  unreachable(host: string, reason: string): void;
  /** Lines were appended to these agents' status files, and to the transcripts of some. */
  appended(agents: string[], transcripts: string[]): void;
  log(line: string): void;
}

const sizeOf = (file: string): number => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

/** How often (s) a file not there yet is looked for before its tail starts. */
const APPEAR_S = 0.1;

/**
 * The remote command: a tail per agent from its offset, lines tagged "NAME ", and a heartbeat;
 * when this end goes away the heartbeat's write fails and everything it started is killed, so no
 * tail is left running there. Each tail starts once its file is there: GNU tail -F given a file
 * that does not exist yet (a claude not yet at its SessionStart, a transcript before the first
 * prompt) gives up inotify for good and polls once a second, which made every line of that stream
 * up to a second late (bench/hosts.mts).
 */
export function streamCommand(files: readonly { tag: string; path: string; offset: number }[]): string {
  const tails = files.map(
    (f) =>
      `{ until [ -e ${quote(f.path)} ]; do sleep ${APPEAR_S} 2>/dev/null || sleep 1; done; exec tail -c +${f.offset + 1} -F ${quote(f.path)}; } 2>/dev/null | sed -u ${quote(`s|^|${f.tag} |`)} &`,
  );
  return ["trap '' PIPE", ...tails, `while printf '\\n'; do sleep ${HEARTBEAT_S}; done 2>/dev/null`, 'kill 0'].join(
    '\n',
  );
}

export class HostLink {
  private stopped = false;
  private child: ChildProcess | undefined;
  private reachable: boolean | undefined;
  private done: Promise<void> | undefined;

  /** Each streamed file by its tag: the agent's status file (tag: its name) and its transcript (NAME/t). */
  private readonly files: Map<string, { agent: string; remote: string; local: string }>;

  constructor(
    private readonly host: HostRecord,
    agents: readonly Pick<AgentRecord, 'name' | 'cwd' | 'session_id'>[],
    stateDir: string,
    private readonly events: HostLinkEvents,
  ) {
    this.files = new Map(
      agents.flatMap((a) => [
        [
          a.name,
          {
            agent: a.name,
            remote: agentFiles(host.state_dir, a.name).status,
            local: agentFiles(stateDir, a.name).status,
          },
        ],
        // Its cost and tokens come from its transcript, as a local agent's do.
        [
          `${a.name}/t`,
          {
            agent: a.name,
            remote: remoteTranscript(host, a.cwd, a.session_id),
            local: transcriptMirror(stateDir, a.name, a.session_id),
          },
        ],
      ]),
    );
    for (const f of this.files.values()) mkdirSync(dirname(f.local), { recursive: true });
  }

  start(): void {
    this.done ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.child?.kill('SIGTERM');
    await this.done;
  }

  /** Ends the current stream (a look found the host gone): the link tries again at once. */
  reconnect(): void {
    this.child?.kill('SIGTERM');
  }

  private async run(): Promise<void> {
    let tries = 0;
    while (!this.stopped) {
      try {
        await checkOnHost(targetOf(this.host), ['true'], { timeoutMs: 15_000 });
      } catch (error) {
        if (this.stopped) return;
        if (this.reachable !== false) {
          this.reachable = false;
          this.events.unreachable(this.host.name, isUnreachable(error) ? error.detail : (error as Error).message);
        }
        await sleep(RETRY_MS[Math.min(tries++, RETRY_MS.length - 1)]!);
        continue;
      }
      tries = 0;
      if (this.reachable !== true) {
        this.reachable = true;
        this.events.reachable(this.host.name);
      }
      const ended = await this.stream();
      if (!this.stopped)
        this.events.log(`host ${this.host.name}: the status stream ended (${ended}); connecting again`);
    }
  }

  /** One stream, until its channel ends; what ended it. */
  private stream(): Promise<string> {
    const offsets = [...this.files].map(([tag, f]) => ({ tag, path: f.remote, offset: sizeOf(f.local) }));
    const [bin, ...args] = sshArgv(targetOf(this.host), ['sh', '-c', streamCommand(offsets)]);
    return new Promise((resolve) => {
      const child = spawn(bin!, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      this.child = child;
      let pending: Buffer = Buffer.alloc(0);
      let heard = Date.now();
      let stderr = '';
      const watchdog = setInterval(() => {
        if (Date.now() - heard > SILENT_MS) child.kill('SIGKILL');
      }, 1000);
      child.stdout!.on('data', (chunk: Buffer) => {
        heard = Date.now();
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        const end = pending.lastIndexOf(0x0a);
        if (end < 0) return;
        const whole = pending.subarray(0, end + 1);
        pending = Buffer.from(pending.subarray(end + 1));
        this.append(whole);
      });
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr = (stderr + chunk.toString()).slice(-2000);
      });
      child.on('error', (error) => {
        stderr += error.message;
      });
      child.on('close', (code, signal) => {
        clearInterval(watchdog);
        this.child = undefined;
        const why = stderr.trim().split('\n').pop() ?? '';
        resolve(
          signal
            ? `${signal === 'SIGKILL' ? `nothing heard for ${SILENT_MS / 1000} s` : signal}`
            : `ssh exit ${code}${why ? `: ${why}` : ''}`,
        );
      });
    });
  }

  /** Appends whole tagged lines to their agents' files (one write per agent per chunk). */
  private append(whole: Buffer): void {
    const byTag = new Map<string, Buffer[]>();
    let start = 0;
    for (let nl = whole.indexOf(0x0a); nl >= 0; start = nl + 1, nl = whole.indexOf(0x0a, start)) {
      if (nl === start) continue; // a heartbeat
      const space = whole.indexOf(0x20, start);
      if (space < 0 || space > nl) continue;
      const tag = whole.subarray(start, space).toString();
      if (!this.files.has(tag)) continue;
      const list = byTag.get(tag) ?? [];
      list.push(whole.subarray(space + 1, nl + 1));
      byTag.set(tag, list);
    }
    // The transcript first: a Stop read from the status file finds the turn's usage already here.
    for (const [tag, parts] of [...byTag].sort(([a], [b]) => Number(b.endsWith('/t')) - Number(a.endsWith('/t'))))
      appendFileSync(this.files.get(tag)!.local, Buffer.concat(parts));
    const agents = [
      ...new Set([...byTag.keys()].filter((tag) => !tag.endsWith('/t')).map((tag) => this.files.get(tag)!.agent)),
    ];
    const transcripts = [...byTag.keys()].filter((tag) => tag.endsWith('/t')).map((tag) => this.files.get(tag)!.agent);
    if (byTag.size) this.events.appended(agents, transcripts);
  }
}
