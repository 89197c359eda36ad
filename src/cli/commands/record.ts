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
  let lost!: () => void;
  const sessionLost = new Promise<'lost'>((resolve) => { lost = () => resolve('lost'); });
  // After a hangup the terminal is gone: a write to it would fail (EIO) and end the process early.
  let terminal = true;
  const log = (line: string): void => { if (terminal) process.stdout.write(`${time()} ${line}\n`); };
  const recorder = await startRecorder({ stateDir, log, onLost: () => lost() });
  log(`recording ${stateDir}`);
  const why = await Promise.race([sessionLost, new Promise<NodeJS.Signals>((resolve) => {
    for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(signal, () => resolve(signal));
  })]);
  // A hangup means our pane or the whole tmux server went away: record what is left to record first.
  if (why === 'SIGHUP') {
    terminal = false;
    await recorder.hangup();
  }
  await recorder.stop();
  return 0;
}
