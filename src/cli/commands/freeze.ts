// `orchestrate freeze [--output FILE] [--state DIR]`: the running session as a layout YAML.
import { writeFileAtomic } from '../../util/atomic-file.js';
import { SECRET_FILE_MODE } from '../../util/secrets.js';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { freezeSession } from '../../session/freeze.js';

const usage = `Usage: orchestrate freeze [--output FILE] [--state DIR]
Writes the running session back as a layout (windows, panes, layout strings, agents with their
roles, directories and flags) to standard output, or to FILE. ./start.mts --layout FILE rebuilds it.
On standard output the values of secret-named env: variables show as [redacted]; FILE has them
(it is written with mode 0600).`;

export async function freezeCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { output: { type: 'string', short: 'o' }, state: { type: 'string' } }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const stateDir = resolveStateDir(values.state);
  const text = await freezeSession(readStore(stateDir), {
    ...(values.output ? { output: values.output } : { redact: true }),
    warn: (line) => process.stderr.write(`warning: ${line}\n`),
  });
  if (values.output) {
    // It may hold the layout's env: values: readable by this user only, from its first byte.
    writeFileAtomic(values.output, text, SECRET_FILE_MODE);
    process.stdout.write(`wrote ${values.output}\n`);
  } else {
    process.stdout.write(text);
  }
  return 0;
}
