// Runs a CommonJS bundle with V8's code cache: the compiled code of its last run is read back
// instead of parsing and compiling ~600 KB of JavaScript again (Node 20 has no compile cache of
// its own; module.enableCompileCache came in 22). ./start.mts runs its bundle this way, which
// halves what loading the toolkit costs a start. The cache is keyed by the bundle's size, mtime
// and the node running it, and is written once, at exit, when there was none or V8 refused it;
// a directory we cannot write (an installed copy) just means no cache.
import { readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire, wrap } from 'node:module';
import { dirname } from 'node:path';
import { Script } from 'node:vm';

/** What a cache file must start with to belong to this bundle and this node. */
function cacheKey(bundle: string): string {
  const { size, mtimeMs } = statSync(bundle);
  return `orch-code-cache ${size} ${mtimeMs} ${process.version} ${process.arch}\n`;
}

/** The cached code for this key, or undefined when there is none or it is another bundle's. */
function readCache(file: string, key: string): Buffer | undefined {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    return undefined;
  }
  return data.subarray(0, key.length).toString() === key ? data.subarray(key.length) : undefined;
}

/** Writes the cache atomically (two starts at once each rename a whole file); failures are ignored. */
function writeCache(file: string, key: string, data: Buffer): void {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, Buffer.concat([Buffer.from(key), data]));
    renameSync(temp, file);
  } catch {
    rmSync(temp, { force: true });
  }
}

/** Runs bundle (a CommonJS file) as node would, with its code cache at bundle + '.cache'. */
export function runWithCodeCache(bundle: string): void {
  const cacheFile = `${bundle}.cache`;
  const key = cacheKey(bundle);
  const cachedData = readCache(cacheFile, key);
  // The entry's #! line is kept by esbuild; inside the function wrapper it would be a syntax error.
  const source = readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
  const script = new Script(wrap(source), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
  if (!cachedData || script.cachedDataRejected) {
    // At exit the cache holds every function this run compiled, not just the top level.
    process.once('exit', () => writeCache(cacheFile, key, script.createCachedData()));
  }
  const module = { exports: {} };
  (script.runInThisContext() as (...args: unknown[]) => void).call(
    module.exports,
    module.exports,
    createRequire(bundle),
    module,
    bundle,
    dirname(bundle),
  );
}
