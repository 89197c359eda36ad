// The headless runner with a fake long-lived `claude -p` (test/fixtures/bin/fake-claude-print): queue
// order, files left by a crash, one process for many tasks, prompts passed verbatim on stdin,
// cancels, a claude that dies (the next task resumes the session in a new one), bad files, failures
// and the status events it appends. The real CLI is in test/e2e/headless.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AgentSpec } from '../../src/layout/types.js';
import { startRunner, LAYOUT_PROMPT_TASK, type Runner } from '../../src/headless/runner.js';
import { enqueuePrompt } from '../../src/headless/queue.js';
import { streamArgs } from '../../src/headless/args.js';
import type { HeadlessConfig } from '../../src/agents/headless-config.js';
import { onCleanup, retryUntil, tempDir } from '../helpers/tmux.js';
import { fixtures } from '../helpers/paths.js';

const fakeClaude = join(fixtures, 'bin', 'fake-claude-print');

/** What the fake logged: a process started (pid, argv), or a prompt it was given (pid, prompt). */
interface FakeLog {
  pid: number;
  argv?: string[];
  prompt?: string;
}

interface Bed {
  runner: Runner;
  prompts: string;
  log: string;
  screen: () => string;
  events: () => Record<string, unknown>[];
  starts: () => FakeLog[];
  given: () => FakeLog[];
  config: HeadlessConfig;
}

function bed(
  t: TestContext,
  opts: { prompt?: string; claudeBin?: string; before?: (prompts: string) => void } = {},
): Bed {
  const root = tempDir(t);
  const project = join(root, 'project');
  const agentDir = join(root, 'state', 'agents', 'h');
  const prompts = join(agentDir, 'prompts');
  mkdirSync(project, { recursive: true });
  mkdirSync(prompts, { recursive: true });
  const log = join(root, 'argv.log');
  writeFileSync(log, '');
  const agent: AgentSpec = {
    kind: 'agent',
    name: 'h',
    role: 'worker',
    cwd: project,
    permissionMode: 'acceptEdits',
    allowedTools: ['Bash(npm test *)', 'Write'],
    disallowedTools: [],
    args: [],
    env: {},
    restart: 'never',
    mode: 'headless',
    focus: false,
    ports: 0,
    account: 'default',
    rules: { allow: [], deny: [], ask: [] },
    ...(opts.prompt !== undefined ? { prompt: opts.prompt } : {}),
  };
  const config: HeadlessConfig = {
    agent,
    sessionId: randomUUID(),
    claudeBin: opts.claudeBin ?? fakeClaude,
    settingsFile: join(agentDir, 'settings.json'),
  };
  opts.before?.(prompts);
  let screen = '';
  const runner = startRunner({
    stateDir: join(root, 'state'),
    config,
    width: 80,
    color: false,
    interruptGraceMs: 300,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(root, 'home'), FAKE_CLAUDE_LOG: log },
    write: (text) => {
      screen += text;
    },
  });
  onCleanup(t, () => runner.stop());
  const lines = (file: string): string[] =>
    existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
  return {
    runner,
    prompts,
    log,
    config,
    screen: () => screen,
    events: () =>
      lines(join(agentDir, 'status.jsonl')).map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event),
    starts: () =>
      lines(log)
        .map((l) => JSON.parse(l) as FakeLog)
        .filter((e) => e.argv),
    given: () =>
      lines(log)
        .map((l) => JSON.parse(l) as FakeLog)
        .filter((e) => e.prompt !== undefined),
  };
}

const exits = (b: Bed): Record<string, unknown>[] => b.events().filter((e) => e.hook_event_name === 'HeadlessTaskExit');

test('prompts left from before the start run first, in name order, in one claude process given each on stdin', async (t) => {
  const tricky = '-starts with a dash; $(touch /tmp/nope) `x` "q" \'s\'\nsecond line\ttab ünïcode';
  const b = bed(t, {
    before: (dir) => {
      enqueuePrompt(dir, 2, 'second', tricky);
      enqueuePrompt(dir, 1, 'first', 'hello');
      writeFileSync(join(dir, '.00000003-partial.json.tmp'), '{"task":');
    },
  });
  await retryUntil(() => exits(b).length === 2, 10_000, 'two tasks');
  enqueuePrompt(b.prompts, 4, 'third', 'later');
  await retryUntil(() => exits(b).length === 3, 10_000, 'a task queued while it waited');
  assert.deepEqual(
    b.events().map((e) => e.hook_event_name),
    ['HeadlessReady', 'HeadlessTaskExit', 'HeadlessTaskExit', 'HeadlessTaskExit'],
  );
  assert.deepEqual(exits(b), [
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'first' },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'second' },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'third' },
  ]);
  const [start, ...others] = b.starts();
  assert.equal(others.length, 0, 'one claude for all three tasks');
  assert.deepEqual(start!.argv, streamArgs(b.config, false));
  assert.deepEqual(start!.argv!.slice(0, 9), [
    '-p',
    '--input-format',
    'stream-json',
    '--output-format',
    'stream-json',
    '--verbose',
    '--session-id',
    b.config.sessionId,
    '--settings',
  ]);
  assert.ok(
    start!.argv!.includes('--permission-mode') && start!.argv!.includes('Bash(npm test *)'),
    "the agent's flags from the layout",
  );
  assert.ok(!start!.argv!.includes('hello') && !start!.argv!.includes('--'), 'no prompt in argv');
  assert.deepEqual(
    b.given(),
    [
      { pid: start!.pid, prompt: 'hello' },
      { pid: start!.pid, prompt: tricky },
      { pid: start!.pid, prompt: 'later' },
    ],
    'each prompt arrives as one user message, byte for byte, in the same process',
  );
  assert.deepEqual(
    readdirSync(b.prompts),
    ['.00000003-partial.json.tmp'],
    'run prompts are removed; a file being written is left alone',
  );
  assert.match(
    b.screen(),
    /━━ task first ·[^\n]*\n› hello\nclaude started \(pid \d+, new session\)\n· session [0-9a-f]{8} · fake · acceptEdits[^\n]*\nOK: hello \(turn 1 of this process\)\n✓ done · 1 turn · \$0\.0100 · 0\.0 s\nwaiting for tasks/,
  );
  assert.match(
    b.screen(),
    /━━ task third ·[^\n]*\n› later\n· session [^\n]*\nOK: later \(turn 3 of this process\)\n/,
    'the conversation goes on',
  );
});

test('cancel: a running task is interrupted in the same claude, a queued one dropped, the cancel files removed, and the next task runs', async (t) => {
  const b = bed(t);
  enqueuePrompt(b.prompts, 1, 'slow', 'sleep please');
  enqueuePrompt(b.prompts, 2, 'queued', 'never run');
  enqueuePrompt(b.prompts, 3, 'after', 'after the cancel');
  await retryUntil(() => b.screen().includes('sleeping'), 10_000, 'the slow task running');
  writeFileSync(join(b.prompts, 'queued.cancel'), '');
  await retryUntil(() => b.screen().includes('dropped task queued'), 5000, 'the queued task dropped');
  assert.equal(exits(b).length, 0, "the running task is not touched by another task's cancel");
  writeFileSync(join(b.prompts, 'slow.cancel'), '');
  await retryUntil(() => exits(b).length === 2, 10_000, 'the slow task interrupted and the next one run');
  assert.deepEqual(exits(b), [
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'slow', cancelled: true },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'after' },
  ]);
  assert.equal(b.starts().length, 1, 'the interrupt stopped the turn, not the process');
  assert.deepEqual(
    b.given().map((g) => g.prompt),
    ['sleep please', 'after the cancel'],
  );
  assert.deepEqual(readdirSync(b.prompts), []);
  assert.match(b.screen(), /cancelling task slow\n(.*\n)*■ cancelled\n/);
});

test('a claude that ignores the interrupt gets SIGTERM, one that dies fails its task, and each next task resumes the session in a new claude', async (t) => {
  const b = bed(t);
  writeFileSync(join(b.prompts, '00000001-bad.json'), 'not json');
  enqueuePrompt(b.prompts, 2, 'stubborn', 'ignore-int');
  await retryUntil(() => b.screen().includes('sleeping'), 10_000, 'the stubborn task running');
  writeFileSync(join(b.prompts, 'stubborn.cancel'), '');
  enqueuePrompt(b.prompts, 3, 'broken', 'fail now');
  enqueuePrompt(b.prompts, 4, 'fine', 'all good');
  await retryUntil(() => exits(b).length === 3, 15_000, 'three tasks ended');
  assert.deepEqual(exits(b), [
    {
      hook_event_name: 'HeadlessTaskExit',
      exit_code: 143,
      task: 'stubborn',
      error: 'no error output',
      cancelled: true,
    },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 3, task: 'broken', error: 'boom: the fake failed' },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'fine' },
  ]);
  const starts = b.starts();
  assert.equal(starts.length, 3, 'a claude per task here: each one before was stopped or died');
  assert.deepEqual(
    starts.map((s) => s.argv!.slice(6, 8)),
    [
      ['--session-id', b.config.sessionId],
      ['--resume', b.config.sessionId],
      ['--resume', b.config.sessionId],
    ],
  );
  assert.deepEqual(
    b.given().map((g) => [g.pid, g.prompt]),
    [
      [starts[0]!.pid, 'ignore-int'],
      [starts[1]!.pid, 'fail now'],
      [starts[2]!.pid, 'all good'],
    ],
  );
  assert.deepEqual(readdirSync(b.prompts), ['00000001-bad.json.bad']);
  assert.match(b.screen(), /00000001-bad\.json cannot be run \(Unexpected token/);
  assert.match(b.screen(), /■ cancelled \(claude exited with code 143\)/);
  assert.match(b.screen(), /✗ claude exited with code 3 during the task\n {2}boom: the fake failed/);
});

test('claude killed in the middle of a task: the task fails, the next one resumes the session in a new claude', async (t) => {
  const b = bed(t);
  enqueuePrompt(b.prompts, 1, 'one', 'hello');
  await retryUntil(() => exits(b).length === 1, 10_000, 'the first task');
  enqueuePrompt(b.prompts, 2, 'long', 'sleep long');
  await retryUntil(() => b.screen().includes('sleeping'), 10_000, 'the long task running');
  const [first] = b.starts();
  process.kill(first!.pid, 'SIGKILL');
  await retryUntil(() => exits(b).length === 2, 10_000, 'the long task ended');
  assert.deepEqual(exits(b)[1], {
    hook_event_name: 'HeadlessTaskExit',
    exit_code: 137,
    task: 'long',
    error: 'no error output',
  });
  assert.match(b.screen(), /✗ claude exited with code 137 during the task/);
  assert.equal(b.starts().length, 1, 'no claude is started before a task needs one');
  enqueuePrompt(b.prompts, 3, 'next', 'go on');
  await retryUntil(() => exits(b).length === 3, 10_000, 'the next task');
  assert.deepEqual(exits(b)[2], { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'next' });
  const starts = b.starts();
  assert.equal(starts.length, 2);
  assert.deepEqual(starts[1]!.argv!.slice(6, 8), ['--resume', b.config.sessionId]);
  assert.deepEqual(b.given().at(-1), { pid: starts[1]!.pid, prompt: 'go on' });
});

test('an error result fails its task (exit code 1, its text) and the same claude takes the next task', async (t) => {
  const b = bed(t);
  enqueuePrompt(b.prompts, 1, 'bad', 'api-error please');
  enqueuePrompt(b.prompts, 2, 'good', 'hello');
  await retryUntil(() => exits(b).length === 2, 10_000, 'both tasks');
  assert.deepEqual(exits(b), [
    {
      hook_event_name: 'HeadlessTaskExit',
      exit_code: 1,
      task: 'bad',
      error: 'API Error: 500 fake',
      api_error_status: 500,
    },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'good' },
  ]);
  assert.equal(b.starts().length, 1);
  assert.match(b.screen(), /✗ API Error: 500 fake\n✗ failed \(API error 500\)/);
});

test('a missing claude executable fails the task (exit 127) and the runner goes on', async (t) => {
  const b = bed(t, { claudeBin: '/nonexistent/claude' });
  enqueuePrompt(b.prompts, 1, 'one', 'hello');
  enqueuePrompt(b.prompts, 2, 'two', 'hello again');
  await retryUntil(() => exits(b).length === 2, 10_000, 'both runs ended');
  assert.deepEqual(
    exits(b).map((e) => [e.task, e.exit_code]),
    [
      ['one', 127],
      ['two', 127],
    ],
  );
  assert.match(String(exits(b)[0]!.error), /cannot run \/nonexistent\/claude: spawn \/nonexistent\/claude ENOENT/);
  assert.deepEqual(readdirSync(b.prompts), []);
});

test("the layout's prompt runs first in a new session, and the runner is ready after it", async (t) => {
  const b = bed(t, { prompt: 'read the README', before: (dir) => enqueuePrompt(dir, 1, 'queued', 'then this') });
  await retryUntil(() => exits(b).length === 2, 10_000, 'both runs');
  assert.deepEqual(
    b.events().map((e) => `${String(e.hook_event_name)}${e.task ? ` ${String(e.task)}` : ''}`),
    [`HeadlessTaskExit ${LAYOUT_PROMPT_TASK}`, 'HeadlessReady', 'HeadlessTaskExit queued'],
  );
  assert.equal(b.starts().length, 1);
  assert.deepEqual(b.starts()[0]!.argv!.slice(6, 8), ['--session-id', b.config.sessionId]);
  assert.deepEqual(
    b.given().map((g) => g.prompt),
    ['read the README', 'then this'],
  );
});

test('stopping the runner stops its idle claude', async (t) => {
  const b = bed(t);
  enqueuePrompt(b.prompts, 1, 'one', 'hello');
  await retryUntil(() => exits(b).length === 1, 10_000, 'the task');
  const pid = b.starts()[0]!.pid;
  assert.doesNotThrow(() => process.kill(pid, 0), 'claude waits for the next task');
  await b.runner.stop();
  assert.throws(() => process.kill(pid, 0), /ESRCH/);
});
