// A headless agent's inbox of tasks: files in agents/<name>/prompts/. `<8-digit seq>-<task>.json`
// holds {"task", "prompt"} and is written atomically (a temp name starting with "." renamed into
// place); `<task>.cancel` asks for that task to be interrupted or dropped.
import { readdirSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';
import { join } from 'node:path';
import { queuedPromptFile } from '../store/paths.js';

/** A prompt file waiting in the queue. */
export interface QueuedPrompt {
  file: string;
  task: string;
}

/** What the prompts directory holds now: prompts in the order to run them, and cancel requests. */
export interface QueueScan {
  prompts: QueuedPrompt[];
  cancels: string[];
}

const PROMPT = /^\d+-(.+)\.json$/;
const CANCEL = /^(.+)\.cancel$/;

/** Lists the directory (names starting with "." are files being written, and skipped). */
export function scanQueue(dir: string): QueueScan {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return { prompts: [], cancels: [] };
  }
  const prompts: QueuedPrompt[] = [];
  const cancels: string[] = [];
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const prompt = PROMPT.exec(name);
    if (prompt) prompts.push({ file: join(dir, name), task: prompt[1]! });
    const cancel = CANCEL.exec(name);
    if (cancel) cancels.push(cancel[1]!);
  }
  return { prompts, cancels };
}

/** Reads a prompt file: {task, prompt}, or why it cannot be run. */
export function readPrompt(file: string): { task: string; prompt: string } | { error: string } {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    return { error: (error as Error).message };
  }
  const { task, prompt } = (value ?? {}) as { task?: unknown; prompt?: unknown };
  if (typeof task !== 'string' || !task || typeof prompt !== 'string')
    return { error: 'expected {"task": "<id>", "prompt": "<text>"}' };
  return { task, prompt };
}

/** Queues a prompt for a headless agent's runner (the recorder's delivery; tests and tools). */
export function enqueuePrompt(dir: string, seq: number, task: string, prompt: string): string {
  const file = queuedPromptFile(dir, seq, task);
  writeFileAtomic(file, JSON.stringify({ task, prompt }));
  return file;
}
