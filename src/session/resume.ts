// What ./start.mts does about an earlier session in the same state directory: bring back one
// whose tmux session was lost (--resume, or proposed), close the books of one started afresh
// instead, and pick the handover the lead starts with. Runs before the new session's panes start
// and before its recorder does, so the starter is the store's only writer here.
// What only a lost session or a handover needs (recovery, handovers, process tables) is imported
// when it is needed: a plain start loads none of it.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { agentFiles, handoversDir } from '../store/paths.js';
import type { Layout } from '../layout/types.js';
import { OrchestratorError } from '../core/errors.js';
import { Store } from '../store/store.js';
import { inspectStore } from '../store/state-dir.js';
import type { AgentRecord, SessionRecord, StoreData } from '../store/types.js';
import { Server } from '../tmux/objects.js';
import { quoteArgv } from '../util/shell-quote.js';

export interface StartDecision {
  resume: boolean;
  /** Each agent's Claude session id to keep (resume). */
  sessionIds?: Record<string, string>;
  /** The handover the lead starts with. */
  handover?: { file: string; text: string };
}

export interface PrepareOptions {
  layout: Layout;
  stateDir: string;
  resume: boolean;
  restart: boolean;
  /** Asks a yes/no question on the terminal (undefined: no terminal). */
  ask?: (question: string) => Promise<boolean>;
  out: (line: string) => void;
}

/** The store of an earlier session in this state directory, if there is one (a damaged one was dealt with before). */
export function readEarlier(stateDir: string): StoreData | undefined {
  const found = inspectStore(stateDir);
  return found.state === 'ok' && found.data.session ? found.data : undefined;
}

/** The socket --resume uses when none is given: the lost session's own. */
export function earlierSocket(stateDir: string): string | undefined {
  return readEarlier(stateDir)?.session?.socket ?? undefined;
}

/** A session not ended whose tmux session is gone from its server. */
async function isLost(data: StoreData | undefined, layout: Layout): Promise<boolean> {
  const s = data?.session;
  if (!s || s.ended_at || s.name !== layout.session) return false;
  return !(await Server.of(s.socket).findSession(s.name));
}

/** Decides between resuming and starting afresh, and records what that means for the earlier session. */
export async function prepareStart(opts: PrepareOptions): Promise<StartDecision> {
  const { layout, stateDir, out } = opts;
  const data = readEarlier(stateDir);
  const s = data?.session;
  const lost = await isLost(data, layout);
  let resume = false;
  if (opts.resume) {
    if (!lost) {
      throw new OrchestratorError(
        !s
          ? `nothing to resume: no session is recorded in ${stateDir}`
          : s.ended_at
            ? `nothing to resume: session "${s.name}" was ended at ${s.ended_at}; start it again without --resume (its lead gets the handover)`
            : `nothing to resume: session "${s.name}" is not from this layout (${s.layout_file})`,
      );
    }
    resume = true;
  } else if (lost && !opts.restart && (await import('./recover.js')).worthResuming(data!)) {
    const what = `Session "${s!.name}" was not ended and its tmux session is gone (tmux server killed or machine restarted).`;
    if (opts.ask) {
      resume = await opts.ask(`${what}\nResume it, every agent with its own conversation? [Y/n] `);
    } else {
      const { resumeArgv } = await import('./liveness.js');
      throw new OrchestratorError(
        `${what} Nothing was started.\nTo bring every agent back with its own conversation:\n  ${quoteArgv(resumeArgv(layout.file, s!.socket, stateDir))}\nTo start afresh instead (its unfinished tasks are closed), run the same with --restart in place of --resume.`,
      );
    }
  }
  if (!lost) return { resume: false, ...(await handoverFor(stateDir, layout)) };

  const [
    { stopOldRecorder },
    { catchUp, localAgents, recoverTasks, transcriptPath, worthResuming },
    { hasConversation },
    { writeHandover },
    { recordSessionEnd },
  ] = await Promise.all([
    import('./processes.js'),
    import('./recover.js'),
    import('../agents/claude-files.js'),
    import('../handover/files.js'),
    import('./record-end.js'),
  ]);
  await stopOldRecorder(data!, stateDir);
  const store = await Store.open(stateDir);
  const at = new Date().toISOString();
  if (resume) {
    let lines: string[] = [];
    await store.mutate((d) => {
      catchUp(d, stateDir);
      lines = recoverTasks(d, layout.onRecover, at, "its session's tmux session was lost", localAgents(d));
    });
    for (const line of lines) out(line);
    for (const a of Object.values(store.data.agents)) {
      out(
        `${a.name}: ${hasConversation(transcriptPath(a)) ? `resumes its conversation (claude --resume ${a.session_id})` : `had no conversation yet; starts afresh with the same session id ${a.session_id}`}`,
      );
    }
    const file = store.data.session?.handover;
    const handover = file && existsSync(file) ? { file, text: readFileSync(file, 'utf8') } : undefined;
    return {
      resume: true,
      sessionIds: Object.fromEntries(Object.values(store.data.agents).map((a) => [a.name, a.session_id])),
      ...(handover ? { handover } : {}),
    };
  }
  const worth = worthResuming(store.data);
  await store.mutate((d) => {
    recordSessionEnd(d, stateDir, 'lost', at, 'the session was lost and started afresh');
  });
  if (worth)
    out(
      `The earlier session "${s!.name}" was lost and is started afresh; its handover: ${(await writeHandover({ stateDir, by: './start.mts (the earlier session was lost)' })).file}`,
    );
  return { resume: false, ...(await handoverFor(stateDir, layout)) };
}

/** Whether the state directory holds any handover (so that their module is loaded only then). */
function hasHandovers(stateDir: string): boolean {
  try {
    return readdirSync(handoversDir(stateDir)).some((n) => n.endsWith('.md'));
  } catch {
    return false;
  }
}

async function handoverFor(stateDir: string, layout: Layout): Promise<Pick<StartDecision, 'handover'>> {
  if (!hasHandovers(stateDir)) return {};
  const handover = (await import('../handover/files.js')).latestHandover(stateDir, layout.file);
  return handover ? { handover } : {};
}

/**
 * Gives the lead the handover as context: appended to its system prompt, after the text it has from
 * the layout. claude 2.1.197 refuses --append-system-prompt together with --append-system-prompt-file,
 * so all of it goes into one file (which also keeps a long handover out of argv and the launch script).
 * Returns the lead's name.
 */
export async function giveLeadHandover(
  layout: Layout,
  stateDir: string,
  handover: { file: string; text: string },
): Promise<string | undefined> {
  const lead = layout.agents.find((a) => a.role === 'lead');
  if (!lead) return undefined;
  const { handoverContext } = await import('../handover/files.js');
  const own = lead.appendSystemPromptFile ? readFileSync(lead.appendSystemPromptFile, 'utf8') : lead.appendSystemPrompt;
  const file = agentFiles(stateDir, lead.name).systemPrompt;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, [own, handoverContext(handover)].filter(Boolean).join('\n\n'));
  delete lead.appendSystemPrompt;
  lead.appendSystemPromptFile = file;
  return lead.name;
}

/**
 * The store of a resumed session: the new tmux ids, every agent's history kept (cost, turns, last
 * answer, session id) and its state starting again; tasks, events and cursors stay as they are.
 */
export function recordResumed(
  data: StoreData,
  session: SessionRecord,
  agents: AgentRecord[],
  at: string,
  stillRunning: ReadonlySet<string> = new Set(),
): void {
  const old = data.session;
  data.session = {
    ...session,
    created_at: old?.created_at ?? session.created_at,
    handover: old?.handover ?? session.handover ?? null,
    resumed_at: [...(old?.resumed_at ?? []), at],
  };
  data.agents = Object.fromEntries(
    agents.map((a) => {
      const prev = data.agents[a.name];
      // An agent on another host that kept running while this machine's session was gone keeps its state and task.
      if (prev && stillRunning.has(a.name))
        return [a.name, { ...prev, pane: a.pane, window: a.window, view_pane: a.view_pane ?? null }];
      const kept = prev
        ? { ...prev, ...a, cost_usd: prev.cost_usd, last_result: prev.last_result, task: prev.task }
        : a;
      return [
        a.name,
        {
          ...kept,
          reason: `resuming (claude --resume ${a.session_id})`,
          task_id: null,
          exit_code: null,
          busy_since: null,
        },
      ];
    }),
  );
  data.recorder = null;
}
