// `orchestrate approvals`, `approve AGENT|REQUEST [--always]`, `deny AGENT|REQUEST [WHY]`: the
// agents' permission requests, decided from anywhere. A decision is a file the agent's waiting
// PermissionRequest hook reads (the first decision wins); the recorder records it.
import chalk from 'chalk';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { OrchestratorError, UsageError } from '../../core/errors.js';
import { decideRequest, findRequest } from '../../approvals/decide.js';
import { pendingApprovals } from '../../approvals/approvals.js';
import { ruleFor } from '../../approvals/policy.js';
import { waitForStore } from '../../tasks/client.js';
import { oneLine } from '../../util/text.js';

const listUsage =
  'Usage: orchestrate approvals [--all] [--json] [--state DIR]   pending permission requests (--all: decided ones too)';
const approveUsage = `Usage: orchestrate approve AGENT|REQUEST [--always] [--state DIR]
Allows the agent's oldest pending permission request, or the one with that id (or with a start or end
of it of at least 4 characters that no other pending request has). --always also allows the same call
from now on (a rule added to the agent's policy for this session).`;
const denyUsage = 'Usage: orchestrate deny AGENT|REQUEST [WHY] [--state DIR]   denies it; Claude is told WHY';

export async function approvalsCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    { all: { type: 'boolean' }, json: { type: 'boolean' }, state: { type: 'string' } },
    listUsage,
  );
  if (values.help) {
    process.stdout.write(`${listUsage}\n`);
    return 0;
  }
  const data = readStore(resolveStateDir(values.state));
  const shown = values.all
    ? Object.values(data.approvals ?? {}).sort((a, b) => a.at.localeCompare(b.at))
    : pendingApprovals(data);
  if (values.json) {
    process.stdout.write(`${JSON.stringify(shown, null, 2)}\n`);
    return 0;
  }
  if (!shown.length) {
    process.stdout.write(values.all ? 'no permission requests yet\n' : 'no pending permission requests\n');
    return 0;
  }
  for (const r of shown) {
    const state =
      r.state === 'pending'
        ? chalk.magenta('pending')
        : r.state === 'allowed'
          ? chalk.green('allowed')
          : r.state === 'denied'
            ? chalk.red('denied')
            : chalk.gray(r.state);
    process.stdout.write(
      `${r.id}  ${r.agent}  ${state}  ${oneLine(r.summary, 100)}${r.by ? `  (by ${r.by}${r.rule ? `, rule ${r.rule}` : ''})` : ''}\n`,
    );
  }
  return 0;
}

async function decideCommand(argv: string[], behavior: 'allow' | 'deny'): Promise<number> {
  const usage = behavior === 'allow' ? approveUsage : denyUsage;
  const { values, positionals } = parse(argv, { always: { type: 'boolean' }, state: { type: 'string' } }, usage, true);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!positionals.length || positionals.length > (behavior === 'deny' ? 2 : 1))
    throw new UsageError(`give an AGENT or a request id${behavior === 'deny' ? ', then WHY' : ''}\n\n${usage}`);
  if (values.always && behavior === 'deny') throw new UsageError(`--always is for approve\n\n${usage}`);
  const stateDir = resolveStateDir(values.state);
  const request = findRequest(readStore(stateDir), positionals[0]!);
  const won = decideRequest(stateDir, request, {
    behavior,
    by: process.env.ORCH_AGENT ?? 'cli',
    ...(positionals[1] ? { message: positionals[1] } : {}),
    always: Boolean(values.always),
  });
  if (!won) {
    const now = await waitForStore(
      stateDir,
      (d) => {
        const r = d.approvals?.[request.id];
        return r && r.state !== 'pending' ? r : undefined;
      },
      5000,
    );
    throw new OrchestratorError(
      `request ${request.id} was decided already${now ? ` (${now.state} by ${now.by ?? '?'})` : ''}`,
    );
  }
  const always = !values.always
    ? ''
    : ruleFor(request.tool, request.input)
      ? '; allowed from now on'
      : '; no rule added: no rule would allow this call and no other (a * or ? in it reads as a wildcard)';
  process.stdout.write(
    `${behavior === 'allow' ? 'allowed' : 'denied'} ${request.summary} for ${request.agent} (request ${request.id})${always}\n`,
  );
  return 0;
}

export const approveCommand = (argv: string[]): Promise<number> => decideCommand(argv, 'allow');
export const denyCommand = (argv: string[]): Promise<number> => decideCommand(argv, 'deny');
