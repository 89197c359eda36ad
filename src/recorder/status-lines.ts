// Reads what was appended to a status file since a byte offset, complete lines only (a line being
// written is left for the next read), so a cursor never points into the middle of an event.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { StatusLine } from './reduce.js';

/** New complete lines after offset, and the offset after the last of them. */
export function readNewLines(file: string, offset: number): { lines: StatusLine[]; next: number; bad: number } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return { lines: [], next: offset, bad: 0 };
  }
  try {
    const size = fstatSync(fd).size;
    if (size <= offset) return { lines: [], next: size < offset ? 0 : offset, bad: 0 };
    const buffer = Buffer.alloc(size - offset);
    readSync(fd, buffer, 0, buffer.length, offset);
    const end = buffer.lastIndexOf(0x0a);
    if (end < 0) return { lines: [], next: offset, bad: 0 };
    const lines: StatusLine[] = [];
    let bad = 0;
    for (const text of buffer.subarray(0, end).toString('utf8').split('\n')) {
      if (!text) continue;
      try {
        lines.push(JSON.parse(text) as StatusLine);
      } catch {
        bad++;
      }
    }
    return { lines, next: offset + end + 1, bad };
  } finally {
    closeSync(fd);
  }
}
