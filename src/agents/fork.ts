// The part of a launch script that starts an agent from another agent's conversation (fork_from):
// claude --resume <parent's session id> --fork-session --session-id <its own id>. A conversation
// can be resumed only once its transcript holds it, that is after the parent's first turn: when
// the parent has a first prompt of its own, the fork waits for the parent's first answer and for
// that answer to reach the transcript (claude writes it a moment after its Stop hook); when there is
// still no conversation, the fork starts fresh and says so in its pane and launch.log. (The
// launch script defines conversation() and set_aside().)
import { quote } from '../util/shell-quote.js';

/** The agent a fork starts from. */
export interface ForkSource {
  name: string;
  /** The parent's Claude session id in this session. */
  sessionId: string;
  /** The parent's status file (its hooks' events). */
  statusFile: string;
  /** The parent has a first prompt: wait for its first answer before forking. */
  waitForFirstAnswer: boolean;
  /** The parent's working directory, when it is not the fork's (each in its own worktree). */
  cwd?: string;
}

/** How long a fork waits for its parent's first answer before it starts fresh (seconds). */
export const FORK_WAIT_S = 900;
/** How long, after that answer, it waits for the answer to be in the parent's transcript (seconds). */
export const FORK_TRANSCRIPT_WAIT_S = 10;

/**
 * Shell lines that define run() for a fork. `again` resumes the fork's own conversation (a restart),
 * `fork` branches the parent's, `fresh` starts an empty one. `transcript` and `resumed` are the
 * launch script's; `parentTranscript` is the parent's transcript path as a shell word.
 */
export function forkScript(
  agent: string,
  parent: ForkSource,
  parentTranscript: string,
  logFile: string,
  cmd: { again: string; fork: string; fresh: string },
  ownProjectDir?: string,
): string[] {
  const lines = [
    `parent_transcript=${parentTranscript}`,
    `note() { printf 'orchestrator: %s\\n' "$1"; printf '%s %s\\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" >> ${quote(logFile)}; }`,
  ];
  if (parent.waitForFirstAnswer) {
    lines.push(
      `parent_status=${quote(parent.statusFile)}`,
      // The parent's first answer is a Stop (or StopFailure) hook event of its session.
      `first_answer() { grep -F '"session_id":"${parent.sessionId}"' "$parent_status" 2>/dev/null | grep -Eq '"hook_event_name": ?"Stop(Failure)?"'; }`,
      'if ! first_answer; then',
      `  note ${quote(`waiting for ${parent.name}'s first answer, to start from its conversation (fork_from: ${parent.name})`)}`,
      '  size0=$({ wc -c < "$parent_status"; } 2>/dev/null || echo 0); waited=0',
      // ... or for the parent's claude to exit (our launch script records ProcessExit), or the limit.
      `  until first_answer || tail -c +$((size0 + 1)) "$parent_status" 2>/dev/null | grep -q '"ProcessExit"' || [ "$waited" -ge ${FORK_WAIT_S * 2} ]; do sleep 0.5; waited=$((waited + 1)); done`,
      'fi',
      // claude writes the turn to its transcript a moment after its Stop hook: wait for it (10 s at most).
      `waited=0; until conversation "$parent_transcript" || [ "$waited" -ge ${FORK_TRANSCRIPT_WAIT_S * 10} ]; do sleep 0.1; waited=$((waited + 1)); done`,
    );
  }
  const forking = quote(
    `starting ${agent} from ${parent.name}'s conversation (fork_from: ${parent.name}, session ${parent.sessionId})`,
  );
  const fresh = quote(
    `fork_from ${parent.name}: ${parent.name} has no conversation yet (its transcript appears with its first prompt); starting ${agent} fresh`,
  );
  lines.push(
    'run() {',
    `  if [ "$resumed" = 1 ] && conversation "$transcript"; then ${cmd.again}`,
    // In another directory (its own worktree), claude finds the parent's conversation only among
    // its own directory's transcripts: a copy goes there first (the parent's file is not touched).
    `  elif conversation "$parent_transcript"; then set_aside; note ${forking};${ownProjectDir ? ` mkdir -p ${ownProjectDir} && cp "$parent_transcript" ${ownProjectDir}/${parent.sessionId}.jsonl;` : ''} ${cmd.fork}`,
    `  else set_aside; note ${fresh}; ${cmd.fresh}; fi`,
    '}',
  );
  return lines;
}
