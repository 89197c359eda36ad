// `orchestrate run FILE`, `run --resume RUN`, `runs`, `workflow validate FILE`: workflows are
// validated here (against the session's agents) and handed to the recorder, which schedules them.
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { OrchestratorError, UsageError } from '../../core/errors.js';
import { ConfigError } from '../../config/source.js';
import { loadWorkflow } from '../../workflow/load.js';
import { newId, submit } from '../../inbox/inbox.js';
import { assertLive, findRun, runPage, waitForStore } from '../../tasks/client.js';
import { pageNumber, TIMEOUT_EXIT, timeoutMs, usdOf } from './tasks.js';
import { runSummary, runsTable } from '../../workflow/summary.js';
import { own } from '../../util/own.js';

const runUsage = `Usage: orchestrate run FILE [--wait] [--timeout S] [--budget USD] [--json] [--state DIR]
       orchestrate run --resume RUN [--wait] ...   run a failed run's failed and skipped tasks again
Starts every task whose needs are done on an idle matching agent, in parallel. The session's
recorder schedules the run, so it goes on (and survives a crash) without this command.
--wait prints a summary at the end: exit 0 when every task is done, 1 otherwise, 124 on --timeout.
--budget USD caps what the run may cost: at it, no further task of the run starts.`;
const runsUsage = `Usage: orchestrate runs [--page N] [--per-page N] [--json] [--state DIR]
Without --page: the live store's runs; --page pages through every run, newest first, the archived ones too.`;
const validateUsage =
  'Usage: orchestrate workflow validate FILE... [--state DIR]   (checks agents against the session when one is found)';

/** Waits for the run to end (after the resume request `after` was taken in, when given). */
async function follow(stateDir: string, id: string, limitMs: number, json: boolean, after?: string): Promise<number> {
  const run = await waitForStore(
    stateDir,
    (d) => {
      // A run that ended and moved to the archive between two looks is read there.
      const r = own(d.runs, id) ?? (d.archive?.runs?.count ? findRun(d, id, stateDir) : undefined);
      if (!r || (after && !r.resumes?.some((x) => x.id === after))) return undefined;
      return r.state !== 'running' ? r : undefined;
    },
    limitMs,
  );
  if (!run) {
    process.stderr.write(`timed out waiting for run ${id}; it goes on: orchestrate runs\n`);
    return TIMEOUT_EXIT;
  }
  process.stdout.write(json ? `${JSON.stringify(run, null, 2)}\n` : `${runSummary(run)}\n`);
  return run.state === 'done' ? 0 : 1;
}

export async function runCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      wait: { type: 'boolean' },
      timeout: { type: 'string' },
      json: { type: 'boolean' },
      state: { type: 'string' },
      resume: { type: 'string' },
      budget: { type: 'string' },
    },
    runUsage,
    true,
  );
  if (values.help) {
    process.stdout.write(`${runUsage}\n`);
    return 0;
  }
  const limit = timeoutMs(values.timeout);
  const stateDir = resolveStateDir(values.state);
  const data = readStore(stateDir);
  if (values.resume !== undefined) {
    if (positionals.length) throw new UsageError(`--resume takes a run id, not a FILE\n\n${runUsage}`);
    const run = findRun(data, values.resume, stateDir);
    if (!run) throw new OrchestratorError(`no run "${values.resume}" in this session (orchestrate runs lists them)`);
    assertLive(data, stateDir);
    const request = run.state !== 'running' ? newId('q') : undefined;
    if (request) submit(stateDir, { kind: 'resume-run', id: request, at: new Date().toISOString(), run: run.id });
    (values.json ? process.stderr : process.stdout).write(
      `${request ? 'resuming' : 'run is still going'}: ${run.id}\n`,
    );
    return values.wait ? follow(stateDir, run.id, limit, Boolean(values.json), request) : 0;
  }
  if (positionals.length !== 1) throw new UsageError(`give one workflow FILE\n\n${runUsage}`);
  const { workflow, problems } = loadWorkflow(
    positionals[0]!,
    Object.values(data.agents).map((a) => ({ name: a.name, role: a.role, worktree: Boolean(a.worktree) })),
  );
  if (!workflow) throw new ConfigError(problems, 'workflow');
  assertLive(data, stateDir);
  const id = newId('r');
  const budget = values.budget === undefined ? undefined : usdOf(values.budget, '--budget');
  submit(stateDir, {
    kind: 'run',
    id,
    at: new Date().toISOString(),
    workflow,
    ...(budget !== undefined ? { budget_usd: budget } : {}),
  });
  // With --json, standard output is one JSON document: the run's id now, or the finished run with --wait.
  if (values.json && !values.wait) process.stdout.write(`${JSON.stringify({ id, workflow: workflow.name })}\n`);
  else
    (values.json ? process.stderr : process.stdout).write(
      `run ${id} of ${workflow.name}: ${workflow.tasks.length} tasks\n`,
    );
  return values.wait ? follow(stateDir, id, limit, Boolean(values.json)) : 0;
}

export async function runsCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { json: { type: 'boolean' }, state: { type: 'string' }, page: { type: 'string' }, 'per-page': { type: 'string' } },
    runsUsage,
  );
  if (values.help) {
    process.stdout.write(`${runsUsage}\n`);
    return 0;
  }
  const stateDir = resolveStateDir(values.state);
  const data = readStore(stateDir);
  if (values.page !== undefined || values['per-page'] !== undefined) {
    const found = runPage(
      data,
      stateDir,
      pageNumber(values.page, '--page', 1),
      pageNumber(values['per-page'], '--per-page', 20),
    );
    process.stdout.write(
      values.json
        ? `${JSON.stringify({ session: data.session?.name ?? null, ...found }, null, 2)}\n`
        : `${runsTable({ ...data, runs: Object.fromEntries(found.runs.map((r) => [r.id, r])) })}\npage ${found.page} of ${found.pages} (${found.total} runs; page 1 is the newest${found.page < found.pages ? `; --page ${found.page + 1} for older` : ''})\n`,
    );
    return 0;
  }
  const archived = data.archive?.runs?.count ?? 0;
  if (archived && !values.json)
    process.stderr.write(`${archived} older run(s) are in the archive: orchestrate runs --page 1 lists every run\n`);
  process.stdout.write(
    values.json
      ? `${JSON.stringify({ session: data.session?.name ?? null, runs: Object.values(data.runs ?? {}) }, null, 2)}\n`
      : `${runsTable(data)}\n`,
  );
  return 0;
}

export async function workflowCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub !== 'validate')
    throw new UsageError(`unknown workflow command ${JSON.stringify(sub ?? '')}\n\n${validateUsage}`);
  const { values, positionals } = parse(rest, { state: { type: 'string' } }, validateUsage, true);
  if (values.help) {
    process.stdout.write(`${validateUsage}\n`);
    return 0;
  }
  if (!positionals.length) throw new UsageError(`give at least one FILE\n\n${validateUsage}`);
  let agents: { name: string; role: string }[] | undefined;
  try {
    agents = Object.values(readStore(resolveStateDir(values.state)).agents).map((a) => ({
      name: a.name,
      role: a.role,
      worktree: Boolean(a.worktree),
    }));
  } catch {
    if (values.state) throw new OrchestratorError(`cannot read the session in ${values.state}`);
  }
  const problems = positionals.flatMap((file) => loadWorkflow(file, agents).problems);
  if (problems.length) throw new ConfigError(problems, 'workflow');
  process.stdout.write(`${positionals.join(', ')}: valid${agents ? ' for this session' : ''}\n`);
  return 0;
}
