// A headless agent's runner, the program its pane runs: it takes prompt files one at a time in name
// order (fs.watch on the prompts directory, and a scan at start for files a crash left) and gives
// each to ONE long-lived claude as a new user message of the same conversation (a turn ends with
// its `result` event). It renders the stream in the pane, handles cancel files (an interrupt
// request, then signals if claude does not stop), starts claude again with --resume for the next
// task when it died, and reports to the agent's status file what hooks cannot: that it is ready,
// and how each task ended.
import { appendFileSync, mkdirSync, renameSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { basename } from 'node:path';
import { agentFiles, cancelRequestFile } from '../store/paths.js';
import type { HeadlessConfig } from '../agents/headless-config.js';
import { sessionExists, streamArgs } from './args.js';
import { startClaude, type ClaudeProcess } from './claude-process.js';
import { readPrompt, scanQueue } from './queue.js';
import { StreamRenderer } from './render.js';

/** The task id the layout's `prompt:` runs under (once, when the session is new). */
export const LAYOUT_PROMPT_TASK = 'layout-prompt';

export interface RunnerOptions {
  /** The session's state directory (the agent's prompts and status file are there). */
  stateDir: string;
  config: HeadlessConfig;
  /** Where the rendering goes (the pane). */
  write: (text: string) => void;
  width: number;
  color: boolean;
  env?: NodeJS.ProcessEnv;
  /** How long claude gets to end a cancelled turn after the interrupt request, before SIGTERM. */
  interruptGraceMs?: number;
}

/** A running runner. */
export interface Runner {
  resize(width: number): void;
  /** Stops taking tasks; a running claude gets the signal and is waited for. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The task claude is working on: its prompt file until claude has it, its stderr, its cancel's timer. */
interface Turn {
  task: string;
  file: string | undefined;
  cancelled: boolean;
  stderr: string;
  timers: NodeJS.Timeout[];
}

/** Why a task failed, for HeadlessTaskExit: stderr's tail during it, else the result's error text. */
function errorText(stderr: string, result?: Record<string, unknown>, spawnError?: string): string {
  const tail = stderr.trim();
  if (tail) return tail.slice(-1000);
  if (result?.is_error === true && typeof result.result === 'string') return result.result.slice(0, 1000);
  return spawnError ?? 'no error output';
}

/** Starts the runner: reports ready, then runs queued prompts until stopped. */
export function startRunner(opts: RunnerOptions): Runner {
  const runner = new HeadlessRunner(opts);
  runner.start();
  return runner;
}

/**
 * The runner's state: the long-lived claude, from the first task until it exits (`closing` once it
 * was told to stop: no turn is given to it any more, and the next claude starts only when it is
 * gone), the turn it works on, and whether the runner was stopped or has reported ready.
 */
class HeadlessRunner implements Runner {
  private readonly config: HeadlessConfig;
  private readonly files: ReturnType<typeof agentFiles>;
  private readonly dir: string;
  private readonly renderer: StreamRenderer;
  private claude: ClaudeProcess | undefined;
  private closing = false;
  private turn: Turn | undefined;
  private stopped = false;
  private ready = false;
  private watcher: FSWatcher | undefined;
  private pending = false;

  constructor(private readonly opts: RunnerOptions) {
    this.config = opts.config;
    this.files = agentFiles(opts.stateDir, opts.config.agent.name);
    this.dir = this.files.prompts;
    this.renderer = new StreamRenderer({ width: opts.width, color: opts.color });
  }

  private print(lines: string[]): void {
    if (lines.length) this.opts.write(`${lines.join('\n')}\n`);
  }

  private status(event: Record<string, unknown>): void {
    appendFileSync(this.files.status, `${JSON.stringify({ at: Date.now(), event })}\n`);
  }

  private waiting(): void {
    this.print(this.renderer.note(`waiting for tasks (${this.dir})`));
  }

  private endTurn(t: Turn, code: number, error: string, exited: boolean, apiStatus?: number): void {
    if (this.turn !== t) return;
    this.turn = undefined;
    for (const timer of t.timers) clearTimeout(timer);
    // (A claude that could not start or died at once may end the task before its prompt was written.)
    if (t.file) rmSync(t.file, { force: true });
    this.print(this.renderer.turnEnd(code, error, { cancelled: t.cancelled, exited }));
    this.status({
      hook_event_name: 'HeadlessTaskExit',
      exit_code: code,
      task: t.task,
      ...(code !== 0 ? { error } : {}),
      ...(t.cancelled ? { cancelled: true } : {}),
      // The API's refusal (e.g. 429): a limit is the StopFailure hook's to report, not a failed task.
      ...(code !== 0 && apiStatus !== undefined ? { api_error_status: apiStatus } : {}),
    });
    rmSync(cancelRequestFile(this.dir, t.task), { force: true });
    if (this.stopped) return;
    if (!this.ready) {
      this.ready = true;
      this.status({ hook_event_name: 'HeadlessReady' });
    }
    this.waiting();
    this.kick();
  }

  private startProcess(): ClaudeProcess {
    const { config, opts, renderer } = this;
    const resume = sessionExists(config, opts.env);
    const proc = startClaude(config.claudeBin, streamArgs(config, resume), {
      cwd: config.agent.cwd,
      ...(opts.env ? { env: opts.env } : {}),
      onStdout: (line) => this.print(renderer.line(line)),
      // A turn ends as `claude -p` would have exited: 1 for an error result, 0 otherwise (an interrupt included).
      onResult: (result) => {
        const turn = this.turn;
        if (!turn) return;
        const code = result.is_error === true && !turn.cancelled ? 1 : 0;
        this.endTurn(
          turn,
          code,
          errorText(turn.stderr, result),
          false,
          typeof result.api_error_status === 'number' ? result.api_error_status : undefined,
        );
      },
      onStderr: (line) => {
        if (this.turn) this.turn.stderr = `${this.turn.stderr + line}\n`.slice(-4000);
        this.print(renderer.note(line, 'error'));
      },
    });
    if (proc.pid !== undefined)
      this.print(
        renderer.note(`claude started (pid ${proc.pid}, ${resume ? `--resume ${config.sessionId}` : 'new session'})`),
      );
    void proc.done.then((end) => {
      if (this.claude === proc) {
        this.claude = undefined;
        this.closing = false;
      }
      if (this.turn) {
        this.endTurn(this.turn, end.code, errorText(this.turn.stderr, undefined, end.spawnError), true);
      } else if (!this.stopped) {
        this.print(
          renderer.note(
            `claude exited with code ${end.code}; the next task starts it again (--resume)`,
            end.code === 0 ? 'info' : 'error',
          ),
        );
        this.kick();
      }
    });
    return proc;
  }

  /** Signals claude, and SIGKILL after killAfterMs if it has not exited by then. */
  private stopProcess(signal: NodeJS.Signals, killAfterMs = 5000): void {
    const proc = this.claude;
    if (!proc) return;
    this.closing = true;
    proc.kill(signal);
    const killer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    void proc.done.then(() => clearTimeout(killer));
  }

  private run(task: string, prompt: string, file?: string): void {
    const t: Turn = { task, file, cancelled: false, stderr: '', timers: [] };
    this.turn = t;
    this.print(this.renderer.task(task, prompt));
    this.claude ??= this.startProcess();
    // Forgotten once it is in claude's stdin: a crash from here on must not run it twice.
    void this.claude.send(prompt).then(() => {
      if (file) rmSync(file, { force: true });
    });
  }

  /**
   * The turn stops by claude's own interrupt; a claude that does not end it in time is stopped
   * (SIGTERM, then SIGKILL) and the next task starts a new one that resumes the session.
   */
  private cancel(t: Turn): void {
    t.cancelled = true;
    this.print(this.renderer.note(`cancelling task ${t.task}`));
    this.claude?.interrupt();
    t.timers.push(setTimeout(() => this.stopProcess('SIGTERM'), this.opts.interruptGraceMs ?? 3000));
  }

  /** One pass over the prompts directory: cancels first, then the next prompt if none is running. */
  private kick(): void {
    if (this.stopped) return;
    const { dir, renderer } = this;
    const { prompts, cancels } = scanQueue(dir);
    const dropped = new Set<string>();
    for (const task of cancels) {
      if (this.turn?.task === task) {
        if (!this.turn.cancelled) this.cancel(this.turn);
      } else {
        for (const p of prompts.filter((q) => q.task === task)) {
          rmSync(p.file, { force: true });
          dropped.add(p.file);
          this.print(renderer.note(`dropped task ${task} (cancelled before it started)`));
        }
      }
      rmSync(cancelRequestFile(dir, task), { force: true });
    }
    if (this.turn || this.closing) return;
    const next = prompts.find((p) => !dropped.has(p.file));
    if (!next) return;
    const read = readPrompt(next.file);
    if ('error' in read) {
      // Set aside (not *.json any more) so it is not taken again; the dispatcher's wait times out.
      try {
        renameSync(next.file, `${next.file}.bad`);
      } catch {
        rmSync(next.file, { force: true });
      }
      this.print(
        renderer.note(
          `${basename(next.file)} cannot be run (${read.error}); kept as ${basename(next.file)}.bad`,
          'error',
        ),
      );
      setImmediate(() => this.kick());
      return;
    }
    this.run(read.task, read.prompt, next.file);
  }

  private schedule(): void {
    if (this.pending) return;
    this.pending = true;
    setImmediate(() => {
      this.pending = false;
      this.kick();
    });
  }

  /** Watches the prompts directory, then runs the layout's prompt of a new session or reports ready. */
  start(): void {
    const { dir, renderer, config } = this;
    try {
      mkdirSync(dir, { recursive: true });
      this.watcher = watch(dir, () => this.schedule());
      this.watcher.on('error', (error) => this.print(renderer.note(`cannot watch ${dir}: ${error.message}`, 'error')));
    } catch (error) {
      this.print(renderer.note(`cannot watch ${dir}: ${(error as Error).message}`, 'error'));
    }
    const agent = config.agent;
    this.print(
      renderer.note(`headless agent ${agent.name} (${agent.role}) in ${agent.cwd} · session ${config.sessionId}`),
    );
    if (agent.prompt !== undefined && !sessionExists(config, this.opts.env)) {
      this.run(LAYOUT_PROMPT_TASK, agent.prompt);
    } else {
      this.ready = true;
      this.status({ hook_event_name: 'HeadlessReady' });
      this.waiting();
      this.kick();
    }
  }

  resize(width: number): void {
    this.renderer.resize(width);
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.stopped = true;
    this.watcher?.close();
    const proc = this.claude;
    if (!proc) return;
    this.stopProcess(signal, 8000);
    await proc.done;
  }
}
