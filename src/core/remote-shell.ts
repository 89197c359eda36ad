// A shell on another machine, as the layers that run commands there see it (tmux, git): it runs an
// argv (each word quoted for it) with input on stdin, and throws an error of its own when the
// machine cannot be reached. src/ssh/ gives one over ssh; the layers that use it know nothing of ssh.

export interface RemoteShell {
  /** One name per machine (objects of the same machine and socket are one). */
  key: string;
  run(
    argv: readonly string[],
    input: string | undefined,
  ): Promise<{ stdout: string; stderr: string; exitCode: number | null }>;
}
