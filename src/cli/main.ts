// The one top-level catch for every command: known errors print their message and exit with
// their code; anything else is a bug and prints in full.
import { OrchestratorError } from './errors.js';

/** Runs a command's main function and exits with its code. */
export async function runMain(main: () => Promise<number>): Promise<never> {
  // A reader that went away (| head) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? 0 : 1));
  let code: number;
  try {
    code = await main();
  } catch (error) {
    if (error instanceof OrchestratorError) {
      process.stderr.write(`${error.message}\n`);
      code = error.exitCode;
    } else {
      process.stderr.write(`internal error: ${(error as Error)?.stack ?? String(error)}\n`);
      code = 1;
    }
  }
  process.exitCode = code;
  // Let stdout drain, then exit even if a handle (a watcher, a socket) is still open.
  await new Promise((r) => process.stdout.write('', r));
  process.exit(code);
}
