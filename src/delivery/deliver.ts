// Getting a prompt to an agent in a pane (the pane transport, src/drivers/transport.ts): the text
// goes to tmux on stdin (load-buffer -, never through argv or a shell), is pasted as a bracketed
// paste (newlines stay part of the prompt) and submitted with a separate Enter once Claude's box
// shows it: an Enter that arrives before Claude has taken the paste in is lost.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server } from '../tmux/objects.js';
import type { AgentRecord, TaskRecord } from '../store/types.js';
import { interactiveText, promptBoxText } from '../drivers/claude/prompt-box.js';
import { pasteAndSubmitOnHost } from '../hosts/deliver.js';

/** How long a delivery waits for the paste to show in Claude's box before it presses Enter all the same. */
const BOX_WAIT_MS = 3000;
/** Between two looks at the box (a look is one capture-pane). */
const BOX_LOOK_MS = 8;

/** Pastes the task's prompt (as its transport chose it: src/drivers/transport.ts promptToSend) into the agent's box and submits it. */
export async function deliver(server: Server, agent: AgentRecord, task: TaskRecord, prompt: string): Promise<void> {
  // On another host the same steps are made there, in one round trip instead of three or more.
  if (server.host && server.socket)
    return pasteAndSubmitOnHost(
      server.host,
      server.socket,
      agent.pane,
      interactiveText(prompt),
      `orch-${task.id}`,
      BOX_WAIT_MS,
    );
  const pane = server.pane(agent.pane);
  await pane.paste(interactiveText(prompt), { buffer: `orch-${task.id}` });
  // Enter as soon as Claude shows the text (a fixed pause was both too long on an idle machine and
  // too short on a loaded one); an Enter lost anyway is sent again by resubmit.
  await boxShowsText(server, agent, BOX_WAIT_MS);
  await pane.press('Enter');
}

/** Waits until Claude's prompt box holds text (up to timeoutMs); whether it did. */
export async function boxShowsText(server: Server, agent: AgentRecord, timeoutMs: number): Promise<boolean> {
  const pane = server.pane(agent.pane);
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (promptBoxText(await pane.capture().catch(() => ''))) return true;
    if (Date.now() >= until) return false;
    await sleep(BOX_LOOK_MS);
  }
}

/**
 * A retry of a delivery not confirmed in time. The screen says which case it is: a turn running
 * ("esc to interrupt": Claude took the prompt, its hook is late) needs nothing; text in the box
 * lost its Enter; an empty box never got the paste (a recorder killed between recording the
 * delivery and making it), so the prompt is pasted again.
 */
export async function resubmit(
  server: Server,
  agent: AgentRecord,
  task: TaskRecord,
  prompt: string,
): Promise<'waiting' | 'enter' | 'pasted'> {
  const pane = server.pane(agent.pane);
  const screen = await pane.capture();
  if (/esc to interrupt/i.test(screen)) return 'waiting';
  if (promptBoxText(screen)) {
    await pane.press('Enter');
    return 'enter';
  }
  await deliver(server, agent, task, prompt);
  return 'pasted';
}

/** Presses a key in the agent's pane (Escape interrupts Claude's running turn). */
export async function press(server: Server, agent: AgentRecord, key: string): Promise<void> {
  await server.pane(agent.pane).press(key);
}

/**
 * Stops an interactive agent's turn for a cancelled or timed-out task and leaves its box empty:
 * Escape while a turn runs (once more when the first did not stop it), then the interrupted
 * prompt Claude puts back into the box is cleared. A turn that already stopped (an interrupt done
 * again after a recorder restart) only has its box cleared. Returns whether the turn stopped.
 */
export async function stopTurn(
  server: Server,
  _stateDir: string,
  agent: AgentRecord,
  _taskId: string,
  log: (line: string) => void,
): Promise<boolean> {
  let stopped = await turnStopped(server, agent, 0);
  for (let i = 0; i < 2 && !stopped; i++) {
    await press(server, agent, 'Escape');
    stopped = await turnStopped(server, agent);
  }
  if (stopped && !(await clearPromptBox(server, agent)))
    log(`${agent.name}: could not clear the interrupted prompt from its box`);
  return stopped;
}

/**
 * Whether an interactive agent's turn has stopped after an interrupt. Claude fires no hook for an
 * interrupted turn, so this one time the screen is read: its footer says "esc to interrupt" while
 * a turn runs. Waits up to timeoutMs (0: one look).
 */
export async function turnStopped(server: Server, agent: AgentRecord, timeoutMs = 5000): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const screen = await server
      .pane(agent.pane)
      .capture()
      .catch(() => '');
    if (!/esc to interrupt/i.test(screen)) return true;
    if (Date.now() >= until) return false;
    await sleep(150);
  }
}

/**
 * After an interrupt Claude puts the interrupted prompt back into its box; a cancelled task must
 * not linger there (the next paste would join it). Esc twice clears a box that holds text (on an
 * empty box it would open another menu, so the box is read first). Claude puts the text back a
 * moment after the turn stops, later still on a loaded machine, so a box counts as empty only when
 * two looks a little apart both find it empty.
 */
export async function clearPromptBox(server: Server, agent: AgentRecord, settleMs = 250): Promise<boolean> {
  const pane = server.pane(agent.pane);
  let empty = 0;
  for (let looks = 0; looks < 8; looks++) {
    const text = promptBoxText(await pane.capture().catch(() => ''));
    if (!text) {
      if (++empty >= 2) return true;
      await sleep(settleMs);
      continue;
    }
    empty = 0;
    await pane.press('Escape');
    await sleep(150);
    await pane.press('Escape');
    await sleep(250);
  }
  return false;
}
