// `orchestrate freeze [--output FILE] [--state DIR]`: the running session as a layout YAML.
import { writeFileSync } from 'node:fs';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { freezeSession } from '../../session/freeze.js';

const usage = `Usage: orchestrate freeze [--output FILE] [--state DIR]
Writes the running session back as a layout (windows, panes, layout strings, agents with their
roles, directories and flags) to standard output, or to FILE. ./start.mts --layout FILE rebuilds it.`;

export async function freezeCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { output: { type: 'string', short: 'o' }, state: { type: 'string' } }, usage);
  if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
  const stateDir = resolveStateDir(values.state);
  const text = await freezeSession(readStore(stateDir), { ...(values.output ? { output: values.output } : {}), warn: (line) => process.stderr.write(`warning: ${line}\n`) });
  if (values.output) {
    writeFileSync(values.output, text);
    process.stdout.write(`wrote ${values.output}\n`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
