// `orchestrate layout validate FILE...` and `orchestrate layout schema [--out FILE]`.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from '../args.js';
import { UsageError } from '../../core/errors.js';
import { loadLayoutOrFail } from '../../session/start.js';
import { toJsonSchema } from '../../config/schema.js';
import { layoutSchema } from '../../layout/schema.js';
import { toolkitRoot } from '../../util/paths.js';

const usage = `Usage: orchestrate layout validate FILE...
       orchestrate layout schema [--out FILE]   (default: layouts/schema.json)`;

/** The JSON Schema text for layout files. */
export function layoutJsonSchema(): string {
  return `${JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', title: 'Claude Orchestrator layout', ...toJsonSchema(layoutSchema) }, null, 2)}\n`;
}

export async function layoutCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const { values, positionals } = parse(rest, { out: { type: 'string' } }, usage, true);
  if (values.help || !sub) {
    process.stdout.write(`${usage}\n`);
    return sub ? 0 : 2;
  }
  if (sub === 'validate') {
    if (!positionals.length) throw new UsageError(`layout validate needs a file\n\n${usage}`);
    for (const file of positionals) {
      const layout = loadLayoutOrFail(file, process.cwd());
      process.stdout.write(
        `${file}: ok (session ${layout.session}, ${layout.windows.length} window${layout.windows.length === 1 ? '' : 's'}, agents: ${layout.agents.map((a) => a.name).join(', ') || 'none'})\n`,
      );
    }
    return 0;
  }
  if (sub === 'schema') {
    const out = values.out ?? join(toolkitRoot, 'layouts', 'schema.json');
    writeFileSync(out, layoutJsonSchema());
    process.stdout.write(`wrote ${out}\n`);
    return 0;
  }
  throw new UsageError(`unknown layout command ${JSON.stringify(sub)}\n\n${usage}`);
}
