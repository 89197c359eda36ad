// Where the toolkit itself lives, from the compiled module's location (dist/src/util/).
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** The toolkit's root directory (holds package.json, layouts/, state/). */
export const toolkitRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');
/** Default layout file. */
export const defaultLayout = join(toolkitRoot, 'layouts', 'default.yaml');
/** Default parent of per-session state directories. */
export const stateRoot = join(toolkitRoot, 'state');
