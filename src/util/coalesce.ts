// "Run once, and once more if asked meanwhile": a job that reacts to events (a store write, a
// file change) runs one at a time, and however many calls arrive while it runs, they make one
// more run after it, not one each.

/**
 * Wraps job. The returned function starts it, or, while it runs, asks for one more run; either
 * way it resolves once a run that began after the call has finished. A job that throws ends that
 * round (the next call starts again).
 */
export function coalescing(job: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          await job();
        } while (again);
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}
