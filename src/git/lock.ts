// One merge at a time into a branch: a lock file in the repository's common git dir, made with
// O_EXCL (noclobber where git runs on another machine), holding "pid host". A second merge waits
// for it (bounded) and then reads the branch afresh, so it merges on top or refuses; a lock whose
// process on this machine is gone is stale and taken over.
import { createHash } from 'node:crypto';
import { openSync, closeSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { OrchestratorError } from '../core/errors.js';
import { alive } from '../util/pid.js';
import { commonDir, currentMachine, readText } from './git.js';

const me = (): string => `${process.pid} ${hostname()}\n`;

/** Makes the file if it is not there; true when this call made it. */
async function create(file: string): Promise<boolean> {
  const shell = currentMachine();
  if (shell)
    return (await shell.run(['sh', '-c', 'set -C; printf %s "$2" > "$1"', 'sh', file, me()], undefined)).exitCode === 0;
  try {
    const fd = openSync(file, 'wx', 0o644);
    try {
      writeSync(fd, me());
    } finally {
      closeSync(fd);
    }
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

async function remove(file: string): Promise<void> {
  const shell = currentMachine();
  if (shell) await shell.run(['rm', '-f', file], undefined);
  else rmSync(file, { force: true });
}

/** The holder of a lock file ("pid host"), and whether it is known to be gone (a process of this machine that no longer runs). */
async function holder(file: string): Promise<{ text: string; gone: boolean } | undefined> {
  const text = currentMachine()
    ? await readText(file)
    : (() => {
        try {
          return readFileSync(file, 'utf8');
        } catch {
          return undefined;
        }
      })();
  if (text === undefined) return undefined;
  const [pid, host] = text.trim().split(' ');
  return { text: text.trim(), gone: host === hostname() && Number(pid) > 0 && !alive(Number(pid)) };
}

/** Runs fn holding the merge lock of ref in repo (waiting at most waitMs for another merge to finish). */
export async function withRefLock<T>(repo: string, ref: string, fn: () => Promise<T>, waitMs = 60_000): Promise<T> {
  const file = `${await commonDir(repo)}/orchestrator-merge-${createHash('sha1').update(ref).digest('hex').slice(0, 16)}.lock`;
  const until = Date.now() + waitMs;
  for (;;) {
    if (await create(file)) break;
    const h = await holder(file);
    // Re-read just before removing, so a lock taken over meanwhile by another waiter stays.
    if (h?.gone && (await holder(file))?.text === h.text) {
      await remove(file);
      continue;
    }
    if (Date.now() > until) {
      throw new OrchestratorError(
        `another merge into ${ref.replace(/^refs\/heads\//, '')} is under way (process ${h?.text ?? '?'}, lock ${file}) and did not finish within ${Math.round(waitMs / 1000)} s. Nothing was changed; merge again once it is done (if no such process runs, remove ${file})`,
      );
    }
    await sleep(100);
  }
  try {
    return await fn();
  } finally {
    await remove(file);
  }
}
