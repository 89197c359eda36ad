// One error class for expected failures: the top-level catch prints its message (no stack) and
// exits with its code. Anything else is a bug and is printed in full.
import type { Problem } from '../config/source.js';
import { formatProblem } from '../config/source.js';

/** An expected failure with a message for the user and an exit code. */
export class OrchestratorError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'OrchestratorError';
  }
}

/** Wrong command-line usage (exit 2). */
export class UsageError extends OrchestratorError {
  constructor(message: string) {
    super(message, 2);
  }
}

/** A layout or workflow file with problems (exit 2), each as file:line:col path: message. */
export class ConfigError extends OrchestratorError {
  constructor(readonly problems: Problem[], what = 'layout') {
    super(`${problems.map(formatProblem).join('\n')}\n${problems.length} problem${problems.length === 1 ? '' : 's'} in the ${what}; nothing was started.`, 2);
  }
}
