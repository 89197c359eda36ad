// `orchestrate run FILE`, `run --resume RUN`, `runs`, `workflow validate FILE`: workflows are
// validated here (against the session's agents) and handed to the recorder, which schedules them.
import chalk from 'chalk';
import { parse } from '../args.js';
import { readStore, resolveStateDir } from '../state-dir.js';
import { ConfigError, OrchestratorError, UsageError } from '../errors.js';
import { loadWorkflow } from '../../workflow/load.js';
import { newId, submit } from '../../inbox/inbox.js';
import { assertLive, waitForStore } from '../../tasks/client.js';
import type { RunRecord } from '../../workflow/types.js';
import type { StoreData } from '../../store/types.js';
import { TIMEOUT_EXIT, timeoutMs } from './tasks.js';
import { oneLine } from '../../util/text.js';

const runUsage = `Usage: orchestrate run FILE [--wait] [--timeout S] [--json] [--state DIR]
       orchestrate run --resume RUN [--wait] ...   run a failed run's failed and skipped tasks again
Starts every task whose needs are done on an idle matching agent, in parallel. The session's
recorder schedules the run, so it goes on (and survives a crash) without this command.
--wait prints a summary at the end: exit 0 when every task is done, 1 otherwise, 124 on --timeout.`;
const runsUsage = 'Usage: orchestrate runs [--json] [--state DIR]';
const validateUsage = 'Usage: orchestrate workflow validate FILE... [--state DIR]   (checks agents against the session when one is found)';


const COLOURS: Record<string, (s: string) => string> = {
  waiting: chalk.gray, queued: chalk.cyan, running: chalk.yellow, done: chalk.green, failed: chalk.red, skipped: chalk.magenta, cancelled: chalk.gray,
};

/** The end-of-run summary: task, agent, duration, cost, result. */
export function runSummary(run: RunRecord, width = process.stdout.columns || 120): string {
  const tasks = Object.values(run.tasks);
  const nameW = Math.max(4, ...tasks.map((t) => t.name.length));
  const rows = tasks.map((t) => {
    const secs = t.started_at && t.ended_at ? `${((Date.parse(t.ended_at) - Date.parse(t.started_at)) / 1000).toFixed(1)}s` : '';
    const fixed = `${t.name.padEnd(nameW)}  ${(COLOURS[t.state] ?? String)(t.state.padEnd(9))}  ${(t.agent ?? '').padEnd(10)}  ${secs.padStart(7)}  $${t.cost_usd.toFixed(4)}  `;
    return fixed + oneLine(t.state === 'done' ? t.result : t.error, Math.max(20, width - nameW - 48));
  });
  const total = tasks.reduce((s, t) => s + t.cost_usd, 0);
  const took = run.ended_at ? ` in ${((Date.parse(run.ended_at) - Date.parse(run.created_at)) / 1000).toFixed(1)} s` : '';
  return [`run ${run.id} of ${run.name}: ${(COLOURS[run.state] ?? String)(run.state)}${took}, cost $${total.toFixed(4)}`,
    `${'task'.padEnd(nameW)}  state      agent          time  cost     result / error`, ...rows].join('\n');
}

/** Waits for the run to end (after the resume request `after` was taken in, when given). */
async function follow(stateDir: string, id: string, limitMs: number, json: boolean, after?: string): Promise<number> {
  const run = await waitForStore(stateDir, (d) => {
    const r = d.runs?.[id];
    if (!r || (after && !r.resumes?.some((x) => x.id === after))) return undefined;
    return r.state !== 'running' ? r : undefined;
  }, limitMs);
  if (!run) {
    process.stderr.write(`timed out waiting for run ${id}; it goes on: orchestrate runs\n`);
    return TIMEOUT_EXIT;
  }
  process.stdout.write(json ? `${JSON.stringify(run, null, 2)}\n` : `${runSummary(run)}\n`);
  return run.state === 'done' ? 0 : 1;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { wait: { type: 'boolean' }, timeout: { type: 'string' }, json: { type: 'boolean' }, state: { type: 'string' }, resume: { type: 'string' } }, runUsage, true);
  if (values.help) { process.stdout.write(`${runUsage}\n`); return 0; }
  const limit = timeoutMs(values.timeout);
  const stateDir = resolveStateDir(values.state);
  const data = readStore(stateDir);
  if (values.resume !== undefined) {
    if (positionals.length) throw new UsageError(`--resume takes a run id, not a FILE\n\n${runUsage}`);
    const run = data.runs?.[values.resume] ?? Object.values(data.runs ?? {}).find((r) => r.id.endsWith(values.resume!));
    if (!run) throw new OrchestratorError(`no run "${values.resume}" in this session (orchestrate runs lists them)`);
    assertLive(data, stateDir);
    const request = run.state !== 'running' ? newId('q') : undefined;
    if (request) submit(stateDir, { kind: 'resume-run', id: request, at: new Date().toISOString(), run: run.id });
    process.stdout.write(`${request ? 'resuming' : 'run is still going'}: ${run.id}\n`);
    return values.wait ? follow(stateDir, run.id, limit, Boolean(values.json), request) : 0;
  }
  if (positionals.length !== 1) throw new UsageError(`give one workflow FILE\n\n${runUsage}`);
  const { workflow, problems } = loadWorkflow(positionals[0]!, Object.values(data.agents).map((a) => ({ name: a.name, role: a.role })));
  if (!workflow) throw new ConfigError(problems, 'workflow');
  assertLive(data, stateDir);
  const id = newId('r');
  submit(stateDir, { kind: 'run', id, at: new Date().toISOString(), workflow });
  process.stdout.write(values.json && !values.wait ? `${JSON.stringify({ id, workflow: workflow.name })}\n` : `run ${id} of ${workflow.name}: ${workflow.tasks.length} tasks\n`);
  return values.wait ? follow(stateDir, id, limit, Boolean(values.json)) : 0;
}

export function runsTable(data: StoreData): string {
  const runs = Object.values(data.runs ?? {}).sort((a, b) => a.created_at.localeCompare(b.created_at));
  if (!runs.length) return 'no workflow runs';
  return runs.map((r) => {
    const tasks = Object.values(r.tasks);
    const count = (s: string): number => tasks.filter((t) => t.state === s).length;
    return `${r.id}  ${r.name.padEnd(16)}  ${(COLOURS[r.state] ?? String)(r.state.padEnd(9))}  ${count('done')}/${tasks.length} done${count('running') ? `, ${count('running')} running` : ''}${count('failed') ? `, ${count('failed')} failed` : ''}  ${r.created_at}`;
  }).join('\n');
}

export async function runsCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' }, state: { type: 'string' } }, runsUsage);
  if (values.help) { process.stdout.write(`${runsUsage}\n`); return 0; }
  const data = readStore(resolveStateDir(values.state));
  process.stdout.write(values.json ? `${JSON.stringify({ session: data.session?.name ?? null, runs: Object.values(data.runs ?? {}) }, null, 2)}\n` : `${runsTable(data)}\n`);
  return 0;
}

export async function workflowCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'validate') throw new UsageError(`unknown workflow command ${JSON.stringify(sub ?? '')}\n\n${validateUsage}`);
  const { values, positionals } = parse(rest, { state: { type: 'string' } }, validateUsage, true);
  if (values.help) { process.stdout.write(`${validateUsage}\n`); return 0; }
  if (!positionals.length) throw new UsageError(`give at least one FILE\n\n${validateUsage}`);
  let agents: { name: string; role: string }[] | undefined;
  try {
    agents = Object.values(readStore(resolveStateDir(values.state)).agents).map((a) => ({ name: a.name, role: a.role }));
  } catch {
    if (values.state) throw new OrchestratorError(`cannot read the session in ${values.state}`);
  }
  const problems = positionals.flatMap((file) => loadWorkflow(file, agents).problems);
  if (problems.length) throw new ConfigError(problems, 'workflow');
  process.stdout.write(`${positionals.join(', ')}: valid${agents ? ' for this session' : ''}\n`);
  return 0;
}
