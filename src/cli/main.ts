// The one top-level catch for every command: known errors print their message and exit with
// their code; anything else is a bug and prints in full.
import { OrchestratorError } from '../core/errors.js';

const FS_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a part of the path is a file',
  EISDIR: 'it is a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'it already exists',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'the name is too long',
};

/** A file system refusal as one line ("cannot open /x: permission denied"), or undefined for anything else. */
export function fileSystemError(error: unknown): string | undefined {
  const e = error as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  const reason = e?.code ? FS_REASONS[e.code] : undefined;
  if (!reason || !e?.syscall) return undefined;
  return `cannot ${e.syscall}${e.path ? ` ${e.path}` : ''}${e.dest ? ` -> ${e.dest}` : ''}: ${reason}`;
}

/** Runs a command's main function and exits with its code. */
export async function runMain(main: () => Promise<number>): Promise<never> {
  // A reader that went away (| head) is not an error.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => process.exit(error.code === 'EPIPE' ? 0 : 1));
  let code: number;
  try {
    code = await main();
  } catch (error) {
    const fs = fileSystemError(error);
    if (error instanceof OrchestratorError) {
      process.stderr.write(`${error.message}\n`);
      code = error.exitCode;
    } else if (fs && !process.env.ORCH_DEBUG) {
      // What the machine refused (permissions, a full disk, a file where a folder was): one line.
      process.stderr.write(`${fs} (ORCH_DEBUG=1 shows where it happened)\n`);
      code = 1;
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
