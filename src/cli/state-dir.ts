// Which session a command is about: --state DIR, else $ORCH_STATE_DIR (set in every pane we
// start), else the most recently started session under the toolkit's state/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { stateRoot } from '../util/paths.js';
import { OrchestratorError } from '../core/errors.js';
import { storeFile } from '../store/paths.js';

/** The state directory a command works on. */
export function resolveStateDir(flag: string | undefined): string {
  if (flag) return resolve(flag);
  if (process.env.ORCH_STATE_DIR) return resolve(process.env.ORCH_STATE_DIR);
  const candidates = existsSync(stateRoot)
    ? readdirSync(stateRoot)
        .map((d) => join(stateRoot, d))
        .filter((d) => existsSync(storeFile(d)))
    : [];
  if (!candidates.length)
    throw new OrchestratorError(`no session found in ${stateRoot}: start one with ./start.mts, or pass --state DIR`);
  return candidates.sort((a, b) => statSync(storeFile(b)).mtimeMs - statSync(storeFile(a)).mtimeMs)[0]!;
}
