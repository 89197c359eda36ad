// Writing handovers to <state>/handovers/<time>.md and finding the one the next session's lead
// starts with. A handover is built from the store (read, never written: the recorder is its
// writer) plus git; the lead's summary, when asked for, is a task dispatched like any other.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { readStore } from '../store/state-dir.js';
import { cancelTask, dispatchTask, waitForTask } from '../tasks/client.js';
import { Server } from '../tmux/objects.js';
import type { StoreData } from '../store/types.js';
import { gitRepos } from './repos.js';
import { judge } from '../worktrees/cleanup.js';
import { worktreeAgents } from '../worktrees/ops.js';
import { handoverMeta, leadOf, renderHandover, type HandoverInput } from './render.js';
import { handoverFile, handoversDir } from '../store/paths.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { OrchestratorError } from '../core/errors.js';

/** The handovers folder of a state directory. */

/** What the lead is asked for when a handover wants its summary. */
export const SUMMARY_PROMPT =
  'The orchestrator is writing a handover of this session for whoever continues the work. ' +
  'Write a short summary for it in Markdown (at most 300 words): what the team did, what is in progress, what should happen next, ' +
  'and open problems or decisions. Answer with the summary only; do not start new work or dispatch tasks.';

export interface HandoverOptions {
  stateDir: string;
  /** Write here instead of <state>/handovers/<time>.md. */
  out?: string;
  /** Ask the lead (when idle) for a summary, waiting at most summaryTimeoutMs. */
  summary?: boolean;
  summaryTimeoutMs?: number;
  by?: string;
  /** Written by `session end` just before it stops everything. */
  ending?: boolean;
  now?: () => Date;
}

/** Whether the store's session has its tmux session up now. */
export async function sessionRunning(data: StoreData): Promise<boolean> {
  const s = data.session;
  if (!s || s.ended_at) return false;
  const found = await Server.of(s.socket)
    .findSession(s.name)
    .catch(() => undefined);
  return Boolean(found && found.id === s.tmux_id);
}

async function leadSummary(
  stateDir: string,
  data: StoreData,
  running: boolean,
  timeoutMs: number,
): Promise<NonNullable<HandoverInput['summary']>> {
  const lead = leadOf(data.agents);
  if (!lead) return { agent: null, error: 'no agent has the role lead' };
  if (!running) return { agent: lead.name, error: 'the session is not running' };
  if (lead.status !== 'idle' || lead.task_id)
    return {
      agent: lead.name,
      error: `the lead was ${lead.status}${lead.task_id ? ` with task ${lead.task_id}` : ''}, not idle, so it was not asked`,
    };
  let id: string;
  try {
    id = dispatchTask(stateDir, SUMMARY_PROMPT, { agent: lead.name }, { by: 'handover' });
  } catch (error) {
    return { agent: lead.name, error: `could not ask the lead: ${(error as Error).message}` };
  }
  const task = await waitForTask(stateDir, id, timeoutMs);
  if (!task) {
    try {
      cancelTask(stateDir, id);
    } catch {
      /* finished or the recorder is gone */
    }
    return {
      agent: lead.name,
      error: `the lead did not answer within ${Math.round(timeoutMs / 1000)} s (task ${id} was cancelled)`,
    };
  }
  if (task.state !== 'done' || !task.result?.trim())
    return {
      agent: lead.name,
      error: `the lead's summary task ${id} ${task.state}${task.error ? `: ${task.error}` : ''}`,
    };
  return { agent: lead.name, task: id, text: task.result };
}

/** A file name for a handover written at `at`: sorts by time, no characters a file system dislikes. */
export const handoverName = (at: Date): string => `${at.toISOString().replace(/:/g, '-')}.md`;

/** Builds and writes a handover; returns its path and text. */
export async function writeHandover(
  opts: HandoverOptions,
): Promise<{ file: string; text: string; summaryError?: string }> {
  const now = opts.now ?? (() => new Date());
  let data = readStore(opts.stateDir);
  if (!data.session)
    throw new OrchestratorError(
      `no session recorded in ${opts.stateDir}: start one with ./start.mts --state ${opts.stateDir}`,
      2,
    );
  const running = await sessionRunning(data);
  let summary: HandoverInput['summary'];
  if (opts.summary) {
    summary = await leadSummary(opts.stateDir, data, running, opts.summaryTimeoutMs ?? 120_000);
    data = readStore(opts.stateDir);
  }
  const repos = await gitRepos(Object.values(data.agents).map((a) => ({ name: a.name, cwd: a.cwd })));
  const worktrees = await Promise.all(worktreeAgents(data).map((a) => judge(a, opts.stateDir)));
  const at = now();
  const text = renderHandover({
    data,
    stateDir: opts.stateDir,
    now: at,
    running,
    repos,
    worktrees,
    ...(summary ? { summary } : {}),
    exclude: summary && 'task' in summary ? [summary.task] : [],
    ...(opts.by ? { by: opts.by } : {}),
    ending: Boolean(opts.ending),
  });
  const file = opts.out ? resolve(opts.out) : handoverFile(opts.stateDir, handoverName(at));
  writeFileAtomic(file, text);
  return { file, text, ...(summary && 'error' in summary ? { summaryError: summary.error } : {}) };
}

/**
 * The newest handover in a state directory that belongs to this layout (ours name their layout on
 * their first line; a Markdown file someone put there by hand counts too), or undefined.
 */
export function latestHandover(stateDir: string, layoutFile: string): { file: string; text: string } | undefined {
  let names: string[];
  try {
    names = readdirSync(handoversDir(stateDir)).filter((n) => n.endsWith('.md') && !n.startsWith('.'));
  } catch {
    return undefined;
  }
  const files = names
    .map((n) => handoverFile(stateDir, n))
    .flatMap((file) => {
      try {
        const st = statSync(file);
        return st.isFile() ? [{ file, mtime: st.mtimeMs }] : [];
      } catch {
        return [];
      }
    })
    .sort((a, b) => b.mtime - a.mtime || b.file.localeCompare(a.file));
  for (const { file } of files) {
    const text = readFileSync(file, 'utf8');
    const meta = handoverMeta(text);
    if (!meta || resolve(meta.layout) === resolve(layoutFile)) return { file, text };
  }
  return undefined;
}

/** How much of a handover goes into the lead's system prompt (it is sent with every request). */
const MAX_CONTEXT = 60_000;

/** The text appended to the lead's system prompt when it starts with an earlier session's handover. */
export function handoverContext(handover: { file: string; text: string }): string {
  const cut = handover.text.length > MAX_CONTEXT;
  return [
    '# Handover from the previous session of this team',
    '',
    `The previous session of this team ended and left the handover below (file: ${handover.file}). It was built from the orchestrator's records; a section marked as written by the lead is the lead's own words from then. Use it as context for your work: check the current state of the files before relying on it, and do not redo work it lists as done.`,
    '',
    cut
      ? `${handover.text.slice(0, MAX_CONTEXT)}\n\n(The handover is longer; the rest is in ${handover.file}.)`
      : handover.text,
  ].join('\n');
}
