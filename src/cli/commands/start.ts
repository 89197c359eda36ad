// The start command: ./start.mts and `orchestrate session start`.
import { resolve } from 'node:path';
import { parse } from '../args.js';
import { UsageError } from '../../core/errors.js';
import { start } from '../../session/start.js';
import { defaultLayout } from '../../util/paths.js';

export const startUsage = `Usage: start.mts [options]

Builds a tmux session from a layout and launches one claude per agent pane.

Options:
  --layout FILE   layout file (default: layouts/default.yaml of the toolkit)
  --socket NAME   tmux server socket name (tmux -L NAME; default: your own server)
  --state DIR     this session's state directory (default: state/<session>/ of the toolkit)
  --no-attach     stay detached (default: attach when stdin is a terminal)
  --dry-run       print the tmux commands and each agent's command line; change nothing
  --restart       replace the session if it is already running (or start afresh after a loss)
  --resume        bring back a session that was not ended but whose tmux session is gone (tmux
                  server killed, machine restarted): every agent continues its own conversation
                  (a plain start offers this on a terminal, and prints the command otherwise)
  --demo          the whole system without an API key: 4 real claude agents, pointed at the
                  built-in API stand-in, run a workflow that writes files (state/demo/project/)
  -h, --help      show this help`;

/** Asks on the terminal; Enter means yes. */
async function askYesNo(question: string): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return !/^\s*n/i.test(await rl.question(question));
  } finally {
    rl.close();
  }
}

/** Parses start's arguments and runs it. */
export async function startCommand(argv: string[]): Promise<number> {
  const { values } = parse(
    argv,
    {
      layout: { type: 'string' },
      socket: { type: 'string' },
      state: { type: 'string' },
      'no-attach': { type: 'boolean' },
      'dry-run': { type: 'boolean' },
      restart: { type: 'boolean' },
      demo: { type: 'boolean' },
      resume: { type: 'boolean' },
    },
    startUsage,
  );
  if (values.help) {
    process.stdout.write(`${startUsage}\n`);
    return 0;
  }
  // The name becomes a file in tmux's socket directory: no "/", nothing a shell or tmux would read as more.
  if (values.socket !== undefined && !/^[A-Za-z0-9_.+-]{1,100}$/.test(values.socket))
    throw new UsageError(
      `--socket ${JSON.stringify(values.socket)} is not a tmux socket name (expected letters, digits, ".", "_", "+" and "-")\n\n${startUsage}`,
    );
  if (values.resume && values.restart)
    throw new UsageError(
      `--resume and --restart exclude each other (resume continues the lost session, restart starts afresh)\n\n${startUsage}`,
    );
  if (values.demo) {
    if (values.layout || values.state || values['dry-run'])
      throw new UsageError(
        `--demo uses its own layout and state; leave out --layout, --state and --dry-run\n\n${startUsage}`,
      );
    const { runDemo } = await import('../../demo/demo.js');
    return runDemo({
      socket: values.socket || undefined,
      attach: values['no-attach'] ? 'never' : 'auto',
      out: (line) => process.stdout.write(`${line}\n`),
    });
  }
  return start({
    layoutFile: values.layout ? resolve(values.layout) : defaultLayout,
    socket: values.socket || undefined,
    stateDir: values.state,
    attach: values['no-attach'] ? 'never' : 'auto',
    dryRun: Boolean(values['dry-run']),
    restart: Boolean(values.restart),
    resume: Boolean(values.resume),
    ...(process.stdin.isTTY && process.stdout.isTTY ? { ask: askYesNo } : {}),
    cwd: process.cwd(),
    out: (line) => process.stdout.write(`${line}\n`),
  });
}
