// `orchestrate headless --state DIR --agent NAME`: the runner a headless agent's pane runs (from its
// launch script). It gives each task to the agent's one long-lived `claude -p` as a new message.
import { constants } from 'node:os';
import { parse } from '../args.js';
import { UsageError } from '../../core/errors.js';
import { resolveStateDir } from '../state-dir.js';
import { readHeadlessConfig } from '../../agents/headless-config.js';
import { startRunner } from '../../headless/runner.js';

const usage =
  "Usage: orchestrate headless --state DIR --agent NAME   (run by a headless agent's pane; tasks arrive as files in agents/NAME/prompts/)";

export async function headlessCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { state: { type: 'string' }, agent: { type: 'string' } }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (!values.agent) throw new UsageError(`--agent NAME is required\n\n${usage}`);
  const stateDir = resolveStateDir(values.state);
  const config = readHeadlessConfig(stateDir, values.agent);
  const out = process.stdout;
  const runner = startRunner({
    stateDir,
    config,
    write: (text) => out.write(text),
    width: out.columns || 80,
    color: Boolean(out.isTTY) && !process.env.NO_COLOR,
  });
  out.on('resize', () => runner.resize(out.columns || 80));
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(s, () => resolve(s));
  });
  await runner.stop(signal);
  return 128 + (constants.signals[signal] ?? 0);
}
