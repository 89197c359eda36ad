// The agents' work, watched by the recorder: after each turn of an agent with a worktree (and every
// 30 s, for commits made by hand), what each worktree holds against its base and the conflicts
// between them, found before any merge; and workflow tasks with merge: true merged one at a time
// once their try is done, after which the run moves on.
import type { Store } from '../store/store.js';
import type { WorktreeState } from '../store/types.js';
import { coalescing } from '../util/coalesce.js';
import { describeConflict, findConflicts, lookAtWorktree, type MergeCache } from '../worktrees/look.js';
import { mergeDone, mergesDue } from '../workflow/runs.js';
import { mergeRunTask } from '../workflow/merges.js';

/** Whether the recorder still records (not stopped) and its session is still there (not lost). */
export interface RecorderLife {
  stopped: boolean;
  lost: boolean;
}

export class WorkWatch {
  private readonly mergeCache: MergeCache = new Map();
  private turnsSeen = '';
  /** Looks at every worktree now (one look at a time). */
  readonly look: () => Promise<void>;
  /** Merges what is due (one merge at a time), then makes a pass and looks at the worktrees. */
  readonly mergeRuns: () => Promise<void>;

  constructor(
    private readonly store: Store,
    private readonly life: RecorderLife,
    private readonly log: (line: string) => void,
    drain: () => Promise<void>,
  ) {
    this.look = coalescing(() => this.lookNow());
    this.mergeRuns = coalescing(async () => {
      for (const due of mergesDue(store.data)) {
        if (life.stopped) return;
        const outcome = await mergeRunTask(store.data, due);
        log(`run ${due.run}: ${due.task} ${outcome.ok ? 'merged' : 'not merged'}: ${outcome.text}`);
        await store.mutate((data) => mergeDone(data, due.run, due.task, outcome, Date.now()));
      }
      void drain();
      void this.look();
    });
  }

  /** After a pass: a look when an agent with a worktree finished a turn (or its setup moved on), merges when due. */
  afterPass(): void {
    const turns = Object.values(this.store.data.agents)
      .filter((a) => a.worktree)
      .map((a) => `${a.name}:${a.turns ?? 0}:${a.worktree!.setup}`)
      .join(',');
    if (turns !== this.turnsSeen) {
      this.turnsSeen = turns;
      void this.look();
    }
    if (mergesDue(this.store.data).length) void this.mergeRuns();
  }

  private async lookNow(): Promise<void> {
    const agents = Object.values(this.store.data.agents).filter((a) => a.worktree);
    if (this.life.stopped || this.life.lost || !agents.length) return;
    try {
      const states: Record<string, WorktreeState> = {};
      for (const a of agents) {
        const state = await lookAtWorktree(a).catch((error: Error) => {
          this.log(`${a.name}: cannot look at its worktree: ${error.message}`);
          return undefined;
        });
        if (state) states[a.name] = state;
      }
      const conflicts = await findConflicts(agents, states, this.mergeCache);
      const before = new Set((this.store.data.worktrees?.conflicts ?? []).map(describeConflict));
      for (const c of conflicts) if (!before.has(describeConflict(c))) this.log(`conflict: ${describeConflict(c)}`);
      await this.store.mutate((data) => {
        data.worktrees = { agents: states, conflicts, checked_at: new Date().toISOString() };
      });
    } catch (error) {
      this.log(`error while looking at the worktrees: ${(error as Error).stack ?? String(error)}`);
    }
  }
}
