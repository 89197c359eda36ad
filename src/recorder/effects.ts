// What the recorder does after the store says so: in tmux, paste a prompt (a delivery, or a retry
// after a look at the screen), or stop a cancelled or timed-out turn; in the state directory, write
// the files of a layout rule's decision on a permission request. A delivery tmux refuses fails its
// task at once; an interrupt is marked done on the agent either way.
import type { Store } from '../store/store.js';
import { isUnreachable } from '../ssh/ssh.js';
import type { TaskEffect } from '../tasks/tasks.js';
import { driverFor } from '../drivers/driver.js';
import { fail, interruptDone, waitForTurn } from '../tasks/lifecycle.js';
import { isNoServer } from '../tmux/command.js';
import { applyLines } from './apply.js';
import { noteLeftovers } from '../workflow/merges.js';
import { writeDecision, type DecisionEffect } from '../approvals/approvals.js';

export interface EffectContext {
  stateDir: string;
  store: Store;
  log: (line: string) => void;
  /** After an interrupt: the agent may take its next task, so the recorder looks again. */
  again: () => void;
  /** A pane went away: the recorder looks at tmux (dead panes, a lost session) soon. */
  look: () => void;
  /** An agent's host did not answer during an effect: the recorder's link to it finds out and records it. */
  hostSilent: (host: string, reason: string) => void;
}

/** Performs effects concurrently (each on its own agent). */
export async function performEffects(ctx: EffectContext, effects: readonly TaskEffect[]): Promise<void> {
  const { stateDir, store, log } = ctx;
  await Promise.all(
    effects.map(async (effect) => {
      const agent = store.data.agents[effect.agent];
      const task = store.data.tasks?.[effect.task];
      if (!agent || !task) return;
      const { transport, place } = driverFor(agent);
      const server = place.server(store.data);
      try {
        if (effect.kind === 'deliver') {
          if (effect.attempt === 1) await noteLeftovers(store, agent, task, log);
          await transport.deliver(server, stateDir, agent, task);
        } else if (effect.kind === 'resubmit') {
          const found = await transport.resubmit(server, stateDir, agent, task);
          log(`resubmit ${task.id}: ${found}`);
          // Still in a turn: the paste waits in Claude's queue; this look does not use up an attempt.
          if (found === 'waiting' && transport.name === 'pane') {
            await store.mutate((data) => {
              const t = data.tasks?.[task.id];
              if (t?.state === 'delivering') waitForTurn(t, Date.now());
            });
          }
        } else {
          const stopped = await transport.cancel(server, stateDir, agent, task.id, log).catch((error: Error) => {
            log(`interrupt ${task.id} -> ${agent.name}: ${error.message}`);
            return false;
          });
          if (!stopped) log(`${agent.name}: its turn did not stop after Escape; attach to its pane to look`);
          // Done either way: the agent may take tasks again (a turn that did not stop keeps it busy).
          await store.mutate((data) => {
            if (stopped)
              applyLines(
                data,
                agent.name,
                [{ at: Date.now(), event: { hook_event_name: 'Interrupted', task: task.id } }],
                log,
              );
            const a = data.agents[agent.name];
            if (a) interruptDone(a, task.id);
          });
          ctx.again();
        }
        log(
          `${effect.kind} ${task.id} -> ${agent.name}${effect.kind === 'interrupt' ? '' : ` (attempt ${effect.attempt})`}`,
        );
      } catch (error) {
        const message = (error as Error).message;
        log(`${effect.kind} ${task.id} -> ${agent.name} failed: ${message}`);
        // A host that does not answer is no verdict on the task: it waits (a delivery is looked at again once the host answers).
        if (isUnreachable(error)) {
          ctx.hostSilent(error.host, error.detail);
          return;
        }
        if (effect.kind === 'interrupt') return;
        // A pane (or server) that went away under the delivery is the agent's death, recorded as
        // such: the task is cut short and waits for the agent, which takes nothing meanwhile, and tmux
        // is looked at (a whole server gone is a lost session). Any other refusal fails the task.
        const paneGone = isNoServer(error) || /can't find pane/i.test(message);
        await store.mutate((data) => {
          const t = data.tasks?.[effect.task];
          if (t?.state !== 'delivering') return;
          if (paneGone)
            applyLines(
              data,
              agent.name,
              [
                {
                  at: Date.now(),
                  event: { hook_event_name: 'PaneDied', reason: `its pane went away during a delivery (${message})` },
                },
              ],
              log,
            );
          else fail(data, t, Date.now(), `could not deliver to ${agent.name}: ${message}`);
        });
        if (paneGone) ctx.look();
      }
    }),
  );
}

/**
 * Writes the decision files of rule decisions the store holds (a claim someone made first stays),
 * then looks again: the next pass settles each request from its claim. One that cannot be written
 * is tried again by a later pass (the request stays pending, so its decision is derived again).
 */
export function performDecisions(ctx: EffectContext, decisions: readonly DecisionEffect[]): void {
  let written = 0;
  for (const d of decisions) {
    try {
      writeDecision(ctx.stateDir, d.agent, d.id, d.decision);
      written++;
    } catch (error) {
      ctx.log(`${d.agent}: the rule's decision on ${d.id} could not be written: ${(error as Error).message}`);
    }
  }
  if (written) ctx.again();
}
