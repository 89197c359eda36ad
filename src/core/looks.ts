// How states and money read in every view (tmux status line and borders, status tables, the
// dashboard page), defined once. The browser gets these values from the server (src/dashboard/
// server.ts hands them to the page's script), so no copy is written there.

/** The states of an agent, in every view. */
export const AGENT_STATES = [
  'starting',
  'idle',
  'busy',
  'waiting',
  'limited',
  'unreachable',
  'error',
  'exited',
] as const;
export type AgentStatus = (typeof AGENT_STATES)[number];

/**
 * How each agent state looks: a symbol (distinct in shape, not only in colour), a tmux colour, and
 * the text colour that reads on it (the status line shows each agent as a badge in its colour).
 */
export const STATE_LOOK: Record<AgentStatus, { symbol: string; colour: string; text: string }> = {
  starting: { symbol: '…', colour: 'cyan', text: 'black' },
  idle: { symbol: '●', colour: 'green', text: 'black' },
  busy: { symbol: '▶', colour: 'yellow', text: 'black' },
  waiting: { symbol: '?', colour: 'magenta', text: 'black' },
  limited: { symbol: '⏸', colour: 'blue', text: 'white' },
  // Its host does not answer: the agent may well be working on; its state catches up when the host answers.
  unreachable: { symbol: '⌁', colour: 'colour208', text: 'black' },
  error: { symbol: '✗', colour: 'red', text: 'white' },
  exited: { symbol: '○', colour: 'brightblack', text: 'white' },
};

/** The look of a state, with a neutral one for a state this version does not know. */
export const lookOf = (status: string): { symbol: string; colour: string; text: string } =>
  STATE_LOOK[status as AgentStatus] ?? { symbol: '·', colour: 'default', text: 'default' };

/**
 * US dollars as every view shows them. Self-contained (no outside names), because the dashboard's
 * page gets this very function's source.
 */
export function formatUsd(n: number): string {
  return `$${(Number.isFinite(n) ? n : 0).toFixed(4)}`;
}
