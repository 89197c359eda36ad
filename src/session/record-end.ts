// The store's side of a session's end, for every way a session ends: `session end` (the agents
// were stopped and their ends recorded), a start that finds the session lost and starts afresh
// (its agents are replaced next), a start that fails after recording a new session (nothing ran in
// it). One rule, read in order: catch up with the status files, close the unfinished tasks with the
// reason, mark the agents still recorded as running exited, forget the recorder, and stamp the
// session's end (the first stamp stays). Each way takes the steps its moment allows.
import type { StoreData } from '../store/types.js';
import { closeOpen } from '../tasks/lifecycle.js';
import { catchUp } from './recover.js';

/** How a session ended. */
export type SessionEnding = 'ended' | 'lost' | 'never-ran';

interface EndSteps {
  catchUp: boolean;
  closeTasks: boolean;
  exitAgents: boolean;
  forgetRecorder: boolean;
}
const STEPS: Record<SessionEnding, EndSteps> = {
  ended: { catchUp: true, closeTasks: true, exitAgents: true, forgetRecorder: true },
  // Its agents are replaced by the new session's; the handover written next shows them as they were.
  lost: { catchUp: true, closeTasks: true, exitAgents: false, forgetRecorder: true },
  // Only the session's record is new: the tasks and the recorder are the earlier session's.
  'never-ran': { catchUp: false, closeTasks: false, exitAgents: false, forgetRecorder: false },
};

/** Records a session's end in the store data (its writer applies it); returns the ids of the tasks it closed. */
export function recordSessionEnd(
  data: StoreData,
  stateDir: string,
  how: SessionEnding,
  at: string,
  why: string,
): string[] {
  const steps = STEPS[how];
  if (steps.catchUp) catchUp(data, stateDir);
  const closed = steps.closeTasks ? closeOpen(data, at, why) : [];
  if (steps.exitAgents) {
    for (const a of Object.values(data.agents)) {
      if (a.status !== 'exited') Object.assign(a, { status: 'exited', reason: why, busy_since: null, updated_at: at });
    }
  }
  if (steps.forgetRecorder) data.recorder = null;
  if (data.session && !data.session.ended_at) data.session.ended_at = at;
  return closed;
}
