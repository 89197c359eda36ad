// One `claude -p` process of a headless agent: started from an argv (never a shell), its stdout
// handed on line by line, the tail of its stderr kept for the error report, and an interrupt that
// escalates SIGINT -> SIGTERM -> SIGKILL when claude does not stop.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';

/** How a run ended: claude's exit code (128 + signal when killed), stderr's tail, the final result event. */
export interface RunEnd { code: number; stderrTail: string; result?: Record<string, unknown>; spawnError?: string }

/** A running claude. */
export interface ClaudeRun {
  /** Resolves when claude has exited and its output has been read. */
  done: Promise<RunEnd>;
  /** Asks claude to stop (SIGINT), then insists (SIGTERM after graceMs, SIGKILL after 5 s more). */
  interrupt(graceMs?: number): void;
  /** Sends one signal (used when the runner itself is told to stop). */
  kill(signal: NodeJS.Signals): void;
}

export interface RunOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Called once claude has started (the prompt may then be forgotten). */
  onSpawn?: () => void;
  onStdout: (line: string) => void;
  onStderr?: (line: string) => void;
}

const TAIL = 4000;

/** Starts claude with args. Never throws: a spawn failure ends the run with code 127 (or 126). */
export function runClaude(bin: string, args: string[], opts: RunOptions): ClaudeRun {
  const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let result: Record<string, unknown> | undefined;
  let spawnError: string | undefined;
  const timers: NodeJS.Timeout[] = [];

  child.once('spawn', () => opts.onSpawn?.());
  const stdout = createInterface({ input: child.stdout });
  stdout.on('line', (line) => {
    if (line.startsWith('{"type":"result"')) {
      try { result = JSON.parse(line) as Record<string, unknown>; } catch { /* rendered as it is */ }
    }
    opts.onStdout(line);
  });
  const errLines = createInterface({ input: child.stderr });
  errLines.on('line', (line) => {
    stderr = (`${stderr + line}\n`).slice(-TAIL);
    opts.onStderr?.(line);
  });
  const read = Promise.all([stdout, errLines].map((s) => new Promise<void>((r) => s.once('close', () => r()))));

  const done = new Promise<RunEnd>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = `cannot run ${bin}: ${error.message}`;
      if (child.pid === undefined) {
        for (const t of timers) clearTimeout(t);
        resolve({ code: error.code === 'ENOENT' ? 127 : 126, stderrTail: spawnError, spawnError });
      }
    });
    child.once('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      void read.then(() => resolve({
        code: code ?? 128 + (signal ? constants.signals[signal] ?? 0 : 0),
        stderrTail: stderr,
        ...(result ? { result } : {}),
        ...(spawnError ? { spawnError } : {}),
      }));
    });
  });

  const send = (signal: NodeJS.Signals): void => {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) child.kill(signal);
  };
  return {
    done,
    interrupt(graceMs = 3000) {
      send('SIGINT');
      timers.push(setTimeout(() => send('SIGTERM'), graceMs), setTimeout(() => send('SIGKILL'), graceMs + 5000));
    },
    kill: send,
  };
}
