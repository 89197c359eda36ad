// Handovers: Markdown files in <state>/handovers/. Only plain files with a plain name ending in
// .md, directly in that folder, are listed or read: no path, no "..", no symbolic link, so no
// request can reach a file outside it.
import { constants, fstatSync, lstatSync, openSync, readSync, closeSync, readdirSync } from 'node:fs';
import { handoverFile, handoversDir } from '../store/paths.js';

export interface HandoverInfo {
  name: string;
  size: number;
  modified_at: string;
}

/** The handovers folder of a state directory. */

const NAME = /^[A-Za-z0-9][A-Za-z0-9._ -]{0,200}\.md$/;
/** The most of one handover that is sent. */
export const MAX_HANDOVER_BYTES = 256 * 1024;

/** Whether a name is one a handover may have. */
export const isHandoverName = (name: string): boolean => NAME.test(name) && !name.includes('..');

/** The handovers, newest first (none when the folder does not exist). */
export function listHandovers(stateDir: string): HandoverInfo[] {
  let names: string[];
  try {
    names = readdirSync(handoversDir(stateDir));
  } catch {
    return [];
  }
  const out: HandoverInfo[] = [];
  for (const name of names) {
    if (!isHandoverName(name)) continue;
    try {
      const st = lstatSync(handoverFile(stateDir, name));
      if (st.isFile()) out.push({ name, size: st.size, modified_at: st.mtime.toISOString() });
    } catch {
      /* removed meanwhile */
    }
  }
  return out.sort((a, b) => b.modified_at.localeCompare(a.modified_at) || a.name.localeCompare(b.name));
}

/** One handover's text (its first MAX_HANDOVER_BYTES), or undefined when there is no such handover. */
export function readHandover(stateDir: string, name: string): { text: string; truncated: boolean } | undefined {
  if (!isHandoverName(name) || !listHandovers(stateDir).some((h) => h.name === name)) return undefined;
  let fd: number | undefined;
  try {
    // The listing said a plain file; O_NOFOLLOW makes sure a link swapped in since is not followed.
    fd = openSync(handoverFile(stateDir, name), constants.O_RDONLY | constants.O_NOFOLLOW);
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buffer = Buffer.alloc(Math.min(st.size, MAX_HANDOVER_BYTES));
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    return { text: buffer.subarray(0, read).toString('utf8'), truncated: st.size > MAX_HANDOVER_BYTES };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
