// One error class for expected failures: the top-level catch (src/cli/main.ts) prints its message
// (no stack) and exits with its code. Anything else is a bug and is printed in full.

/** An expected failure with a message for the user and an exit code (README: Exit codes). */
export class OrchestratorError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
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
