// `orchestrate doctor [--layout FILE] [--json]`: checks tmux, claude and Claude Code's first-run
// state for the project before a session starts; exit 0 when all is well, 1 when not.
import { resolve } from 'node:path';
import { parse } from '../args.js';
import { runDoctor } from '../../doctor/doctor.js';
import { formatReport } from '../../doctor/report.js';
import { defaultLayout } from '../../util/paths.js';

const usage = `Usage: orchestrate doctor [--layout FILE] [--json]

Checks tmux (3.0 or later), the claude executable and its version, the layout, and whether the
agents would stop at one of Claude Code's start-up dialogs (folder trust, onboarding, API key,
bypass warning); says what to do about each problem. Exit 0 when all is well, 1 otherwise.

  --layout FILE   layout file (default layouts/default.yaml); its root (default: here) is checked
  --json          {"ok", "layout", "root", "findings": [{"check", "status", "summary", "fix", "patch"}]}`;

export async function doctorCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { layout: { type: 'string' }, json: { type: 'boolean' } }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const report = await runDoctor({
    layoutFile: resolve(values.layout ?? defaultLayout),
    cwd: process.cwd(),
    env: process.env,
    isRoot: process.getuid?.() === 0,
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatReport(report)}\n`);
  return report.ok ? 0 : 1;
}
