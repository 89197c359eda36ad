// bench/layout: wall time of ./start.mts --no-attach building 4 and 16 panes (with a stand-in
// agent that just waits), next to one chained raw tmux call, tmuxp and tmuxinator (when
// installed), and the start-up of --dry-run and `orchestrate --help` next to `node -e 0`. The
// target for 4 panes is at most 0.6x tmuxinator's time in the same run. ORCH_BENCH_BEFORE=DIR
// (another built checkout) times its ./start.mts too, in the same run, for before/after numbers.
// Run: npm run build && node dist/bench/layout.mjs [runs]
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { have, sh, table, timeInterleaved, timeMedian, type Case } from './measure.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'orch-bench-'));
const project = join(dir, 'proj');
mkdirSync(project);
// A new server name per run: reusing one while the last server shuts down fails at random.
let runNo = 0;
let socket = `bench_${process.pid}_0`;
const nextSocket = (): void => {
  socket = `bench_${process.pid}_${++runNo}`;
};
const env = { CLAUDE_BIN: join(root, 'test', 'fixtures', 'bin', 'fake-claude'), ORCH_NO_REBUILD: '1' };
const socketFile = (): string => join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket);
// tmux 3.3 leaves the socket file behind after kill-server: remove it too.
const killServer = (): void => {
  try {
    sh('tmux', ['-L', socket, 'kill-server']);
  } catch {
    /* not running */
  }
  rmSync(socketFile(), { force: true });
};
const fresh = (): void => {
  killServer();
  nextSocket();
};

const sixteen = join(dir, 'sixteen.yaml');
writeFileSync(
  sixteen,
  `windows:\n${[0, 1, 2, 3].map((w) => `  - name: w${w}\n    panes:\n${[0, 1, 2, 3].map((p) => `      - agent: a${w}${p}\n`).join('')}`).join('')}`,
);

/** One chained tmux call that makes the same windows and panes. */
function rawTmux(windows: number): string[] {
  const args = ['-L', socket];
  for (let w = 0; w < windows; w++) {
    args.push(
      ...(w === 0 ? ['new-session', '-d', '-s', 'raw', '-x', '240', '-y', '64'] : [';', 'new-window']),
      'sleep 1000',
    );
    for (let p = 1; p < 4; p++) args.push(';', 'split-window', 'sleep 1000');
    args.push(';', 'select-layout', 'tiled');
  }
  return args;
}

const tmuxpFile = (windows: number): string => {
  const file = join(dir, `tmuxp${windows}.yaml`);
  writeFileSync(
    file,
    `session_name: tp\nstart_directory: ${project}\nwindows:\n${Array.from({ length: windows }, (_, w) => `  - window_name: w${w}\n    layout: tiled\n    panes: [sleep 1000, sleep 1000, sleep 1000, sleep 1000]\n`).join('')}`,
  );
  return file;
};
const tmuxinatorFile = (windows: number): string => {
  const file = join(dir, `tmuxinator${windows}.yml`);
  writeFileSync(
    file,
    `name: ti${windows}\nroot: ${project}\nsocket_name: ${socket}\nwindows:\n${Array.from({ length: windows }, (_, w) => `  - w${w}:\n      layout: tiled\n      panes: [sleep 1000, sleep 1000, sleep 1000, sleep 1000]\n`).join('')}`,
  );
  return file;
};

const before = process.env.ORCH_BENCH_BEFORE;
// Every start gets a state directory of its own (a first start: no earlier session to look at or
// recover, its ports leased afresh), removed after the run with its server.
let stateNo = 0;
const stateDir = (): string => join(dir, `state-${stateNo}`);
const start =
  (layout?: string, from = root) =>
  () =>
    sh(
      join(from, 'start.mts'),
      ['--no-attach', '--socket', socket, '--state', stateDir(), ...(layout ? ['--layout', layout] : [])],
      env,
      project,
    );
const freshState = (): void => {
  fresh();
  stateNo++;
};
const dropState = (): void => {
  killServer();
  rmSync(stateDir(), { recursive: true, force: true });
};
const rows: Parameters<typeof table>[0] = [];
try {
  for (const windows of [1, 4]) {
    const panes = windows * 4;
    const raw = `raw chained tmux, ${panes} panes`;
    const ours = `./start.mts --no-attach, ${panes} panes`;
    const old = `before: ${ours}`;
    const tmuxp = `tmuxp load -d, ${panes} panes`;
    const tmuxinator = `tmuxinator start --no-attach, ${panes} panes`;
    const layout = windows === 4 ? sixteen : undefined;
    const cases: Case[] = [
      { what: raw, fn: () => sh('tmux', rawTmux(windows)), setup: fresh, teardown: killServer },
      ...(before ? [{ what: old, fn: start(layout, before), setup: freshState, teardown: dropState }] : []),
      { what: ours, fn: start(layout), setup: freshState, teardown: dropState },
      ...(have('tmuxp')
        ? [
            {
              what: tmuxp,
              fn: () => {
                sh('tmuxp', ['load', '-d', '-L', socket, '-y', tmuxpFile(windows)]);
              },
              setup: fresh,
              teardown: killServer,
            },
          ]
        : []),
      ...(have('tmuxinator')
        ? [
            {
              what: tmuxinator,
              fn: () => {
                sh('tmuxinator', ['start', '-p', tmuxinatorFile(windows), '--no-attach']);
              },
              setup: fresh,
              teardown: killServer,
              retries: 3,
            },
          ]
        : []),
    ];
    const ms = timeInterleaved(runs, cases);
    rows.push({ what: raw, ms: ms.get(raw) });
    if (before) rows.push({ what: old, ms: ms.get(old), vs: [tmuxinator, raw] });
    rows.push({ what: ours, ms: ms.get(ours), vs: [tmuxinator, raw], target: '<= 0.6x tmuxinator' });
    rows.push({ what: tmuxp, ms: ms.get(tmuxp), vs: [tmuxinator, raw] });
    rows.push({ what: tmuxinator, ms: ms.get(tmuxinator), vs: raw });
  }
  rows.push({ what: 'node -e 0', ms: timeMedian(runs, () => sh('node', ['-e', '0'])) });
  rows.push({
    what: './start.mts --dry-run',
    ms: timeMedian(runs, () => sh(join(root, 'start.mts'), ['--dry-run'], env, project)),
    vs: 'node -e 0',
    target: '< 150',
  });
  rows.push({
    what: 'scripts/orchestrate.mts --help',
    ms: timeMedian(runs, () => sh(join(root, 'scripts', 'orchestrate.mts'), ['--help'], env)),
    vs: 'node -e 0',
    target: '< 150',
  });
} finally {
  killServer();
  rmSync(dir, { recursive: true, force: true });
}
console.log(
  `bench/layout: median of ${runs} runs each (round-robin within each pane count), tmux ${sh('tmux', ['-V']).trim().split(' ')[1]}, ${new Date().toISOString().slice(0, 10)}\n`,
);
table(rows);
