// Bringing a session back after its tmux session was lost (tmux server killed, machine rebooted),
// and closing the books of one that will not be brought back. These run while no recorder does
// (the starter and `session end` are then the store's only writer), as pure changes to the store
// data where possible.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import type { AgentRecord, StoreData, TaskRecord } from '../store/types.js';
import { agentDir, projectKey } from '../agents/launch.js';
import { statusFile } from '../agents/hooks.js';
import { readNewLines } from '../recorder/status-lines.js';
import { applyLines } from '../recorder/recorder.js';
import { isFinal } from '../tasks/tasks.js';

export const RECOVER_POLICIES = ['requeue', 'report'] as const;
export type RecoverPolicy = (typeof RECOVER_POLICIES)[number];

/**
 * Records what the agents' status files say beyond the store's cursors (events written after the
 * recorder stopped or died: a last Stop, SessionEnd, the launch script's ProcessExit), exactly as
 * the recorder would. Returns how many lines were applied.
 */
export function catchUp(data: StoreData, stateDir: string, log: (line: string) => void = () => {}): number {
  let applied = 0;
  data.cursors ??= {};
  for (const name of Object.keys(data.agents)) {
    const cursor = data.cursors[name] ?? 0;
    const { lines, next } = readNewLines(statusFile(agentDir(stateDir, name)), cursor);
    if (next === cursor) continue;
    data.cursors[name] = next;
    applied += applyLines(data, name, lines, log);
  }
  return applied;
}

/** Claude's transcript of an agent's conversation (the file --resume needs). */
export function transcriptPath(agent: Pick<AgentRecord, 'cwd' | 'session_id' | 'transcript_path'>, env: NodeJS.ProcessEnv = process.env): string {
  if (agent.transcript_path) return agent.transcript_path;
  const config = env.CLAUDE_CONFIG_DIR || join(env.HOME || homedir(), '.claude');
  return join(config, 'projects', projectKey(agent.cwd), `${agent.session_id}.jsonl`);
}

/** Whether a lost session holds anything worth bringing back: a conversation or an unfinished task. */
export function worthResuming(data: StoreData, env: NodeJS.ProcessEnv = process.env): boolean {
  const conversation = Object.values(data.agents).some((a) => existsSync(transcriptPath(a, env)));
  return conversation || Object.values(data.tasks ?? {}).some((t) => !isFinal(t));
}

const releaseAll = (data: StoreData): void => { for (const a of Object.values(data.agents)) a.task_id = null; };

/**
 * After a loss: tasks being delivered or running were cut short. With `requeue` each goes back to
 * the queue (same id, so whoever waits for it gets its result), its interruption noted; with
 * `report` it ends as interrupted. A cancel that was asked for ends it as cancelled. Queued tasks
 * stay queued. Returns one line per task changed.
 */
export function recoverTasks(data: StoreData, policy: RecoverPolicy, at: string, why: string): string[] {
  const lines: string[] = [];
  for (const task of Object.values(data.tasks ?? {}).sort((a, b) => a.seq - b.seq)) {
    if (task.state !== 'delivering' && task.state !== 'running') continue;
    const reason = `${why} while it was ${task.state}${task.agent ? ` on ${task.agent}` : ''}`;
    if (task.cancel_requested) {
      end(task, 'cancelled', at, `cancel asked for; ${reason}`);
      lines.push(`task ${task.id} cancelled (${reason})`);
    } else if (policy === 'report') {
      end(task, 'interrupted', at, reason);
      lines.push(`task ${task.id} interrupted (${reason}); not run again (on_recover: report)`);
    } else {
      (task.interruptions ??= []).push({ at, reason });
      Object.assign(task, { state: 'queued', agent: task.target.agent ?? null, delivered_at: null, started_at: null, attempts: 0 });
      delete task.cost_start;
      lines.push(`task ${task.id} interrupted (${reason}) and queued again (on_recover: requeue)`);
    }
  }
  releaseAll(data);
  return lines;
}

/** A lost session that is started afresh instead: its unfinished tasks end, and so does it. */
export function closeLost(data: StoreData, at: string, why: string): string[] {
  const lines: string[] = [];
  for (const task of Object.values(data.tasks ?? {})) {
    if (isFinal(task)) continue;
    if (task.state === 'queued') end(task, 'cancelled', at, `${why} before it was delivered`);
    else end(task, 'interrupted', at, `${why} while it was ${task.state}`);
    lines.push(`task ${task.id} ${task.state}`);
  }
  releaseAll(data);
  if (data.session && !data.session.ended_at) data.session.ended_at = at;
  data.recorder = null;
  return lines;
}

function end(task: TaskRecord, state: TaskRecord['state'], at: string, error: string): void {
  task.state = state;
  task.ended_at = at;
  task.error = error;
}
