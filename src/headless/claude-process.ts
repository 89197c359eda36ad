// A headless agent's long-lived claude: started from an argv (never a shell), given one user
// message per task and interrupt requests on stdin, its stdout handed on line by line with each
// turn's closing `result` event picked out, and the tail of its stderr kept for the error report.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { interruptRequest, userMessage } from './input.js';

/** How the process ended: claude's exit code (128 + signal when killed), stderr's tail, a spawn failure. */
export interface ProcessEnd {
  code: number;
  stderrTail: string;
  spawnError?: string;
}

/** A running claude. */
export interface ClaudeProcess {
  pid: number | undefined;
  /** Resolves when claude has exited and its output has been read. */
  done: Promise<ProcessEnd>;
  /** Starts a turn with this prompt; resolves once it is in claude's stdin (false: it could not be written). */
  send(prompt: string): Promise<boolean>;
  /** Asks claude to stop the running turn (it ends the turn with a result and waits for the next message). */
  interrupt(): void;
  /** Sends one signal, if claude still runs. */
  kill(signal: NodeJS.Signals): void;
}

export interface ProcessOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  onStdout: (line: string) => void;
  /** A turn ended: its `result` event (after onStdout has had the line). */
  onResult: (result: Record<string, unknown>) => void;
  onStderr?: (line: string) => void;
}

const TAIL = 4000;

/** Starts claude with args. Never throws: a spawn failure ends the process with code 127 (or 126). */
export function startClaude(bin: string, args: string[], opts: ProcessOptions): ClaudeProcess {
  const child = spawn(bin, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  let spawnError: string | undefined;
  // A claude that died leaves a broken pipe: its end is reported by `done`, not by a write error.
  child.stdin.on('error', () => {});

  const stdout = createInterface({ input: child.stdout });
  stdout.on('line', (line) => {
    let result: Record<string, unknown> | undefined;
    if (line.startsWith('{"type":"result"')) {
      try {
        result = JSON.parse(line) as Record<string, unknown>;
      } catch {
        /* rendered as it is */
      }
    }
    opts.onStdout(line);
    if (result) opts.onResult(result);
  });
  const errLines = createInterface({ input: child.stderr });
  errLines.on('line', (line) => {
    stderr = `${stderr + line}\n`.slice(-TAIL);
    opts.onStderr?.(line);
  });
  const read = Promise.all([stdout, errLines].map((s) => new Promise<void>((r) => s.once('close', () => r()))));

  const done = new Promise<ProcessEnd>((resolve) => {
    child.once('error', (error: NodeJS.ErrnoException) => {
      spawnError = `cannot run ${bin}: ${error.message}`;
      if (child.pid === undefined)
        resolve({ code: error.code === 'ENOENT' ? 127 : 126, stderrTail: spawnError, spawnError });
    });
    child.once('close', (code, signal) => {
      void read.then(() =>
        resolve({
          code: code ?? 128 + (signal ? (constants.signals[signal] ?? 0) : 0),
          stderrTail: stderr,
          ...(spawnError ? { spawnError } : {}),
        }),
      );
    });
  });

  const running = (): boolean => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  const write = (text: string): Promise<boolean> => {
    const written = new Promise<boolean>((resolve) => {
      if (!child.stdin.writable) resolve(false);
      else child.stdin.write(text, (error) => resolve(!error));
    });
    return Promise.race([written, done.then(() => false)]);
  };
  return {
    pid: child.pid,
    done,
    send: (prompt) => write(userMessage(prompt)),
    interrupt() {
      if (running()) void write(interruptRequest(randomUUID()));
    },
    kill(signal) {
      if (running()) child.kill(signal);
    },
  };
}
