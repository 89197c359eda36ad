// A headless agent's runner, the program its pane runs: it takes prompt files one at a time in name
// order (fs.watch on the prompts directory, and a scan at start for files a crash left), runs each
// as `claude -p` resuming the agent's session, renders the stream in the pane, handles cancel files,
// and reports to the agent's status file what hooks cannot: that it is ready, and how each run ended.
import { appendFileSync, mkdirSync, renameSync, rmSync, watch, type FSWatcher } from 'node:fs';
import { basename, join } from 'node:path';
import { agentFiles } from '../store/paths.js';
import type { HeadlessConfig } from '../agents/headless-config.js';
import { printArgs, sessionExists } from './args.js';
import { runClaude, type ClaudeRun, type RunEnd } from './claude-run.js';
import { readPrompt, scanQueue } from './queue.js';
import { StreamRenderer } from './render.js';

/** The task id the layout's `prompt:` runs under (once, when the session is new). */
export const LAYOUT_PROMPT_TASK = 'layout-prompt';

export interface RunnerOptions {
  /** The agent's directory (state/<session>/agents/<name>). */
  /** The session's state directory (the agent's prompts and status file are there). */
  stateDir: string;
  config: HeadlessConfig;
  /** Where the rendering goes (the pane). */
  write: (text: string) => void;
  width: number;
  color: boolean;
  env?: NodeJS.ProcessEnv;
  /** How long claude gets after SIGINT before SIGTERM, when a task is cancelled. */
  interruptGraceMs?: number;
}

/** A running runner. */
export interface Runner {
  resize(width: number): void;
  /** Stops taking tasks; a running claude gets the signal and is waited for. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Why a run failed, for HeadlessTaskExit: stderr's tail, else the result's error text. */
function errorText(end: RunEnd): string {
  const tail = end.stderrTail.trim();
  if (tail) return tail.slice(-1000);
  const result = end.result;
  if (result?.is_error === true && typeof result.result === 'string') return result.result.slice(0, 1000);
  return 'no error output';
}

/** Starts the runner: reports ready, then runs queued prompts until stopped. */
export function startRunner(opts: RunnerOptions): Runner {
  const { config } = opts;
  const files = agentFiles(opts.stateDir, config.agent.name);
  const dir = files.prompts;
  const renderer = new StreamRenderer({ width: opts.width, color: opts.color });
  const print = (lines: string[]): void => { if (lines.length) opts.write(`${lines.join('\n')}\n`); };
  const status = (event: Record<string, unknown>): void => {
    appendFileSync(files.status, `${JSON.stringify({ at: Date.now(), event })}\n`);
  };
  let current: { task: string; run: ClaudeRun; cancelled: boolean } | undefined;
  let stopped = false;
  let ready = false;
  let watcher: FSWatcher | undefined;

  const waiting = (): void => print(renderer.note(`waiting for tasks (${dir})`));

  const run = (task: string, prompt: string, file?: string): void => {
    const resume = sessionExists(config, opts.env);
    print(renderer.task(task, prompt));
    const claude = runClaude(config.claudeBin, printArgs(config, prompt, resume), {
      cwd: config.agent.cwd,
      ...(opts.env ? { env: opts.env } : {}),
      // Forgotten once claude has it: a crash from here on must not run it twice.
      onSpawn: () => { if (file) rmSync(file, { force: true }); },
      onStdout: (line) => print(renderer.line(line)),
      onStderr: (line) => print(renderer.note(line, 'error')),
    });
    const entry = { task, run: claude, cancelled: false };
    current = entry;
    void claude.done.then((end) => {
      if (file && end.spawnError) rmSync(file, { force: true });
      print(renderer.exit(end.code, end.stderrTail, entry.cancelled));
      status({
        hook_event_name: 'HeadlessTaskExit', exit_code: end.code, task,
        ...(end.code !== 0 ? { error: errorText(end) } : {}), ...(entry.cancelled ? { cancelled: true } : {}),
      });
      rmSync(join(dir, `${task}.cancel`), { force: true });
      current = undefined;
      if (stopped) return;
      if (!ready) { ready = true; status({ hook_event_name: 'HeadlessReady' }); }
      waiting();
      kick();
    });
  };

  // One pass over the prompts directory: cancels first, then the next prompt if none is running.
  const kick = (): void => {
    if (stopped) return;
    const { prompts, cancels } = scanQueue(dir);
    const dropped = new Set<string>();
    for (const task of cancels) {
      if (current?.task === task) {
        if (!current.cancelled) {
          current.cancelled = true;
          print(renderer.note(`cancelling task ${task}`));
          current.run.interrupt(opts.interruptGraceMs);
        }
      } else {
        for (const p of prompts.filter((q) => q.task === task)) {
          rmSync(p.file, { force: true });
          dropped.add(p.file);
          print(renderer.note(`dropped task ${task} (cancelled before it started)`));
        }
      }
      rmSync(join(dir, `${task}.cancel`), { force: true });
    }
    if (current) return;
    const next = prompts.find((p) => !dropped.has(p.file));
    if (!next) return;
    const read = readPrompt(next.file);
    if ('error' in read) {
      // Set aside (not *.json any more) so it is not taken again; the dispatcher's wait times out.
      try { renameSync(next.file, `${next.file}.bad`); } catch { rmSync(next.file, { force: true }); }
      print(renderer.note(`${basename(next.file)} cannot be run (${read.error}); kept as ${basename(next.file)}.bad`, 'error'));
      setImmediate(kick);
      return;
    }
    run(read.task, read.prompt, next.file);
  };

  let pending = false;
  const schedule = (): void => {
    if (pending) return;
    pending = true;
    setImmediate(() => { pending = false; kick(); });
  };

  try {
    mkdirSync(dir, { recursive: true });
    watcher = watch(dir, schedule);
    watcher.on('error', (error) => print(renderer.note(`cannot watch ${dir}: ${error.message}`, 'error')));
  } catch (error) {
    print(renderer.note(`cannot watch ${dir}: ${(error as Error).message}`, 'error'));
  }
  const agent = config.agent;
  print(renderer.note(`headless agent ${agent.name} (${agent.role}) in ${agent.cwd} · session ${config.sessionId}`));
  if (agent.prompt !== undefined && !sessionExists(config, opts.env)) {
    run(LAYOUT_PROMPT_TASK, agent.prompt);
  } else {
    ready = true;
    status({ hook_event_name: 'HeadlessReady' });
    waiting();
    kick();
  }

  return {
    resize: (width) => renderer.resize(width),
    async stop(signal = 'SIGTERM') {
      stopped = true;
      watcher?.close();
      const running = current;
      if (!running) return;
      running.run.kill(signal);
      const killer = setTimeout(() => running.run.kill('SIGKILL'), 8000);
      await running.run.done;
      clearTimeout(killer);
    },
  };
}
