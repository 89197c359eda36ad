// The entry of dist/bin/start.cjs, what ./start.mts runs: the start command's CommonJS bundle
// (dist/bin/start-bundle.cjs, built from start.mts) run with its code cache (code-cache.ts).
import { join } from 'node:path';
import { runWithCodeCache } from './code-cache.js';

runWithCodeCache(join(__dirname, 'start-bundle.cjs'));
