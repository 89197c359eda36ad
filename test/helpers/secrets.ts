// Where a secret can be seen on this machine: in a process's command line (any local user's ps
// shows it), or in a file that others may read.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** A secret no other test or process on the machine holds. */
export const uniqueSecret = (prefix = 'sk-test-'): string => `${prefix}SECRET123-${randomBytes(6).toString('hex')}`;

const pids = (): string[] => readdirSync('/proc').filter((n) => /^\d+$/.test(n));

/** A process's command line, words joined by spaces; '' for one that has exited meanwhile. */
export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** Every process (of any user) whose command line holds text: "pid args". */
export function cmdlinesWith(text: string): string[] {
  return pids().flatMap((pid) => {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      return cmd.includes(text) ? [`${pid} ${cmd.split('\0').join(' ')}`] : [];
    } catch {
      return [];
    }
  });
}

/** The pids of processes whose environment holds NAME=value (those we may read: our own user's). */
export function environsWith(name: string, value: string): number[] {
  return pids().flatMap((pid) => {
    try {
      return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${name}=${value}`) ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}

/** Every file below dir holding text, with its mode (octal). */
export function filesWith(dir: string, text: string): { file: string; mode: string }[] {
  const out: { file: string; mode: string }[] = [];
  const visit = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, e.name);
      if (e.isDirectory()) visit(path);
      else if (e.isFile() && readFileSync(path).includes(text))
        out.push({ file: path, mode: (statSync(path).mode & 0o777).toString(8) });
    }
  };
  visit(dir);
  return out;
}

/** The files of filesWith that a group or other users may read or write. */
export const exposed = (files: { file: string; mode: string }[]): string[] =>
  files.filter((f) => (parseInt(f.mode, 8) & 0o077) !== 0).map((f) => `${f.file} (${f.mode})`);
