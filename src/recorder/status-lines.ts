// Reads what was appended to a status file since a byte offset, complete lines only (a line being
// written is left for the next read), so a cursor never points into the middle of an event.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isStatusLine } from './reduce.js';
import type { StatusLine } from '../store/types.js';

/**
 * New complete lines after offset, and the offset after the last of them. Lines that are not
 * JSON, or not {at: number, event: object} (a hook that got no input writes event null), are
 * skipped and counted as bad.
 */
export function readNewLines(file: string, offset: number): { lines: StatusLine[]; next: number; bad: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { lines: [], next: offset, bad: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    // Shorter than the cursor: the file was replaced or truncated, so its content is all new.
    if (size < offset) offset = 0;
    if (size <= offset) return { lines: [], next: offset, bad: 0 };
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return { lines: [], next: offset, bad: 0 };
    const lines: StatusLine[] = [];
    let bad = 0;
    for (const text of buffer.subarray(0, end).toString('utf8').split('\n')) {
      if (!text) continue;
      try {
        const line = JSON.parse(text) as unknown;
        if (isStatusLine(line)) lines.push(line);
        else bad++;
      } catch {
        bad++;
      }
    }
    return { lines, next: offset + end + 1, bad };
  } finally {
    closeSync(fd);
  }
}
