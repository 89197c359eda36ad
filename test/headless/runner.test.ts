// The headless runner with a fake `claude -p` (test/fixtures/bin/fake-claude-print): queue order,
// files left by a crash, --session-id then --resume, prompts passed verbatim, cancels, bad files,
// failures and the status events it appends. The real CLI is in test/e2e/headless.test.ts.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AgentSpec } from '../../src/layout/types.js';
import { startRunner, LAYOUT_PROMPT_TASK, type Runner } from '../../src/headless/runner.js';
import { enqueuePrompt } from '../../src/headless/queue.js';
import { printArgs } from '../../src/headless/args.js';
import type { HeadlessConfig } from '../../src/agents/headless-config.js';
import { onCleanup, retryUntil, tempDir } from '../helpers/tmux.js';
import { fixtures } from '../helpers/paths.js';

const fakeClaude = join(fixtures, 'bin', 'fake-claude-print');

interface Bed { runner: Runner; prompts: string; log: string; screen: () => string; events: () => Record<string, unknown>[]; argvs: () => string[][]; config: HeadlessConfig }

function bed(t: TestContext, opts: { prompt?: string; claudeBin?: string; before?: (prompts: string) => void } = {}): Bed {
  const root = tempDir(t);
  const project = join(root, 'project');
  const agentDir = join(root, 'state', 'agents', 'h');
  const prompts = join(agentDir, 'prompts');
  mkdirSync(project, { recursive: true });
  mkdirSync(prompts, { recursive: true });
  const log = join(root, 'argv.log');
  writeFileSync(log, '');
  const agent: AgentSpec = {
    kind: 'agent', name: 'h', role: 'worker', cwd: project, permissionMode: 'acceptEdits', allowedTools: ['Bash(npm test *)', 'Write'],
    disallowedTools: [], args: [], env: {}, restart: 'never', mode: 'headless', focus: false, ports: 0, account: 'default', rules: { allow: [], deny: [], ask: [] }, ...(opts.prompt !== undefined ? { prompt: opts.prompt } : {}),
  };
  const config: HeadlessConfig = { agent, sessionId: randomUUID(), claudeBin: opts.claudeBin ?? fakeClaude, settingsFile: join(agentDir, 'settings.json') };
  opts.before?.(prompts);
  let screen = '';
  const runner = startRunner({
    stateDir: join(root, 'state'), config, width: 80, color: false, interruptGraceMs: 300,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: join(root, 'home'), FAKE_CLAUDE_LOG: log },
    write: (text) => { screen += text; },
  });
  onCleanup(t, () => runner.stop());
  const lines = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
  return {
    runner, prompts, log, config,
    screen: () => screen,
    events: () => lines(join(agentDir, 'status.jsonl')).map((l) => (JSON.parse(l) as { event: Record<string, unknown> }).event),
    argvs: () => lines(log).map((l) => JSON.parse(l) as string[]),
  };
}

const exits = (b: Bed): Record<string, unknown>[] => b.events().filter((e) => e.hook_event_name === 'HeadlessTaskExit');

test('prompts left from before the start run first, in name order, one session: --session-id once, then --resume', async (t) => {
  const tricky = '-starts with a dash; $(touch /tmp/nope) `x` "q" \'s\'\nsecond line\ttab ünïcode';
  const b = bed(t, {
    before: (dir) => {
      enqueuePrompt(dir, 2, 'second', tricky);
      enqueuePrompt(dir, 1, 'first', 'hello');
      writeFileSync(join(dir, '.00000003-partial.json.tmp'), '{"task":');
    },
  });
  await retryUntil(() => exits(b).length === 2, 10_000, 'two runs');
  assert.deepEqual(b.events().map((e) => e.hook_event_name), ['HeadlessReady', 'HeadlessTaskExit', 'HeadlessTaskExit']);
  assert.deepEqual(exits(b), [
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'first' },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'second' },
  ]);
  const [first, second] = b.argvs();
  assert.deepEqual(first, printArgs(b.config, 'hello', false));
  assert.deepEqual(first!.slice(0, 7), ['-p', '--output-format', 'stream-json', '--verbose', '--session-id', b.config.sessionId, '--settings']);
  assert.ok(first!.includes('--permission-mode') && first!.includes('Bash(npm test *)'), 'the agent\'s flags from the layout');
  assert.deepEqual(second!.slice(4, 6), ['--resume', b.config.sessionId]);
  assert.deepEqual(second!.slice(-2), ['--', tricky], 'the prompt arrives as one argument, byte for byte');
  assert.deepEqual(readdirSync(b.prompts), ['.00000003-partial.json.tmp'], 'run prompts are removed; a file being written is left alone');
  assert.match(b.screen(), /━━ task first ·[^\n]*\n› hello\n· session [0-9a-f]{8} · fake · acceptEdits[^\n]*\nOK: hello\n✓ done · 1 turn · \$0\.0100 · 0\.0 s\nwaiting for tasks/);
});

test('cancel: a running task is interrupted, a queued one dropped, the cancel files removed, and the next task runs', async (t) => {
  const b = bed(t);
  enqueuePrompt(b.prompts, 1, 'slow', 'sleep please');
  enqueuePrompt(b.prompts, 2, 'queued', 'never run');
  enqueuePrompt(b.prompts, 3, 'after', 'after the cancel');
  await retryUntil(() => b.screen().includes('sleeping'), 10_000, 'the slow task running');
  writeFileSync(join(b.prompts, 'queued.cancel'), '');
  await retryUntil(() => b.screen().includes('dropped task queued'), 5000, 'the queued task dropped');
  assert.equal(exits(b).length, 0, 'the running task is not touched by another task\'s cancel');
  writeFileSync(join(b.prompts, 'slow.cancel'), '');
  await retryUntil(() => exits(b).length === 2, 10_000, 'the slow task interrupted and the next one run');
  assert.deepEqual(exits(b), [
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'slow', cancelled: true },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 0, task: 'after' },
  ]);
  assert.deepEqual(b.argvs().map((a) => a.at(-1)), ['sleep please', 'after the cancel']);
  assert.deepEqual(readdirSync(b.prompts), []);
  assert.match(b.screen(), /■ cancelled \(claude exited with code 0\)/);
});

test('a claude that ignores SIGINT gets SIGTERM; a failing run reports its stderr; a bad prompt file is set aside', async (t) => {
  const b = bed(t);
  writeFileSync(join(b.prompts, '00000001-bad.json'), 'not json');
  enqueuePrompt(b.prompts, 2, 'stubborn', 'ignore-int');
  await retryUntil(() => b.screen().includes('sleeping'), 10_000, 'the stubborn task running');
  writeFileSync(join(b.prompts, 'stubborn.cancel'), '');
  enqueuePrompt(b.prompts, 3, 'broken', 'fail now');
  await retryUntil(() => exits(b).length === 2, 15_000, 'two runs ended');
  assert.deepEqual(exits(b), [
    { hook_event_name: 'HeadlessTaskExit', exit_code: 143, task: 'stubborn', error: 'no error output', cancelled: true },
    { hook_event_name: 'HeadlessTaskExit', exit_code: 3, task: 'broken', error: 'boom: the fake failed' },
  ]);
  assert.deepEqual(readdirSync(b.prompts), ['00000001-bad.json.bad']);
  assert.match(b.screen(), /00000001-bad\.json cannot be run \(Unexpected token/);
  assert.match(b.screen(), /✗ claude -p exited with code 3\n {2}boom: the fake failed/);
});

test('a missing claude executable fails the task (exit 127) and the runner goes on', async (t) => {
  const b = bed(t, { claudeBin: '/nonexistent/claude' });
  enqueuePrompt(b.prompts, 1, 'one', 'hello');
  enqueuePrompt(b.prompts, 2, 'two', 'hello again');
  await retryUntil(() => exits(b).length === 2, 10_000, 'both runs ended');
  assert.deepEqual(exits(b).map((e) => [e.task, e.exit_code]), [['one', 127], ['two', 127]]);
  assert.match(String(exits(b)[0]!.error), /cannot run \/nonexistent\/claude: spawn \/nonexistent\/claude ENOENT/);
  assert.deepEqual(readdirSync(b.prompts), []);
});

test('the layout\'s prompt runs first in a new session, and the runner is ready after it', async (t) => {
  const b = bed(t, { prompt: 'read the README', before: (dir) => enqueuePrompt(dir, 1, 'queued', 'then this') });
  await retryUntil(() => exits(b).length === 2, 10_000, 'both runs');
  assert.deepEqual(b.events().map((e) => `${String(e.hook_event_name)}${e.task ? ` ${String(e.task)}` : ''}`),
    [`HeadlessTaskExit ${LAYOUT_PROMPT_TASK}`, 'HeadlessReady', 'HeadlessTaskExit queued']);
  assert.deepEqual(b.argvs().map((a) => a.slice(4, 5).concat(a.slice(-1))), [['--session-id', 'read the README'], ['--resume', 'then this']]);
});
