// `orchestrate record --state DIR`: runs the session's recorder (in the control window).
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { startRecorder } from '../../recorder/recorder.js';

const usage = 'Usage: orchestrate record [--state DIR]   (run by ./start.mts in the control window)';

export async function recordCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { state: { type: 'string' } }, usage);
  if (values.help) { process.stdout.write(`${usage}\n`); return 0; }
  const stateDir = resolveStateDir(values.state);
  const time = (): string => new Date().toISOString().slice(11, 23);
  const recorder = await startRecorder({ stateDir, log: (line) => process.stdout.write(`${time()} ${line}\n`) });
  process.stdout.write(`${time()} recording ${stateDir}\n`);
  await new Promise<void>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => resolve());
  });
  await recorder.stop();
  return 0;
}
