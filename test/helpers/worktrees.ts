// Sessions of real claude agents in a fresh git project, for the worktree tests.
import type { TestContext } from 'node:test';
import { startLiveSession, writeLayout, type LiveSession } from './session.js';
import { orchestrateScript, run } from './cli.js';
import { tempDir } from './tmux.js';
import { GIT_ENV, makeRepo, writeFiles } from './git.js';

export const API = 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n';

export const orchestrate = (live: LiveSession) => (args: string[]) =>
  run(orchestrateScript, [...args, '--state', live.state], { env: live.env });
export const startArgs = (live: LiveSession, layout: string): string[] => [
  '--socket',
  live.server.socket!,
  '--state',
  live.state,
  '--no-attach',
  '--layout',
  layout,
];

/** A git project with src/api.ts committed and an .env that is not. */
export const project = (dir: string): void => {
  makeRepo(undefined, { 'src/api.ts': API, 'README.md': 'project\n', '.gitignore': 'setup-saw.txt\n' }, dir);
  writeFiles(dir, { '.env': 'API_KEY=from-the-project\n' });
};

/** A session of the given layout in a fresh git project, with real claude agents and a port registry of its own. */
export async function startInProject(t: TestContext, yaml: string): Promise<LiveSession & { layout: string }> {
  const layout = writeLayout(t, yaml);
  return Object.assign(
    await startLiveSession(t, { layout, prepare: project, env: { ...GIT_ENV, ORCH_PORTS_DIR: tempDir(t) } }),
    { layout },
  );
}

export type StatusAgent = {
  name: string;
  status: string;
  reason: string | null;
  ports: number[];
  cwd: string;
  worktree: {
    path: string;
    branch: string;
    base: string;
    ahead: number | null;
    changed: string[];
    uncommitted: string[];
  } | null;
};
export const statusOf = async (
  live: LiveSession,
): Promise<{
  agents: StatusAgent[];
  conflicts: { agents: string[]; text: string; files: { path: string; lines: number[][] }[] }[];
}> => (await live.status()) as never;
