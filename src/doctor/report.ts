// The doctor's report for a person: one line per check, and under each problem what to do.
import chalk from 'chalk';
import type { DoctorReport } from './doctor.js';
import type { FindingStatus } from './types.js';

const MARK: Record<FindingStatus, string> = {
  ok: chalk.green('ok     '),
  warning: chalk.yellow('warning'),
  problem: chalk.red('PROBLEM'),
};
const indent = (text: string, pad: string): string =>
  text
    .split('\n')
    .map((l, i) => (i ? pad + l : l))
    .join('\n');

/** The report as text (coloured when chalk sees a terminal). */
export function formatReport(report: DoctorReport): string {
  const pad = ' '.repeat(9);
  const lines = report.findings.map((f) => {
    const head = `${MARK[f.status]}  ${chalk.bold(f.check.padEnd(11))} ${indent(f.summary, pad + ' '.repeat(12))}`;
    return f.fix ? `${head}\n${pad}${chalk.cyan('fix:')} ${indent(f.fix, `${pad}     `)}` : head;
  });
  const problems = report.findings.filter((f) => f.status === 'problem').length;
  lines.push(
    '',
    problems
      ? chalk.red(
          `${problems} problem${problems === 1 ? '' : 's'}: fix ${problems === 1 ? 'it' : 'them'} and run \`orchestrate doctor\` again.`,
        )
      : chalk.green(`All good: ./start.mts can start ${report.root}.`),
  );
  return lines.join('\n');
}
