// Bringing a session back after its tmux session was lost (tmux server killed, machine rebooted);
// closing the books of one that will not be brought back is session/record-end.ts's. These run while no recorder does
// (the starter and `session end` are then the store's only writer), as pure changes to the store
// data where possible.
import type { AgentRecord, StoreData } from '../store/types.js';
import { hasConversation, transcriptFile } from '../agents/claude-files.js';
import { recordNewLines } from '../recorder/apply.js';
import { cutShort, cutShortPending, interrupt, isFinal } from '../tasks/lifecycle.js';

export const RECOVER_POLICIES = ['requeue', 'report'] as const;
export type RecoverPolicy = (typeof RECOVER_POLICIES)[number];

/**
 * Records what the agents' status files say beyond the store's cursors (events written after the
 * recorder stopped or died: a last Stop, SessionEnd, the launch script's ProcessExit), exactly as
 * the recorder would. Returns how many lines were read.
 */
export function catchUp(data: StoreData, stateDir: string, log: (line: string) => void = () => {}): number {
  return recordNewLines(data, stateDir, Object.keys(data.agents), log);
}

/** Claude's transcript of an agent's conversation (the file --resume needs). */
export function transcriptPath(
  agent: Pick<AgentRecord, 'cwd' | 'session_id' | 'transcript_path'>,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return agent.transcript_path ?? transcriptFile(agent.cwd, agent.session_id, env);
}

/** Whether a lost session holds anything worth bringing back: a conversation or an unfinished task. */
export function worthResuming(data: StoreData, env: NodeJS.ProcessEnv = process.env): boolean {
  const conversation = Object.values(data.agents).some((a) => hasConversation(transcriptPath(a, env)));
  return conversation || Object.values(data.tasks ?? {}).some((t) => !isFinal(t));
}

/** The agents a lost session took with it: those on other hosts live on in their tmux servers there (./start.mts --resume finds which). */
export const localAgents = (data: StoreData): Set<string> =>
  new Set(
    Object.values(data.agents)
      .filter((a) => !a.host)
      .map((a) => a.name),
  );

/**
 * After a loss: every task that was being delivered or running was cut short, whatever order the
 * last events arrived in (one whose agent's SessionEnd was recorded first is already back in the
 * queue, its interruption pending). With `requeue` each stays queued under the same id (whoever
 * waits for it gets its result; a workflow spends no retry); with `report` it ends as interrupted.
 * A cancel that was asked for ends it as cancelled. Returns one line per task changed.
 */
export function recoverTasks(
  data: StoreData,
  policy: RecoverPolicy,
  at: string,
  why: string,
  agents: ReadonlySet<string> = new Set(Object.keys(data.agents)),
): string[] {
  const lines: string[] = [];
  for (const task of Object.values(data.tasks ?? {}).sort((a, b) => a.seq - b.seq)) {
    if (task.agent && !agents.has(task.agent)) continue;
    if (task.state === 'delivering' || task.state === 'running') {
      if (cutShort(data, task, at, why) !== 'queued') {
        lines.push(`task ${task.id} ${task.state} (${task.error})`);
        continue;
      }
    } else if (cutShortPending(task)) {
      // Its agent reported its end before the loss was known: the loss is why.
      const last = task.interruptions!.at(-1)!;
      if (!last.reason.startsWith(why)) last.reason = `${why}: ${last.reason}`;
    } else {
      continue;
    }
    const reason = task.interruptions!.at(-1)!.reason;
    if (policy === 'report') {
      interrupt(data, task, at, reason);
      lines.push(`task ${task.id} interrupted (${reason}); not run again (on_recover: report)`);
    } else {
      lines.push(`task ${task.id} interrupted (${reason}) and queued again (on_recover: requeue)`);
    }
  }
  for (const a of Object.values(data.agents))
    if (agents.has(a.name)) {
      a.task_id = null;
      a.interrupting = null;
    }
  return lines;
}
