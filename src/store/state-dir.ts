// A session's state directory as a place on disk: checked before anything is written into it or
// started for it, and its store read without lowdb. Every problem is one line saying what, where
// and what to do (exit 2), never a stack trace; a damaged store is kept as it is, never replaced.
import {
  accessSync,
  constants,
  lstatSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { OrchestratorError } from '../core/errors.js';
import { emptyStore, type StoreData } from './types.js';
import { agentDir, damagedStoreFile, stateFolders, storeFile } from './paths.js';

/** Folders of a state directory that must be folders when they exist. */

/** A store.json that is not a store: the session it held cannot be read from it. */
export class DamagedStoreError extends OrchestratorError {
  constructor(
    readonly file: string,
    readonly why: string,
  ) {
    super(
      `${file} is damaged (${why}); it was left as it is. Its session cannot be read from it: ./start.mts --restart with the same --state starts afresh and keeps the damaged file aside, or restore the file from a backup.`,
      2,
    );
    this.name = 'DamagedStoreError';
  }
}

const statOf = (path: string): Stats | undefined => {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
};
const reason = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException;
  return (
    (
      {
        EACCES: 'permission denied',
        EPERM: 'operation not permitted',
        EROFS: 'read-only file system',
        ENOSPC: 'no space left on the device',
        ENOENT: 'this file system does not allow it',
        ENOTDIR: 'a part of the path is a file',
      } as Record<string, string>
    )[e.code ?? ''] ?? e.message
  );
};
const bad = (message: string): OrchestratorError => new OrchestratorError(message, 2);

/**
 * Makes sure dir is a directory this process can write, creating it (and missing parents) when it
 * is not there. mkdir is called one level at a time: a recursive mkdir under /proc never returns.
 */
export function prepareStateDir(dir: string, agents: readonly string[] = []): string {
  const abs = resolve(dir);
  const missing: string[] = [];
  let existing = abs;
  for (let stats = statOf(existing); !stats; stats = statOf(existing)) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (!statOf(existing)?.isDirectory()) {
    throw bad(
      missing.length
        ? `cannot create the state directory ${abs}: ${existing} is a file, not a directory (give --state a directory)`
        : `${abs} is a file, not a directory (give --state a directory for the session's state)`,
    );
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw bad(
          `cannot create the state directory ${abs}: ${reason(error)} at ${path} (give --state a directory you can write)`,
        );
    }
  }
  // A real write: access() says yes to root on file systems that refuse every new file (/proc).
  const probe = join(abs, `.probe-${process.pid}`);
  try {
    accessSync(abs, constants.W_OK);
    writeFileSync(probe, '');
    rmSync(probe, { force: true });
  } catch (error) {
    throw bad(`cannot write in the state directory ${abs}: ${reason(error)} (give --state a directory you can write)`);
  }
  const folders = [...stateFolders(abs), ...agents.map((a) => agentDir(abs, a))];
  for (const folder of folders) {
    const stats = lstatOrUndefined(folder);
    if (stats && !stats.isDirectory())
      throw bad(
        `${folder} is a file, where the session keeps a folder; move it away or give --state another directory`,
      );
  }
  const store = statOf(storeFile(abs));
  if (store && !store.isFile())
    throw bad(`${storeFile(abs)} is not a file; move it away or give --state another directory`);
  return abs;
}

const lstatOrUndefined = (path: string): Stats | undefined => {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What in a parsed store.json is not the shape every reader relies on, or undefined when it is. */
function storeShapeProblem(value: unknown): string | undefined {
  if (!isObject(value)) return 'it holds no JSON object';
  if (!isObject(value.agents)) return 'it has no "agents" object';
  for (const [name, agent] of Object.entries(value.agents)) {
    if (!isObject(agent) || typeof agent.status !== 'string') return `agent "${name}" is not an agent record`;
  }
  if (
    value.session !== undefined &&
    value.session !== null &&
    (!isObject(value.session) || typeof value.session.name !== 'string')
  )
    return '"session" is not a session record';
  for (const key of ['tasks', 'runs', 'cursors'] as const) {
    if (value[key] !== undefined && !isObject(value[key])) return `"${key}" is not an object`;
  }
  for (const [id, task] of Object.entries((value.tasks ?? {}) as Record<string, unknown>)) {
    if (!isObject(task) || typeof task.state !== 'string' || !isObject(task.target))
      return `task "${id}" is not a task record`;
  }
  if (value.events !== undefined && !Array.isArray(value.events)) return '"events" is not a list';
  return undefined;
}

/** The store's data checked for the shape every reader needs, or why it is not a store. */
function parseStore(text: string): { data: StoreData } | { why: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { why: text.trim() === '' ? 'it is empty' : `not valid JSON: ${(error as Error).message}` };
  }
  const why = storeShapeProblem(value);
  return why ? { why } : { data: value as StoreData };
}

/** What the state directory's store holds: nothing yet, a store, or a damaged file. */
export function inspectStore(
  stateDir: string,
): { state: 'none' } | { state: 'ok'; data: StoreData } | { state: 'damaged'; error: DamagedStoreError } {
  const file = storeFile(stateDir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { state: 'none' };
    if (code === 'ENOTDIR') throw bad(`${stateDir} is not a directory (expected a session's state directory)`);
    throw bad(`cannot read ${file}: ${reason(error)}`);
  }
  const parsed = parseStore(text);
  return 'data' in parsed
    ? { state: 'ok', data: parsed.data }
    : { state: 'damaged', error: new DamagedStoreError(file, parsed.why) };
}

/** Reads a store without lowdb (readers never write; a plain read is the fastest). */
export function readStore(stateDir: string): StoreData {
  const found = inspectStore(stateDir);
  if (found.state === 'none') {
    throw new OrchestratorError(
      statOf(stateDir)
        ? `no session in ${stateDir} (it has no store.json): start one with ./start.mts, or pass --state DIR`
        : `no state directory ${stateDir}: start a session with ./start.mts, or pass --state DIR`,
      2,
    );
  }
  if (found.state === 'damaged') throw found.error;
  return found.data;
}

/** Moves a damaged store aside (store.damaged-<time>.json next to it) and returns its new path. */
export function keepDamagedAside(stateDir: string): string {
  const aside = damagedStoreFile(stateDir, new Date());
  renameSync(storeFile(stateDir), aside);
  return aside;
}

/** The store data a writer starts from: what is there, or an empty store; a damaged one throws. */
export function loadForWriting(stateDir: string): StoreData {
  const found = inspectStore(stateDir);
  if (found.state === 'damaged') throw found.error;
  return found.state === 'ok' ? found.data : emptyStore();
}
