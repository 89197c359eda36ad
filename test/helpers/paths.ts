// Where things are, seen from the compiled tests (dist/test/...).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** Source-tree fixtures (scripts, YAML) that are not compiled. */
export const fixtures = join(repoRoot, 'test', 'fixtures');
