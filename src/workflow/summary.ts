// How a workflow run reads to a person: the end-of-run summary and the table of runs (the run
// command, --demo and anything else that reports runs).
import chalk from 'chalk';
import type { StoreData } from '../store/types.js';
import type { RunRecord } from './types.js';
import { oneLine } from '../util/text.js';
import { formatUsd } from '../core/looks.js';

const COLOURS: Record<string, (s: string) => string> = {
  waiting: chalk.gray,
  queued: chalk.cyan,
  running: chalk.yellow,
  merging: chalk.blue,
  done: chalk.green,
  failed: chalk.red,
  skipped: chalk.magenta,
  cancelled: chalk.gray,
};

/** The end-of-run summary: task, agent, duration, cost, result. */
export function runSummary(run: RunRecord, width = process.stdout.columns || 120): string {
  const tasks = Object.values(run.tasks);
  const nameW = Math.max(4, ...tasks.map((t) => t.name.length));
  const rows = tasks.map((t) => {
    const secs =
      t.started_at && t.ended_at ? `${((Date.parse(t.ended_at) - Date.parse(t.started_at)) / 1000).toFixed(1)}s` : '';
    const fixed = `${t.name.padEnd(nameW)}  ${(COLOURS[t.state] ?? String)(t.state.padEnd(9))}  ${(t.agent ?? '').padEnd(10)}  ${secs.padStart(7)}  ${formatUsd(t.cost_usd)}  `;
    return fixed + oneLine(t.state === 'done' ? t.result : t.error, Math.max(20, width - nameW - 48));
  });
  const total = tasks.reduce((s, t) => s + t.cost_usd, 0);
  const took = run.ended_at
    ? ` in ${((Date.parse(run.ended_at) - Date.parse(run.created_at)) / 1000).toFixed(1)} s`
    : '';
  return [
    `run ${run.id} of ${run.name}: ${(COLOURS[run.state] ?? String)(run.state)}${took}, cost ${formatUsd(total)}`,
    `${'task'.padEnd(nameW)}  state      agent          time  cost     result / error`,
    ...rows,
  ].join('\n');
}

/** One line per run: its id, workflow, state and progress. */
export function runsTable(data: StoreData): string {
  const runs = Object.values(data.runs ?? {}).sort((a, b) => a.created_at.localeCompare(b.created_at));
  if (!runs.length) return 'no workflow runs';
  return runs
    .map((r) => {
      const tasks = Object.values(r.tasks);
      const count = (s: string): number => tasks.filter((t) => t.state === s).length;
      return `${r.id}  ${r.name.padEnd(16)}  ${(COLOURS[r.state] ?? String)(r.state.padEnd(9))}  ${count('done')}/${tasks.length} done${count('running') ? `, ${count('running')} running` : ''}${count('failed') ? `, ${count('failed')} failed` : ''}  ${r.created_at}`;
    })
    .join('\n');
}
