// Writing a file so that no reader ever sees half of it: a temp file next to it (its name starts
// with "." so that folder scans skip it, and is unique per writer), then a rename over the target.
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Writes data to file atomically (the folder is created when missing, unless createFolder is false); mode for a new file. */
export function writeFileAtomic(file: string, data: string, mode?: number, createFolder = true): void {
  if (createFolder) mkdirSync(dirname(file), { recursive: true });
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}-${randomBytes(3).toString('hex')}.tmp`);
  writeFileSync(temp, data, mode === undefined ? undefined : { mode });
  renameSync(temp, file);
}
