// bench/layout: wall time of ./start.mts --no-attach building 4 and 16 panes (with a stand-in
// agent that just waits), next to one chained raw tmux call, tmuxp and tmuxinator (when
// installed), and the start-up of --dry-run and `orchestrate --help` next to `node -e 0`.
// Run: npm run build && node dist/bench/layout.mjs [runs]
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { have, sh, table, timeMedian } from './measure.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const runs = Number(process.argv[2] ?? 15);
const dir = mkdtempSync(join(tmpdir(), 'orch-bench-'));
const project = join(dir, 'proj');
mkdirSync(project);
// A new server name per run: reusing one while the last server shuts down fails at random.
let runNo = 0;
let socket = `bench_${process.pid}_0`;
const nextSocket = (): void => { socket = `bench_${process.pid}_${++runNo}`; };
const env = { CLAUDE_BIN: join(root, 'test', 'fixtures', 'bin', 'fake-claude'), ORCH_NO_REBUILD: '1' };
const socketFile = (): string => join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket);
// tmux 3.3 leaves the socket file behind after kill-server: remove it too.
const killServer = (): void => { try { sh('tmux', ['-L', socket, 'kill-server']); } catch { /* not running */ } rmSync(socketFile(), { force: true }); };
const fresh = (): void => { killServer(); nextSocket(); };

const sixteen = join(dir, 'sixteen.yaml');
writeFileSync(sixteen, `windows:\n${[0, 1, 2, 3].map((w) => `  - name: w${w}\n    panes:\n${[0, 1, 2, 3].map((p) => `      - agent: a${w}${p}\n`).join('')}`).join('')}`);

/** One chained tmux call that makes the same windows and panes. */
function rawTmux(windows: number): string[] {
  const args = ['-L', socket];
  for (let w = 0; w < windows; w++) {
    args.push(...(w === 0 ? ['new-session', '-d', '-s', 'raw', '-x', '240', '-y', '64'] : [';', 'new-window']), 'sleep 1000');
    for (let p = 1; p < 4; p++) args.push(';', 'split-window', 'sleep 1000');
    args.push(';', 'select-layout', 'tiled');
  }
  return args;
}

const tmuxpFile = (windows: number): string => {
  const file = join(dir, `tmuxp${windows}.yaml`);
  writeFileSync(file, `session_name: tp\nstart_directory: ${project}\nwindows:\n${Array.from({ length: windows }, (_, w) => `  - window_name: w${w}\n    layout: tiled\n    panes: [sleep 1000, sleep 1000, sleep 1000, sleep 1000]\n`).join('')}`);
  return file;
};
const tmuxinatorFile = (windows: number): string => {
  const file = join(dir, `tmuxinator${windows}.yml`);
  writeFileSync(file, `name: ti${windows}\nroot: ${project}\nsocket_name: ${socket}\nwindows:\n${Array.from({ length: windows }, (_, w) => `  - w${w}:\n      layout: tiled\n      panes: [sleep 1000, sleep 1000, sleep 1000, sleep 1000]\n`).join('')}`);
  return file;
};

const start = (layout?: string) => () => sh(join(root, 'start.mts'), ['--no-attach', '--socket', socket, '--state', join(dir, 'state'), ...(layout ? ['--layout', layout] : [])], env, project);
const rows: Parameters<typeof table>[0] = [];
try {
  for (const windows of [1, 4]) {
    const panes = windows * 4;
    rows.push({ what: `raw chained tmux, ${panes} panes`, ms: timeMedian(runs, () => sh('tmux', rawTmux(windows)), fresh, killServer) });
    rows.push({ what: `./start.mts --no-attach, ${panes} panes`, ms: timeMedian(runs, start(windows === 4 ? sixteen : undefined), fresh, killServer), vs: `raw chained tmux, ${panes} panes`, target: panes === 4 ? '< 200' : '< 300' });
    rows.push({ what: `tmuxp load -d, ${panes} panes`, ms: have('tmuxp') ? timeMedian(runs, () => sh('tmuxp', ['load', '-d', '-L', socket, '-y', tmuxpFile(windows)]), fresh, killServer) : undefined, vs: `raw chained tmux, ${panes} panes` });
    rows.push({ what: `tmuxinator start --no-attach, ${panes} panes`, ms: have('tmuxinator') ? timeMedian(runs, () => sh('tmuxinator', ['start', '-p', tmuxinatorFile(windows), '--no-attach']), fresh, killServer) : undefined, vs: `raw chained tmux, ${panes} panes` });
  }
  rows.push({ what: 'node -e 0', ms: timeMedian(runs, () => sh('node', ['-e', '0'])) });
  rows.push({ what: './start.mts --dry-run', ms: timeMedian(runs, () => sh(join(root, 'start.mts'), ['--dry-run'], env, project)), vs: 'node -e 0', target: '< 150' });
  rows.push({ what: 'scripts/orchestrate.mts --help', ms: timeMedian(runs, () => sh(join(root, 'scripts', 'orchestrate.mts'), ['--help'], env)), vs: 'node -e 0', target: '< 150' });
} finally {
  killServer();
  rmSync(dir, { recursive: true, force: true });
}
console.log(`bench/layout: median of ${runs} runs each, tmux ${sh('tmux', ['-V']).trim().split(' ')[1]}, ${new Date().toISOString().slice(0, 10)}\n`);
table(rows);
