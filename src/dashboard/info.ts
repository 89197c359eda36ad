// <state>/dashboard.json: where a session's running dashboard is, written by the dashboard
// process itself (its own file, not the store) and removed when it stops. It holds the address
// with the token, so it is readable by its owner only.
import { alive } from '../util/pid.js';
import { readFileSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic-file.js';
import { dashboardInfoFile } from '../store/paths.js';

export interface DashboardInfo {
  pid: number;
  host: string;
  port: number;
  /** The page's address, without the token. */
  url: string;
  /** The address to open (with ?token= when a token is needed). */
  open_url: string;
  token_required: boolean;
  started_at: string;
}

/** Writes the file atomically (temp + rename), mode 0600; a state directory deleted meanwhile is not made again. */
export function writeDashboardInfo(stateDir: string, info: DashboardInfo): void {
  writeFileAtomic(dashboardInfoFile(stateDir), `${JSON.stringify(info, null, 2)}\n`, 0o600, false);
}

/** Removes the file if this process wrote it. */
export function removeDashboardInfo(stateDir: string, pid = process.pid): void {
  if (readDashboardInfo(stateDir)?.pid === pid) rmSync(dashboardInfoFile(stateDir), { force: true });
}

/** The running dashboard of a state directory, or undefined (none, or its process is gone). */
export function readDashboardInfo(stateDir: string): DashboardInfo | undefined {
  try {
    const info = JSON.parse(readFileSync(dashboardInfoFile(stateDir), 'utf8')) as DashboardInfo;
    return typeof info.pid === 'number' && alive(info.pid) ? info : undefined;
  } catch {
    return undefined;
  }
}
