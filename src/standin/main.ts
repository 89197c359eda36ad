// Runs the API stand-in as a process: node dist/src/standin/main.js [--port N] [--host H]
// [--latency MS] [--log FILE]. Prints {"url": ...} as one JSON line once it listens, appends each
// request as one NDJSON line to FILE, and stops on SIGINT/SIGTERM.
import { createWriteStream, type WriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { startStandin } from './server.js';

const USAGE = 'usage: standin [--port N] [--host H] [--latency MS] [--log FILE]';

/** Parses the command line, starts the stand-in and keeps it running until a signal. */
async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      latency: { type: 'string' },
      log: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  const number = (name: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0)
      throw new Error(`--${name} must be a whole number, got ${JSON.stringify(text)}\n${USAGE}`);
    return value;
  };
  const log: WriteStream | undefined = values.log ? createWriteStream(values.log, { flags: 'a' }) : undefined;
  const port = number('port', values.port);
  const latencyMs = number('latency', values.latency);
  const standin = await startStandin({
    ...(port !== undefined ? { port } : {}),
    ...(values.host ? { host: values.host } : {}),
    ...(latencyMs !== undefined ? { latencyMs } : {}),
    ...(log ? { onRequest: (r) => void log.write(`${JSON.stringify(r)}\n`) } : {}),
  });
  process.stdout.write(`${JSON.stringify({ url: standin.url, port: standin.port })}\n`);
  const stop = (): void => {
    void standin
      .close()
      .then(() => (log ? new Promise<void>((r) => log.end(r)) : undefined))
      .then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`standin: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
