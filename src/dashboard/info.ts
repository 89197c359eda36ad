// <state>/dashboard.json: where a session's running dashboard is, written by the dashboard
// process itself (its own file, not the store) and removed when it stops. It holds the address
// with the token, so it is readable by its owner only.
import { alive } from '../util/pid.js';
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** The file of a state directory. */
export const dashboardInfoFile = (stateDir: string): string => join(stateDir, 'dashboard.json');

/** Writes the file atomically (temp + rename), mode 0600. */
export function writeDashboardInfo(stateDir: string, info: DashboardInfo): void {
  const file = dashboardInfoFile(stateDir);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
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
