// `orchestrate record --state DIR`: runs the session's recorder (in the control window). SIGTERM and
// SIGINT stop it; a SIGHUP means its pane or the whole tmux server went away: it records what is
// left (and the loss, when the session is gone) and stops, or, when only its own pane went, goes on
// recording without a terminal. A session seen lost ends it too: there is nothing left to record.
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { startRecorder } from '../../recorder/recorder.js';

const usage = 'Usage: orchestrate record [--state DIR]   (run by ./start.mts in the control window)';

export async function recordCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { state: { type: 'string' } }, usage);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const stateDir = resolveStateDir(values.state);
  const time = (): string => new Date().toISOString().slice(11, 23);
  // Listening before anything else: a signal that comes during the start is not missed.
  const signals: NodeJS.Signals[] = [];
  let wake = (): void => {};
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
    process.on(signal, () => {
      signals.push(signal);
      wake();
    });
  // A terminal that hung up fails every write (EIO): that must not end the recorder, only its log.
  let terminal = true;
  process.stdout.removeAllListeners('error');
  process.stdout.on('error', () => {
    terminal = false;
  });
  const log = (line: string): void => {
    if (terminal) process.stdout.write(`${time()} ${line}\n`);
  };
  let lost = false;
  const recorder = await startRecorder({
    stateDir,
    log,
    onLost: () => {
      lost = true;
      wake();
    },
  });
  log(`recording ${stateDir}`);
  for (;;) {
    if (!signals.length && !lost)
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    const signal = signals.shift();
    if (lost || signal === 'SIGTERM' || signal === 'SIGINT') break;
    if (signal === 'SIGHUP') {
      terminal = false;
      if (await recorder.hangup()) break;
    }
  }
  await recorder.stop();
  return 0;
}
