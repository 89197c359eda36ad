// Every failure a user can cause, through the real entry points: one clear line first, the
// documented exit code (README: Exit codes), and never "internal error" or a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { emptyStore, type StoreData } from '../../src/store/types.js';

/** A state directory whose store records a session that no recorder serves. */
function recordedSession(dir: string): string {
  const state = join(dir, 'recorded');
  mkdirSync(state);
  const data: StoreData = {
    ...emptyStore(),
    session: {
      name: 's',
      socket: 'no_such_socket',
      tmux_id: '$1',
      layout_file: join(dir, 'l.yaml'),
      root: dir,
      state_dir: state,
      created_at: new Date().toISOString(),
      ended_at: null,
      windows: [],
    },
    agents: {
      w1: {
        name: 'w1',
        role: 'worker',
        mode: 'interactive',
        pane: '%1',
        window: '@1',
        cwd: dir,
        session_id: 'x',
        launch_script: '',
        status: 'idle',
        reason: null,
        task: null,
        last_result: null,
        cost_usd: 0,
        updated_at: new Date().toISOString(),
      },
    },
    recorder: { pid: 2 ** 22 + 4321, started_at: new Date().toISOString() },
  };
  writeFileSync(join(state, 'store.json'), JSON.stringify(data));
  return state;
}

/** What the user ran (D: a temp dir, E: an empty folder in it, R: a recorded session with no recorder), the exit code, and the first line. */
const cases: { name: string; start?: true; args: string[]; code: number; first: RegExp }[] = [
  {
    name: 'a layout file that is not there',
    start: true,
    args: ['--layout', 'D/missing.yaml'],
    code: 2,
    first: /missing\.yaml: cannot read \(no such file\)/,
  },
  {
    name: 'a layout that is a folder',
    start: true,
    args: ['--layout', 'E'],
    code: 2,
    first: /: cannot read \(it is a directory, not a file\)/,
  },
  { name: 'an unknown option', start: true, args: ['--bogus'], code: 2, first: /Unknown option '--bogus'/ },
  {
    name: 'a socket name with a slash',
    start: true,
    args: ['--socket', 'a/b'],
    code: 2,
    first: /--socket "a\/b" is not a tmux socket name/,
  },
  {
    name: '--resume with --restart',
    start: true,
    args: ['--resume', '--restart'],
    code: 2,
    first: /--resume and --restart exclude each other/,
  },
  {
    name: 'resume with nothing to resume',
    start: true,
    args: ['--resume', '--state', 'E', '--layout', 'D/l.yaml'],
    code: 1,
    first: /nothing to resume: no session is recorded in/,
  },
  { name: 'an unknown command', args: ['nope'], code: 2, first: /unknown command "nope"/ },
  {
    name: 'status of a folder without a session',
    args: ['status', '--state', 'E'],
    code: 2,
    first: /no session in .*\(it has no store\.json\)/,
  },
  { name: 'status of a file', args: ['status', '--state', 'D/l.yaml'], code: 2, first: /l\.yaml is not a directory/ },
  { name: 'handover without a session', args: ['handover', '--state', 'E'], code: 2, first: /no session in/ },
  { name: 'session end without a session', args: ['session', 'end', '--state', 'E'], code: 2, first: /no session in/ },
  {
    name: 'record without a session',
    args: ['record', '--state', 'E'],
    code: 2,
    first: /no session recorded in .*\.\/start\.mts records one/,
  },
  {
    name: 'dispatch with no recorder running',
    args: ['dispatch', '--state', 'R', 'w1', 'hello'],
    code: 1,
    first: /the recorder of session "s" is not running/,
  },
  {
    name: 'dispatch to an agent that is not there',
    args: ['dispatch', '--state', 'R', 'w9', 'hello'],
    code: 1,
    first: /the recorder of session "s" is not running|no agent named "w9"/,
  },
  {
    name: 'dispatch without a prompt',
    args: ['dispatch', '--state', 'R', 'w1'],
    code: 2,
    first: /give an AGENT and a PROMPT/,
  },
  {
    name: 'a timeout that is not a number',
    args: ['wait', '--state', 'R', '--timeout', 'soon', 'x'],
    code: 2,
    first: /--timeout wants a number of seconds/,
  },
  {
    name: 'the result of a task that is not there',
    args: ['result', '--state', 'R', 't-nope'],
    code: 1,
    first: /no task "t-nope" in this session/,
  },
  {
    name: 'a workflow file that is not there',
    args: ['run', '--state', 'R', 'D/none.yaml'],
    code: 2,
    first: /none\.yaml: cannot read \(no such file\)/,
  },
  {
    name: 'resuming a run that is not there',
    args: ['run', '--state', 'R', '--resume', 'r-nope'],
    code: 1,
    first: /no run "r-nope" in this session/,
  },
  {
    name: 'validating a layout that is not there',
    args: ['layout', 'validate', 'D/none.yaml'],
    code: 2,
    first: /none\.yaml: cannot read \(no such file\)/,
  },
  {
    name: 'validating a workflow that is not there',
    args: ['workflow', 'validate', 'D/none.yaml'],
    code: 2,
    first: /none\.yaml: cannot read \(no such file\)/,
  },
  {
    name: 'a headless runner for an agent that is not headless',
    args: ['headless', '--state', 'R', '--agent', 'w1'],
    code: 1,
    first: /no headless agent "w1"/,
  },
  {
    name: 'a dashboard port that is not a number',
    args: ['dashboard', '--state', 'R', '--port', 'abc'],
    code: 2,
    first: /--port/,
  },
];

for (const c of cases) {
  test(`user error: ${c.name}`, async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'empty'));
    writeFileSync(join(dir, 'l.yaml'), 'windows:\n  - panes:\n      - command: sleep 1\n');
    const recorded = recordedSession(dir);
    const args = c.args.map((a) =>
      a === 'E' ? join(dir, 'empty') : a === 'R' ? recorded : a.replace(/^D\//, `${dir}/`),
    );
    const result = await run(c.start ? startScript : orchestrateScript, args, { cwd: dir });
    assert.equal(result.exitCode, c.code, `exit code\n${result.stderr}`);
    const first = result.stderr.split('\n')[0] ?? '';
    assert.match(first, c.first);
    assert.doesNotMatch(result.stderr, /internal error|\n\s+at [\w.<]+ \(/, 'no stack trace');
  });
}
