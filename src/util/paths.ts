// Where the toolkit itself lives. Found by walking up from this module to our package.json, so it
// holds from the compiled tree (dist/src/util/) and from the bundles (dist/bin/) alike.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && /"name":\s*"claude-orchestrator"/.test(readFileSync(manifest, 'utf8'))) return dir;
  }
  throw new Error(`claude-orchestrator: cannot find the toolkit's package.json above ${from}`);
}

/** The toolkit's root directory (holds package.json, layouts/, state/). */
export const toolkitRoot = findRoot(dirname(fileURLToPath(import.meta.url)));
/** Default layout file. */
export const defaultLayout = join(toolkitRoot, 'layouts', 'default.yaml');
/** Default parent of per-session state directories. */
export const stateRoot = join(toolkitRoot, 'state');
/** Our own CLI as its panes and agents run it (node <this>): the bundle npm ci builds. */
export const orchestrateBin = join(toolkitRoot, 'dist', 'bin', 'orchestrate.mjs');
/** The orchestrate script a person runs (in commands we print). */
export const orchestrateScript = join(toolkitRoot, 'scripts', 'orchestrate.mts');
