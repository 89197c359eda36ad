// `orchestrate status [--json] [--state DIR]` and `orchestrate watch`: what every agent is doing.
import { watch } from 'node:fs';
import { basename } from 'node:path';
import chalk from 'chalk';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { storeFile } from '../../store/paths.js';
import type { AgentRecord, StoreData } from '../../store/types.js';
import { oneLine } from '../../util/text.js';
import { asSeen, liveness, lostLine, type Liveness } from '../../session/liveness.js';
import { formatUsd } from '../../core/looks.js';
import { conflictLines, worktreeLine, worktreeSummary } from '../../worktrees/summary.js';
import { describeConflict } from '../../worktrees/look.js';
import { limitReason } from '../../fleet/limits.js';
import { pendingApprovals } from '../../approvals/approvals.js';
import { budgetLines, budgetText } from '../../fleet/budget.js';

const usage = `Usage: orchestrate status [--json] [--state DIR]
       orchestrate watch [--state DIR]     a live board, redrawn on every change`;

/** The documented JSON shape of status --json. */
export function statusJson(data: StoreData, live?: Liveness): unknown {
  return {
    session: data.session?.name ?? null,
    socket: data.session?.socket ?? null,
    ...(live ? { state: live.state, lost_reason: live.reason, resume: live.resume } : {}),
    agents: Object.values(data.agents).map((a) => ({
      name: a.name,
      role: a.role,
      status: a.status,
      reason: a.reason,
      pane: a.pane,
      session_id: a.session_id,
      cwd: a.cwd,
      task: a.task,
      last_result: a.last_result,
      cost_usd: a.cost_usd,
      updated_at: a.updated_at,
      worktree: worktreeSummary(data, a),
      ports: a.ports ?? [],
      host: a.host ?? null,
    })),
    hosts: Object.values(data.session?.hosts ?? {}).map((h) => ({
      name: h.name,
      ssh: h.ssh,
      reachable: h.reachable ?? null,
      checked_at: h.checked_at ?? null,
      error: h.error ?? null,
    })),
    conflicts: (data.worktrees?.conflicts ?? []).map((c) => ({ ...c, text: describeConflict(c) })),
    limits: Object.values(data.limits ?? {}),
    approvals: pendingApprovals(data),
    budget: budgetLines(data).map((l) => ({ ...l, text: budgetText(l) })),
  };
}

const COLOURS: Record<AgentRecord['status'], (s: string) => string> = {
  starting: chalk.cyan,
  idle: chalk.green,
  busy: chalk.yellow,
  waiting: chalk.magenta,
  limited: chalk.blue,
  unreachable: chalk.hex('#ff922b'),
  error: chalk.red,
  exited: chalk.gray,
};

const since = (iso: string): string => {
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : `${Math.floor(s / 3600)}h`;
};

/** The coloured table. */
export function statusTable(data: StoreData, width = process.stdout.columns || 120, live?: Liveness): string {
  const lost = live && lostLine(live);
  const head = `${chalk.bold(data.session?.name ?? '?')}${data.session?.socket ? ` (tmux -L ${data.session.socket})` : ''}${data.session?.ended_at ? chalk.gray(' ended') : ''}${lost ? `\n${chalk.red(lost)}` : ''}`;
  const agents = Object.values(data.agents);
  // An agent on another host reads name@host.
  const label = (a: AgentRecord): string => (a.host ? `${a.name}@${a.host}` : a.name);
  const nameW = Math.max(5, ...agents.map((a) => label(a).length));
  const rows = agents.map((a) => {
    const detail =
      a.status === 'busy'
        ? `task: ${a.task ?? ''}`
        : a.reason
          ? a.reason
          : a.last_result
            ? `last: ${a.last_result}`
            : '';
    const fixed = `${label(a).padEnd(nameW)}  ${a.role.padEnd(7)}  ${COLOURS[a.status](a.status.padEnd(a.status === 'unreachable' ? 11 : 8))}  ${since(a.updated_at).padStart(4)}  ${formatUsd(a.cost_usd)}  `;
    const wt = worktreeSummary(data, a);
    return (
      fixed +
      oneLine(detail, Math.max(20, width - nameW - 42)) +
      (wt
        ? `\n${' '.repeat(nameW + 2)}${chalk.gray(oneLine(`worktree ${worktreeLine(wt)}`, Math.max(20, width - nameW - 2)))}`
        : '')
    );
  });
  const conflicts = conflictLines(data).map((c) => chalk.red(`conflict: ${c}`));
  const limits = Object.values(data.limits ?? {}).map((l) => chalk.blue(`limit: ${limitReason(l, Date.now())}`));
  const hosts = Object.values(data.session?.hosts ?? {})
    .filter((h) => h.reachable === false)
    .map((h) =>
      chalk.hex('#ff922b')(
        `host ${h.name} (${h.ssh}) does not answer${h.checked_at ? ` since ${since(h.checked_at)}` : ''}: ${h.error ?? 'no reason'}; its agents' state catches up when it does`,
      ),
    );
  const asks = pendingApprovals(data).map((r) =>
    chalk.magenta(
      `permission: ${r.agent} asks ${oneLine(r.summary, 80)} (request ${r.id}): orchestrate approve ${r.agent} | deny ${r.agent}`,
    ),
  );
  const budget = budgetLines(data)
    .filter((l) => l.state !== 'ok')
    .map((l) => (l.state === 'over' ? chalk.red : chalk.yellow)(`budget: ${budgetText(l)}`));
  const total = agents.reduce((s, a) => s + (a.cost_usd || 0), 0);
  return [
    head,
    `${'agent'.padEnd(nameW)}  role     status     age  cost     detail`,
    ...rows,
    ...asks,
    ...conflicts,
    ...hosts,
    ...limits,
    ...budget,
    chalk.gray(`total cost ${formatUsd(total)}`),
  ].join('\n');
}

export async function statusCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' }, state: { type: 'string' } }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const dir = resolveStateDir(values.state);
  const stored = readStore(dir);
  const live = await liveness(stored, dir);
  const data = asSeen(stored, live);
  process.stdout.write(
    values.json ? `${JSON.stringify(statusJson(data, live), null, 2)}\n` : `${statusTable(data, undefined, live)}\n`,
  );
  return 0;
}

export async function watchCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { state: { type: 'string' } }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const dir = resolveStateDir(values.state);
  const draw = (): void => {
    void (async () => {
      const stored = readStore(dir);
      const live = await liveness(stored, dir);
      process.stdout.write(`\x1b[H\x1b[2J${statusTable(asSeen(stored, live), undefined, live)}\n`);
    })().catch(() => {
      /* mid-rename: the next event redraws */
    });
  };
  draw();
  // The store is replaced by rename on every write: watch the directory, redraw on change, and
  // once every few seconds so ages stay current.
  watch(dir, (_, file) => {
    if (file === basename(storeFile(dir))) draw();
  });
  setInterval(draw, 5000);
  return new Promise(() => {});
}
