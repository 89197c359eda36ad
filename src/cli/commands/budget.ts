// `orchestrate budget [--json]` and `orchestrate budget set SCOPE USD|none`: spend against every cap,
// and changing a cap while the session runs (a request to the recorder, the store's writer).
import chalk from 'chalk';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { OrchestratorError, UsageError } from '../../core/errors.js';
import { newId, pending, submit } from '../../inbox/inbox.js';
import { assertLive, waitForStore } from '../../tasks/client.js';
import { budgetLines, budgetText, scopeProblem, sessionSpent } from '../../fleet/budget.js';
import { formatUsd } from '../../core/looks.js';
import { usdOf } from './tasks.js';
import type { StoreData } from '../../store/types.js';

const usage = `Usage: orchestrate budget [--json] [--state DIR]
       orchestrate budget set SCOPE USD|none [--state DIR]
SCOPE: session, agent:NAME, run:ID, task:ID, or agent, run, task for the default cap of each.
At 80% of a cap every view warns; at the cap no new task starts in its scope, and a running task
over its own cap is interrupted and fails. "none" removes a cap.`;

/** The caps as the store has them, for --json. */
const capsOf = (data: StoreData): unknown => ({ ...(data.fleet?.budget ?? {}) });

export async function budgetCommand(argv: string[]): Promise<number> {
  const sub = argv[0] === 'set' ? 'set' : 'show';
  const { values, positionals } = parse(
    sub === 'set' ? argv.slice(1) : argv,
    { json: { type: 'boolean' }, state: { type: 'string' } },
    usage,
    true,
  );
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const stateDir = resolveStateDir(values.state);
  const data = readStore(stateDir);
  if (sub === 'show') {
    if (positionals.length)
      throw new UsageError(`unknown budget command ${JSON.stringify(positionals[0])}\n\n${usage}`);
    const lines = budgetLines(data);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ spent_usd: sessionSpent(data), caps: capsOf(data), lines }, null, 2)}\n`,
      );
      return 0;
    }
    process.stdout.write(`session spend ${formatUsd(sessionSpent(data))}\n`);
    if (!lines.length)
      process.stdout.write(
        'no caps set (layout budget:, dispatch --budget, run --budget, or orchestrate budget set)\n',
      );
    for (const l of lines)
      process.stdout.write(
        `${(l.state === 'over' ? chalk.red : l.state === 'warn' ? chalk.yellow : String)(budgetText(l))}\n`,
      );
    return 0;
  }
  if (positionals.length !== 2) throw new UsageError(`give a SCOPE and an amount\n\n${usage}`);
  const [scope, amount] = positionals as [string, string];
  const problem = scopeProblem(data, scope);
  if (problem) throw new OrchestratorError(problem, 2);
  const usd = amount === 'none' ? null : usdOf(amount, 'USD');
  assertLive(data, stateDir);
  const id = newId('b');
  submit(stateDir, { kind: 'budget', id, at: new Date().toISOString(), scope, usd });
  // Taken in when the recorder has written it: then the next pass already obeys it.
  const seen = await waitForStore(
    stateDir,
    (d) => (!pending(stateDir).some((p) => p.request?.id === id) ? d : undefined),
    10_000,
  );
  if (!seen)
    throw new OrchestratorError('the recorder has not taken the change in within 10 s; it is waiting in the inbox');
  process.stdout.write(`budget ${scope}: ${usd === null ? 'no cap' : formatUsd(usd)}\n`);
  return 0;
}
