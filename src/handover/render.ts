// A handover: what a session leaves for the next one, as Markdown, built only from the store and
// the file system (git), so nothing in it is invented. The lead's own summary, when asked for, is
// the one part an agent wrote, and it is marked as such.
import { join } from 'node:path';
import type { AgentRecord, StoreData, TaskRecord } from '../store/types.js';
import { quote, quoteArgv } from '../util/shell-quote.js';
import { toolkitRoot } from '../util/paths.js';
import type { RepoInfo } from './repos.js';
import type { Verdict } from '../worktrees/cleanup.js';
import { oneLine } from '../util/text.js';
import { formatUsd } from '../core/looks.js';
import { OrchestratorError } from '../core/errors.js';
import { archiveFile, storeFile } from '../store/paths.js';

export interface HandoverInput {
  data: StoreData;
  stateDir: string;
  now: Date;
  /** Whether the session's tmux session is up right now. */
  running: boolean;
  repos: RepoInfo[];
  /** Each agent's worktree: what it holds and whether it goes (session end removes what is safe). */
  worktrees?: Verdict[];
  /** The lead's summary, or why there is none (only when one was asked for). */
  summary?: { agent: string; task: string; text: string } | { agent: string | null; error: string };
  /** Tasks not to list (the summary's own task). */
  exclude?: string[];
  /** Who wrote it, e.g. "orchestrate session end". */
  by?: string;
  /** Written by `session end` just before it stops everything: resume means start again. */
  ending?: boolean;
}

/** The first line of every handover: what it is about, for tools (start picks the lead's context by it). */
export const HANDOVER_MARK = '<!-- claude-orchestrator handover ';
export interface HandoverMeta {
  session: string;
  layout: string;
  state_dir: string;
  written_at: string;
}

const MAX_PROMPT = 200;
const MAX_RESULT = 600;
const MAX_CHANGES = 30;

/** Inline code that survives backticks in the text. */
const code = (s: string): string => (s.includes('`') ? `\`\` ${s} \`\`` : `\`${s}\``);
const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const usd = (n: number | undefined): string => formatUsd(n ?? 0);
const seconds = (t: TaskRecord): string => {
  if (!t.started_at) return '';
  const end = t.ended_at ? Date.parse(t.ended_at) : NaN;
  return Number.isFinite(end)
    ? `${Math.round((end - Date.parse(t.started_at)) / 100) / 10} s`
    : `since ${t.started_at}`;
};

function taskLine(t: TaskRecord, detail: string | null): string {
  const who = t.agent ?? (t.target.role ? `role ${t.target.role}` : 'any agent');
  const facts = [
    who,
    seconds(t),
    t.cost_usd ? usd(t.cost_usd) : '',
    t.run ? `workflow run ${t.run}${t.run_task ? ` task ${t.run_task}` : ''}` : '',
  ]
    .filter(Boolean)
    .join(', ');
  const lines = [`- ${code(t.id)} (${facts}): ${oneLine(t.prompt, MAX_PROMPT)}`];
  if (detail) lines.push(`  - ${detail}`);
  for (const i of t.interruptions ?? []) lines.push(`  - interrupted at ${i.at}: ${oneLine(i.reason, 300)}`);
  return lines.join('\n');
}

const TASK_GROUPS: { title: string; states: TaskRecord['state'][]; detail: (t: TaskRecord) => string | null }[] = [
  { title: 'Done', states: ['done'], detail: (t) => `result: ${oneLine(t.result, MAX_RESULT) || '(no text)'}` },
  {
    title: 'Running',
    states: ['running', 'delivering'],
    detail: (t) => (t.state === 'delivering' ? 'being delivered (not yet confirmed by the agent)' : null),
  },
  { title: 'Queued', states: ['queued'], detail: (t) => (t.agent ? `waiting for ${t.agent}` : null) },
  { title: 'Failed', states: ['failed'], detail: (t) => `reason: ${oneLine(t.error, MAX_RESULT) || 'none recorded'}` },
  {
    title: 'Interrupted',
    states: ['interrupted'],
    detail: (t) => `reason: ${oneLine(t.error, MAX_RESULT) || 'none recorded'}`,
  },
  {
    title: 'Cancelled',
    states: ['cancelled'],
    detail: (t) => `reason: ${oneLine(t.error, MAX_RESULT) || 'none recorded'}`,
  },
];

/** A workflow run as far as a handover needs it; tolerant of runs written by other versions. */
interface RunView {
  id: string;
  name: string;
  state: string;
  tasks: { name: string; state: string; agent: string | null; task: string | null }[];
}

function runsOf(data: StoreData): RunView[] {
  const runs = (data as { runs?: unknown }).runs;
  if (!runs || typeof runs !== 'object') return [];
  return Object.entries(runs as Record<string, unknown>).flatMap(([key, value]): RunView[] => {
    if (!value || typeof value !== 'object') return [];
    const r = value as Record<string, unknown>;
    const tasks = r.tasks && typeof r.tasks === 'object' ? Object.entries(r.tasks as Record<string, unknown>) : [];
    return [
      {
        id: typeof r.id === 'string' ? r.id : key,
        name: typeof r.name === 'string' ? r.name : '',
        state: typeof r.state === 'string' ? r.state : 'unknown',
        tasks: tasks.map(([name, t]) => {
          const x = (t && typeof t === 'object' ? t : {}) as Record<string, unknown>;
          const tries = Array.isArray(x.tries) ? x.tries.filter((s): s is string => typeof s === 'string') : [];
          return {
            name: typeof x.name === 'string' ? x.name : name,
            state: typeof x.state === 'string' ? x.state : 'unknown',
            agent: typeof x.agent === 'string' ? x.agent : null,
            task: typeof x.task === 'string' ? x.task : (tries.at(-1) ?? null),
          };
        }),
      },
    ];
  });
}

/** The commands that bring this session back: attach, start again (the lead gets this handover), recover. */
export function resumeCommands(data: StoreData, stateDir: string, running: boolean, ending = false): string[] {
  const s = data.session!;
  const ended = Boolean(s.ended_at) || ending;
  const start = join(toolkitRoot, 'start.mts');
  const base = [start, '--layout', s.layout_file, ...(s.socket ? ['--socket', s.socket] : []), '--state', stateDir];
  const lines: string[] = [];
  if (running && !ending) {
    lines.push(
      '# The session is running now; look at it:',
      quoteArgv(['tmux', ...(s.socket ? ['-L', s.socket] : []), 'attach', '-t', s.name]),
    );
  }
  if (ended || !running) {
    lines.push(
      ended
        ? '# Start the team again (the lead starts with the latest handover as context):'
        : '# Its tmux session is gone but it was never ended: bring every agent back with its own conversation:',
      quoteArgv(ended ? base : [...base, '--resume']),
    );
  } else {
    lines.push(
      '# End it (waits for running tasks, writes a handover, stops every agent):',
      quoteArgv([join(toolkitRoot, 'scripts', 'orchestrate.mts'), 'session', 'end', '--state', stateDir]),
      '# Then start the team again (the lead starts with the latest handover as context):',
      quoteArgv(base),
    );
  }
  const interactive = Object.values(data.agents).filter((a) => a.mode === 'interactive');
  if (interactive.length) {
    lines.push("# Or continue one agent's conversation by hand, outside the orchestrator:");
    for (const a of interactive)
      lines.push(`cd ${quote(a.cwd)} && claude --resume ${quote(a.session_id)}   # ${a.name}`);
  }
  return lines;
}

/** The handover's Markdown: one section after another, each from its own part of the records. */
export function renderHandover(input: HandoverInput): string {
  const { data, stateDir } = input;
  const s = data.session;
  if (!s)
    throw new OrchestratorError(
      `no session recorded in ${stateDir}: start one with ./start.mts --state ${stateDir}`,
      2,
    );
  const sections = [
    headerSection(input, s),
    sessionSection(input, s),
    agentsSection(input),
    tasksSection(input),
    runsSection(input),
    costSection(input),
    reposSection(input),
    worktreesSection(input),
    ['## Resume', '', '```sh', ...resumeCommands(data, stateDir, input.running, input.ending), '```', ''],
    summarySection(input),
  ];
  return `${sections.flat().join('\n').trimEnd()}\n`;
}

type Session = NonNullable<StoreData['session']>;

function headerSection(input: HandoverInput, s: Session): string[] {
  const { stateDir, now } = input;
  const meta: HandoverMeta = {
    session: s.name,
    layout: s.layout_file,
    state_dir: stateDir,
    written_at: now.toISOString(),
  };
  return [
    `${HANDOVER_MARK}${JSON.stringify(meta)} -->`,
    `# Handover: session ${code(s.name)}`,
    '',
    `Written ${now.toISOString()}${input.by ? ` by ${code(input.by)}` : ''} from the session's store (${code(storeFile(stateDir))}) and the agents' working directories. Everything below is recorded fact except a section marked as written by the lead.`,
    '',
  ];
}

function sessionSection(input: HandoverInput, s: Session): string[] {
  return [
    '## Session',
    '',
    `- tmux session: ${code(s.name)} on ${s.socket ? `the private server ${code(`tmux -L ${s.socket}`)}` : 'the default tmux server'}, ${s.ended_at ? `ended at ${s.ended_at}` : input.ending ? 'being ended now (orchestrate session end)' : input.running ? 'running' : 'not running (its tmux session is gone; it was never ended)'}`,
    `- Layout: ${code(s.layout_file)}`,
    `- Project root: ${code(s.root)}`,
    `- State directory: ${code(input.stateDir)}`,
    `- Started: ${s.created_at}${s.resumed_at?.length ? `; resumed after a loss at ${s.resumed_at.join(', ')}` : ''}`,
    ...(s.handover ? [`- The lead started with the earlier handover ${code(s.handover)}`] : []),
    '',
  ];
}

function agentsSection(input: HandoverInput): string[] {
  const agents = Object.values(input.data.agents);
  const out = [
    '## Agents',
    '',
    '| agent | role | status | Claude session id | working directory | cost |',
    '|---|---|---|---|---|---:|',
  ];
  for (const a of agents) {
    const status = a.reason ? `${a.status}: ${oneLine(a.reason, 120)}` : a.status;
    out.push(
      `| ${cell(a.name)} | ${cell(a.role)}${a.mode === 'headless' ? ' (headless)' : ''} | ${cell(status)} | ${code(a.session_id)} | ${code(a.cwd)} | ${usd(a.cost_usd)} |`,
    );
  }
  const lastAnswers = agents.filter((a) => a.last_result);
  if (lastAnswers.length)
    out.push('', 'Last answers:', '', ...lastAnswers.map((a) => `- ${a.name}: ${oneLine(a.last_result, 300)}`));
  out.push('');
  return out;
}

function tasksSection(input: HandoverInput): string[] {
  const { data, stateDir } = input;
  const exclude = new Set(input.exclude ?? []);
  const tasks = Object.values(data.tasks ?? {})
    .filter((t) => !exclude.has(t.id))
    .sort((a, b) => a.seq - b.seq);
  const out = ['## Tasks', ''];
  const archived = data.archive?.tasks;
  if (!tasks.length && !archived?.count) out.push('No tasks were dispatched in this session.', '');
  if (archived?.count) {
    const states = Object.entries(archived.by_state ?? {})
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${n} ${k}`)
      .join(', ');
    out.push(
      `${archived.count} older finished task${archived.count === 1 ? '' : 's'}${states ? ` (${states})` : ''}, ${usd(archived.cost_usd ?? 0)} in all, are in the archive ${code(archiveFile(stateDir, 'tasks'))}: ${code('orchestrate tasks --page 1')} lists every task, newest first, and ${code('orchestrate result TASK')} reads any of them.`,
      '',
    );
  }
  for (const group of TASK_GROUPS) {
    const of = tasks.filter((t) => group.states.includes(t.state));
    if (of.length)
      out.push(`### ${group.title} (${of.length})`, '', ...of.map((t) => taskLine(t, group.detail(t))), '');
  }
  return out;
}

function runsSection(input: HandoverInput): string[] {
  const runs = runsOf(input.data);
  if (!runs.length) return [];
  const out = ['## Workflow runs', ''];
  for (const r of runs) {
    const counts = new Map<string, number>();
    for (const t of r.tasks) counts.set(t.state, (counts.get(t.state) ?? 0) + 1);
    out.push(
      `- ${code(r.id)}${r.name ? ` ${r.name}` : ''}: ${r.state}; ${r.tasks.length} task${r.tasks.length === 1 ? '' : 's'} (${[...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'none'})`,
    );
    for (const t of r.tasks)
      out.push(`  - ${t.name}: ${t.state}${t.agent ? ` on ${t.agent}` : ''}${t.task ? ` (task ${code(t.task)})` : ''}`);
  }
  out.push('');
  return out;
}

function costSection(input: HandoverInput): string[] {
  const agents = Object.values(input.data.agents);
  const total = agents.reduce((sum, a) => sum + (a.cost_usd ?? 0), 0);
  return [
    '## Cost',
    '',
    ...agents.map((a) => `- ${a.name}: ${usd(a.cost_usd)}`),
    `- total: ${usd(total)}`,
    '',
    "Estimated from the token counts in each agent's transcript.",
    '',
  ];
}

function reposSection(input: HandoverInput): string[] {
  const out = ['## Working directories', ''];
  if (!input.repos.length) out.push('No agent works inside a git repository.', '');
  for (const repo of input.repos) {
    const who = repo.agents.map((a) => `${a.name}${a.cwd === repo.root ? '' : ` (${code(a.cwd)})`}`).join(', ');
    out.push(
      `### ${code(repo.root)}`,
      '',
      `- Agents: ${who}`,
      `- Branch: ${repo.branch ? code(repo.branch) : 'unknown'}`,
      `- Uncommitted changes: ${repo.changes.length ? repo.changes.length : 'none'}`,
    );
    if (repo.changes.length) {
      out.push(
        '',
        '```',
        ...repo.changes.slice(0, MAX_CHANGES),
        ...(repo.changes.length > MAX_CHANGES ? [`… and ${repo.changes.length - MAX_CHANGES} more`] : []),
        '```',
      );
    }
    out.push('');
  }
  return out;
}

function worktreesSection(input: HandoverInput): string[] {
  if (!input.worktrees?.length) return [];
  const out = [
    '## Worktrees',
    '',
    input.ending
      ? 'Each agent with `worktree: true` had its own worktree. `session end` removes only a worktree with nothing uncommitted and nothing unmerged; the others are kept, as they are.'
      : 'Each agent with `worktree: true` has its own worktree and branch.',
    '',
  ];
  for (const v of input.worktrees) {
    const state = input.data.worktrees?.agents[v.agent];
    out.push(
      `### ${v.agent}: ${code(v.branch)} from ${code(v.base)}`,
      '',
      `- Worktree: ${code(v.path)}`,
      ...(state
        ? [
            `- ${state.ahead} commit${state.ahead === 1 ? '' : 's'} ahead of ${code(v.base)}, ${state.behind} behind; files changed: ${state.changed.length ? state.changed.slice(0, MAX_CHANGES).map(code).join(', ') : 'none'}`,
          ]
        : []),
      v.removable
        ? `- ${input.ending ? 'Removed at session end' : 'Could be removed'}: ${v.why}`
        : `- ${input.ending ? 'Kept' : 'Keep'}: ${v.why}`,
    );
    if (!v.removable && v.merge.length)
      out.push(
        '- Merge it:',
        '',
        '```sh',
        ...v.merge,
        '```',
        '- Or drop it, losing what is listed above (by hand only; the orchestrator never does this):',
        '',
        '```sh',
        ...v.drop,
        '```',
      );
    out.push('');
  }
  return out;
}

function summarySection(input: HandoverInput): string[] {
  if (!input.summary) return [];
  if ('text' in input.summary)
    return [
      `## Summary written by the lead (${input.summary.agent}, task ${code(input.summary.task)}; its own words, not checked against the records above)`,
      '',
      input.summary.text.trim(),
      '',
    ];
  return ['## Summary by the lead', '', `None: ${input.summary.error}`, ''];
}

/** Reads the metadata line of a handover's text, if it is one of ours. */
export function handoverMeta(text: string): HandoverMeta | undefined {
  const first = text.split('\n', 1)[0] ?? '';
  if (!first.startsWith(HANDOVER_MARK) || !first.endsWith('-->')) return undefined;
  try {
    return JSON.parse(first.slice(HANDOVER_MARK.length, -3).trim()) as HandoverMeta;
  } catch {
    return undefined;
  }
}

/** The lead among the agents: the first with role lead. */
export const leadOf = (agents: Record<string, AgentRecord>): AgentRecord | undefined =>
  Object.values(agents).find((a) => a.role === 'lead');
