// Effects run beside the recorder's passes, not inside them: a delivery waits for Claude to show its
// paste (tens of ms, more on a loaded machine), and another agent's Stop must not wait for that. An
// agent's own effects still run one after another, in the order its passes made them.
import type { TaskEffect } from '../tasks/tasks.js';
import { performEffects, type EffectContext } from './effects.js';

export class EffectQueue {
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly ctx: EffectContext) {}

  /** Queues each effect after the earlier ones of its agent. */
  perform(effects: readonly TaskEffect[]): void {
    for (const effect of effects) {
      const chain = (this.chains.get(effect.agent) ?? Promise.resolve())
        .then(() => performEffects(this.ctx, [effect]))
        .catch((error: Error) => this.ctx.log(`error in an effect: ${error.stack ?? error.message}`));
      this.chains.set(effect.agent, chain);
      void chain.then(() => {
        if (this.chains.get(effect.agent) === chain) this.chains.delete(effect.agent);
      });
    }
  }

  /** Resolves once every queued effect is done. */
  done(): Promise<unknown> {
    return Promise.all([...this.chains.values()]);
  }
}
