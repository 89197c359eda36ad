// A file every agent of a session shares (its hook scripts) is written once per process: a start
// of 16 agents wrote the same two scripts 16 times each.
import { chmodSync, existsSync, writeFileSync } from 'node:fs';

const written = new Map<string, string>();

/** Writes text to file (with mode) unless this process already wrote that very text there and the file is still there. */
export function writeOnce(file: string, text: string, mode: number): void {
  if (written.get(file) === text && existsSync(file)) return;
  writeFileSync(file, text);
  chmodSync(file, mode);
  written.set(file, text);
}
