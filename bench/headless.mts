// bench/headless: per-task overhead of a headless agent, its long-lived claude (the runner, one
// `claude -p --input-format stream-json` fed a message per task) next to the process-per-task way
// it worked before (a `claude -p --resume` per task, started when the previous one exited), both
// with the real CLI and the real hooks against the same API stand-in. Timestamps are the hooks' own
// (status-file lines), so both ways are measured on the same clock:
//   - idle: prompt given -> UserPromptSubmit, one task at a time
//   - back to back: a task's Stop -> the next queued task's UserPromptSubmit (the overhead per task)
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AgentSpec } from '../src/layout/types.js';
import { claudeArgs } from '../src/agents/launch.js';
import { writeAgentSettings, writeHookScript } from '../src/agents/hooks.js';
import { startRunner } from '../src/headless/runner.js';
import { enqueuePrompt } from '../src/headless/queue.js';
import { agentFiles } from '../src/store/paths.js';
import { median } from './measure.mjs';

/** Medians in ms of one way of running headless tasks. */
export interface HeadlessTimes {
  idle: number;
  gap: number;
  turn: number;
  processes: number;
}

interface Hook {
  at: number;
  name: string;
  prompt?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const hooks = (file: string): Hook[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const { at, event } = JSON.parse(l) as { at: number; event: Record<string, unknown> | null };
      return {
        at,
        name: String(event?.hook_event_name),
        ...(typeof event?.prompt === 'string' ? { prompt: event.prompt } : {}),
      };
    });

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 120_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const v = fn();
      if (v) return v;
    } catch {
      /* file mid-write */
    }
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

/** The medians from an agent's hook lines: idle prompts and a back-to-back batch, by prompt text. */
function times(file: string, given: Map<string, number>, batch: string[]): HeadlessTimes {
  const all = hooks(file);
  const submit = (p: string): Hook => all.find((h) => h.name === 'UserPromptSubmit' && h.prompt === p)!;
  const stopAfter = (h: Hook): Hook => all.find((s) => s.name === 'Stop' && s.at >= h.at)!;
  const idle = [...given].map(([p, t0]) => submit(p).at - t0);
  const gaps = batch.slice(1).map((p, i) => submit(p).at - stopAfter(submit(batch[i]!)).at);
  const turns = batch.map((p) => stopAfter(submit(p)).at - submit(p).at);
  return {
    idle: median(idle),
    gap: median(gaps),
    turn: median(turns),
    processes: all.filter((h) => h.name === 'SessionStart').length,
  };
}

/** Runs both ways in a fresh directory with `n` idle tasks and a batch of `batch` tasks each. */
export async function benchHeadless(opts: {
  root: string;
  claude: string;
  env: NodeJS.ProcessEnv;
  n: number;
  batch: number;
}): Promise<{ longLived: HeadlessTimes; perTask: HeadlessTimes }> {
  const state = join(opts.root, 'headless-state');
  const cwd = join(opts.root, 'headless-project');
  mkdirSync(cwd, { recursive: true });
  const hookScript = writeHookScript(state);
  const agent = (name: string): AgentSpec => ({
    kind: 'agent',
    name,
    role: 'worker',
    cwd,
    allowedTools: [],
    disallowedTools: [],
    args: [],
    env: {},
    restart: 'never',
    mode: 'headless',
    focus: false,
    ports: 0,
    account: 'default',
    rules: { allow: [], deny: [], ask: [] },
  });
  const prompts = (tag: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${tag} ${i}`);

  // The long-lived claude of the runner.
  mkdirSync(agentFiles(state, 'long').prompts, { recursive: true });
  const long = agentFiles(state, 'long');
  const config = {
    agent: agent('long'),
    sessionId: randomUUID(),
    claudeBin: opts.claude,
    settingsFile: writeAgentSettings(state, 'long', hookScript, true),
  };
  const runner = startRunner({ stateDir: state, config, write: () => {}, width: 80, color: false, env: opts.env });
  let seq = 0;
  const exits = (): number => hooks(long.status).filter((h) => h.name === 'HeadlessTaskExit').length;
  const runOne = async (prompt: string): Promise<void> => {
    const before = exits();
    enqueuePrompt(long.prompts, ++seq, `t${seq}`, prompt);
    await until(`long-lived: ${prompt}`, () => exits() > before);
  };
  const longGiven = new Map<string, number>();
  const longBatch = prompts('long batch', opts.batch);
  try {
    await runOne('warm up');
    for (const p of prompts('long idle', opts.n)) {
      longGiven.set(p, Date.now());
      await runOne(p);
    }
    const before = exits();
    for (const p of longBatch) enqueuePrompt(long.prompts, ++seq, `t${seq}`, p);
    await until('long-lived batch', () => exits() === before + longBatch.length);
  } finally {
    await runner.stop();
  }
  const longLived = times(long.status, longGiven, longBatch);

  // A claude per task, as the runner did before: `claude -p --resume` with the prompt in argv.
  mkdirSync(agentFiles(state, 'per-task').prompts, { recursive: true });
  const perTaskConfig = {
    agent: agent('per-task'),
    sessionId: randomUUID(),
    settingsFile: writeAgentSettings(state, 'per-task', hookScript, true),
  };
  const perTaskFile = agentFiles(state, 'per-task').status;
  let resume = false;
  const printRun = async (prompt: string): Promise<void> => {
    const args = [
      '-p',
      '--output-format',
      'stream-json',
      '--verbose',
      ...claudeArgs(perTaskConfig.agent, {
        sessionId: perTaskConfig.sessionId,
        settingsFile: perTaskConfig.settingsFile,
        resume,
      }),
      '--',
      prompt,
    ];
    resume = true;
    const code = await new Promise<number | null>((resolve) =>
      spawn(opts.claude, args, { cwd, env: opts.env, stdio: 'ignore' }).once('close', resolve),
    );
    if (code !== 0) throw new Error(`claude -p exited with code ${code} for ${prompt}`);
  };
  const perGiven = new Map<string, number>();
  await printRun('warm up');
  for (const p of prompts('per-task idle', opts.n)) {
    perGiven.set(p, Date.now());
    await printRun(p);
  }
  const batch = prompts('per-task batch', opts.batch);
  for (const p of batch) await printRun(p);
  return { longLived, perTask: times(perTaskFile, perGiven, batch) };
}
