// Argument parsing on node:util parseArgs (strict: unknown flags are errors), with UsageError.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from '../core/errors.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parses argv against options; --help is always accepted. */
export function parse<O extends Options>(argv: string[], options: O, usage: string, allowPositionals = false) {
  try {
    return parseArgs({
      args: argv,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message.split('\n')[0]}\n\n${usage}`);
  }
}
