// How an agent takes work. A pane transport pastes into the agent's tmux pane and presses keys
// there (src/delivery/deliver.ts); a headless one writes prompt and cancel files that its runner
// (src/headless/runner.ts) picks up. The recorder's effects ask the agent's transport, never its mode.
import { mkdirSync, writeFileSync } from 'node:fs';
import type { Server } from '../tmux/objects.js';
import type { AgentRecord, TaskRecord } from '../store/types.js';
import { cancelRequestFile, promptsDir } from '../store/paths.js';
import { enqueuePrompt } from '../headless/queue.js';
import { promptToSend } from '../tasks/tasks.js';
import { deliver, press, resubmit, stopTurn } from '../delivery/deliver.js';
import type { AgentKind } from './kind.js';

/** What a transport must provide. */
export interface Transport {
  readonly name: 'pane' | 'headless';
  /** Gives the task's prompt to the agent (its confirmation is the turn-started event). */
  deliver(server: Server, stateDir: string, agent: AgentRecord, task: TaskRecord): Promise<void>;
  /** A delivery not confirmed in time: what was found, and what was done about it. */
  resubmit(server: Server, stateDir: string, agent: AgentRecord, task: TaskRecord): Promise<'waiting' | 'enter' | 'pasted'>;
  /** Interrupts the agent's running turn once. */
  interrupt(server: Server, stateDir: string, agent: AgentRecord, taskId: string): Promise<void>;
  /** Stops the turn of a cancelled or timed-out task and leaves the agent ready; whether it stopped. */
  cancel(server: Server, stateDir: string, agent: AgentRecord, taskId: string, log: (line: string) => void): Promise<boolean>;
  /** The kind's exit command when the agent can be told to exit by typing it now (at its prompt), else undefined. */
  exitCommand(kind: Pick<AgentKind, 'exitCommand'>, agent: Pick<AgentRecord, 'status'>): string | undefined;
}

/** States in which an agent in a pane shows its prompt box (an error leaves it at the prompt too). */
const AT_PROMPT: ReadonlySet<string> = new Set(['idle', 'busy', 'error']);

/** An agent in a tmux pane, its prompt pasted into the CLI's box. */
export const paneTransport: Transport = {
  name: 'pane',
  deliver,
  resubmit,
  interrupt: (server, _stateDir, agent) => press(server, agent, 'Escape'),
  cancel: stopTurn,
  exitCommand: (kind, agent) => (AT_PROMPT.has(agent.status) ? kind.exitCommand : undefined),
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
  deliver: async (_server, stateDir, agent, task) => { enqueuePrompt(promptsDir(stateDir, agent.name), task.seq, task.id, promptToSend(task, agent)); },
  // Its runner confirms by itself once its claude takes the prompt: nothing to look at.
  resubmit: async () => 'waiting',
  interrupt: async (_server, stateDir, agent, taskId) => writeCancel(stateDir, agent, taskId),
  cancel: async (_server, stateDir, agent, taskId) => { writeCancel(stateDir, agent, taskId); return true; },
  // Its runner has no prompt to type into: it ends on SIGTERM.
  exitCommand: () => undefined,
};
