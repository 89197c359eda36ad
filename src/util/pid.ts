// Whether a process we recorded (a recorder, a dashboard) is still there.
import { readFileSync } from 'node:fs';

/** Whether a process exists (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    return !/\)\s+Z\s/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Whether pid is alive and is our recorder of this state directory (`orchestrate record --state
 * DIR`): a recorded pid may belong to another program after a reboot, and must never be signalled.
 */
export function isRecorderOf(pid: number | undefined, stateDir: string): boolean {
  if (!pid || !alive(pid)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return argv.includes('record') && argv.includes(stateDir);
  } catch {
    return false;
  }
}
