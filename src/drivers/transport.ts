// How an agent takes work. A pane transport pastes into the agent's tmux pane and presses keys
// there (src/delivery/deliver.ts); a headless one writes prompt and cancel files that its runner
// (src/headless/runner.ts) picks up. The recorder's effects and the task rules (src/tasks/tasks.ts:
// how long to wait for a delivery's turn to start, what it reports, whether it is retried) ask the
// agent's transport, never its mode.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from '../tmux/objects.js';
import type { AgentRecord, TaskRecord } from '../store/types.js';
import { cancelRequestFile, promptsDir } from '../store/paths.js';
import { enqueuePrompt } from '../headless/queue.js';
import { deliver, press, resubmit, stopTurn } from '../delivery/deliver.js';
import { boxSubmission } from './claude/prompt-box.js';
import { endsAtRefusedPrompt, RETRY_NOTE } from './claude/retry.js';
import type { AgentKind } from './kind.js';

/** What a transport must provide. */
export interface Transport {
  readonly name: 'pane' | 'headless';
  /** Gives the task's prompt to the agent (its confirmation is the turn-started event). */
  deliver(server: Server, stateDir: string, agent: AgentRecord, task: TaskRecord): Promise<void>;
  /** A delivery not confirmed in time: what was found, and what was done about it. */
  resubmit(
    server: Server,
    stateDir: string,
    agent: AgentRecord,
    task: TaskRecord,
  ): Promise<'waiting' | 'enter' | 'pasted'>;
  /** Interrupts the agent's running turn once. */
  interrupt(server: Server, stateDir: string, agent: AgentRecord, taskId: string): Promise<void>;
  /** Stops the turn of a cancelled or timed-out task and leaves the agent ready; whether it stopped. */
  cancel(
    server: Server,
    stateDir: string,
    agent: AgentRecord,
    taskId: string,
    log: (line: string) => void,
  ): Promise<boolean>;
  /** The kind's exit command when the agent can be told to exit by typing it now (at its prompt), else undefined. */
  exitCommand(kind: Pick<AgentKind, 'exitCommand'>, agent: Pick<AgentRecord, 'status'>): string | undefined;
  /** How long to wait for a delivery's turn-started event after an attempt (lastAttempt: no retry follows). */
  confirmWithinMs(prompt: string, lastAttempt: boolean): number;
  /** Whether a delivery not confirmed in time is tried again (resubmit) before its task fails. */
  readonly retries: boolean;
  /** A prompt as its turn-started event reports it once the agent took it. */
  submittedText(prompt: string): string;
  /** Whether a prompt a turn-started event reports is this prompt as this transport delivered it. */
  isSubmissionOf(reported: string, prompt: string): boolean;
}

/** The transport of an agent: headless agents take prompt files, the others a paste into their pane. */
export const transportOf = (agent: Pick<AgentRecord, 'mode'>): Transport =>
  agent.mode === 'headless' ? headlessTransport : paneTransport;

/**
 * What to send an agent for a task: its prompt, or, for a task resumed after a limit whose refused
 * prompt the conversation still holds (src/drivers/claude/retry.ts), a short note that it goes on.
 */
export function promptToSend(task: TaskRecord, agent: AgentRecord): string {
  if (!task.limited?.length) return task.prompt;
  return endsAtRefusedPrompt(agent.transcript_path, transportOf(agent).submittedText(task.prompt))
    ? RETRY_NOTE
    : task.prompt;
}

/** A prompt as typed text ends up: no carriage returns or trailing white space. */
const submitted = (prompt: string): string => prompt.replace(/\r\n?/g, '\n').trimEnd();

/** States in which an agent in a pane shows its prompt box (an error leaves it at the prompt too). */
const AT_PROMPT: ReadonlySet<string> = new Set(['idle', 'busy', 'error']);

/** An agent in a tmux pane, its prompt pasted into the CLI's box. */
export const paneTransport: Transport = {
  name: 'pane',
  deliver: (server, _stateDir, agent, task) => deliver(server, agent, task, promptToSend(task, agent)),
  resubmit: (server, _stateDir, agent, task) => resubmit(server, agent, task, promptToSend(task, agent)),
  interrupt: (server, _stateDir, agent) => press(server, agent, 'Escape'),
  cancel: stopTurn,
  exitCommand: (kind, agent) => (AT_PROMPT.has(agent.status) ? kind.exitCommand : undefined),
  // A big paste takes Claude longer to take in; the last attempt waits longest.
  confirmWithinMs: (prompt, lastAttempt) => (4000 + Math.ceil(prompt.length / 10_000) * 1000) * (lastAttempt ? 4 : 1),
  retries: true,
  // Claude's box turns each tab into four spaces, drops trailing white space and carriage returns.
  submittedText: boxSubmission,
  isSubmissionOf: (reported, prompt) => submitted(reported) === boxSubmission(prompt),
};

/** The cancel file a headless runner watches for: it interrupts that task's turn. */
function writeCancel(stateDir: string, agent: AgentRecord, taskId: string): void {
  const dir = promptsDir(stateDir, agent.name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(cancelRequestFile(dir, taskId), '');
}

/** A headless agent: prompt files its runner takes one at a time. */
export const headlessTransport: Transport = {
  name: 'headless',
  deliver: async (_server, stateDir, agent, task) => {
    enqueuePrompt(promptsDir(stateDir, agent.name), task.seq, task.id, promptToSend(task, agent));
  },
  // Its runner confirms by itself once its claude takes the prompt: nothing to look at.
  resubmit: async () => 'waiting',
  interrupt: async (_server, stateDir, agent, taskId) => writeCancel(stateDir, agent, taskId),
  cancel: async (_server, stateDir, agent, taskId) => {
    writeCancel(stateDir, agent, taskId);
    return true;
  },
  // Its runner has no prompt to type into: it ends on SIGTERM.
  exitCommand: () => undefined,
  // Its runner may start its `claude -p` first (its first task, or claude died).
  confirmWithinMs: () => 60_000,
  // Its runner confirms by itself: a delivery it never confirmed is not tried again.
  retries: false,
  submittedText: (prompt) => prompt,
  isSubmissionOf: (reported, prompt) => reported === prompt,
};
