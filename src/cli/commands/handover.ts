// `orchestrate handover`: writes the session's handover (Markdown, from the store and git) and
// prints its path.
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { UsageError } from '../../core/errors.js';
import { writeHandover } from '../../handover/files.js';

export const handoverUsage = `Usage: orchestrate handover [--state DIR] [--out FILE] [--summary [--summary-timeout S]]

Writes a Markdown handover of the session to <state>/handovers/<time>.md (or FILE) and prints
its path: the session and layout, every agent (role, status, Claude session id, directory),
tasks done, running, queued and failed, workflow runs, cost, each git working directory's
branch and uncommitted changes, and the commands that resume the session.
--summary asks the lead, when it is idle, for a summary (added under its own heading;
--summary-timeout S, default 120).`;

/** Parses a --timeout-like value in seconds. */
export function seconds(flag: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const s = Number(value);
  if (!Number.isFinite(s) || s <= 0)
    throw new UsageError(`${flag} wants a number of seconds greater than 0, not ${JSON.stringify(value)}`);
  return s;
}

export async function handoverCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      state: { type: 'string' },
      out: { type: 'string' },
      summary: { type: 'boolean' },
      'summary-timeout': { type: 'string' },
    },
    handoverUsage,
  );
  if (values.help) {
    process.stdout.write(`${handoverUsage}\n`);
    return 0;
  }
  const timeout = seconds('--summary-timeout', values['summary-timeout'], 120);
  const stateDir = resolveStateDir(values.state);
  const written = await writeHandover({
    stateDir,
    summary: Boolean(values.summary),
    summaryTimeoutMs: timeout * 1000,
    by: 'orchestrate handover',
    ...(values.out ? { out: values.out } : {}),
  });
  if (written.summaryError) process.stderr.write(`no summary from the lead: ${written.summaryError}\n`);
  process.stdout.write(`${written.file}\n`);
  return 0;
}
