// How a headless agent is launched: its pane's script runs our runner (not claude), its settings
// carry every hook but SessionEnd, the runner's configuration is written beside them, and
// ./start.mts --dry-run shows the runner's command line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { agentArgv, writeLaunchScript } from '../../src/agents/launch.js';
import { readHeadlessConfig } from '../../src/agents/headless-config.js';
import { streamArgs } from '../../src/headless/args.js';
import type { AgentSpec } from '../../src/layout/types.js';
import { tempDir } from '../helpers/tmux.js';
import { run, startScript } from '../helpers/cli.js';
import { repoRoot } from '../helpers/paths.js';

const spec = (cwd: string, mode: AgentSpec['mode']): AgentSpec => ({
  kind: 'agent',
  name: 'hw',
  role: 'worker',
  cwd,
  model: 'sonnet',
  permissionMode: 'acceptEdits',
  allowedTools: ['Write'],
  disallowedTools: [],
  appendSystemPrompt: 'be brief',
  args: ['--add-dir', '/tmp'],
  env: { A: '1' },
  prompt: 'start here',
  restart: 'on-failure',
  mode,
  focus: false,
  ports: 0,
  account: 'default',
  rules: { allow: [], deny: [], ask: [] },
});

test("a headless agent's launch script runs the runner with its settings (no SessionEnd hook) and configuration", (t) => {
  const state = tempDir(t);
  const agent = spec(tempDir(t), 'headless');
  const sessionId = '0b9f6a52-0000-4000-8000-000000000001';
  writeLaunchScript(agent, { claudeBin: '/opt/claude', sessionId, stateDir: state, sessionName: 's', env: {} });
  const dir = join(state, 'agents', 'hw');
  const script = readFileSync(join(dir, 'launch.sh'), 'utf8');
  const runner = `${process.execPath} ${join(repoRoot, 'dist', 'bin', 'orchestrate.mjs')} headless --state ${state} --agent hw`;
  assert.ok(script.includes(`then ${runner}; else set_aside; ${runner}; fi`), script);
  assert.ok(!script.includes('/opt/claude'), 'the pane does not run claude itself');
  assert.match(script, /^restart=1$/m);
  assert.match(script, /^export ORCH_AGENT=hw$/m);
  const hooks = Object.keys((JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')) as { hooks: object }).hooks);
  assert.ok(hooks.includes('Stop') && hooks.includes('StopFailure') && hooks.includes('UserPromptSubmit'));
  assert.ok(!hooks.includes('SessionEnd'), 'a claude that exits ends its session; the agent goes on');
  assert.ok(existsSync(join(dir, 'prompts')));
  const config = readHeadlessConfig(state, 'hw');
  // Its env: values are not in this file (they stay in its env file, mode 0600; the runner inherits them).
  assert.deepEqual(config, {
    agent: { ...agent, env: {} },
    sessionId,
    claudeBin: '/opt/claude',
    settingsFile: join(dir, 'settings.json'),
  });
  assert.match(readFileSync(join(dir, 'env'), 'utf8'), /^export A=1$/m);
  assert.deepEqual(
    streamArgs(config, true),
    [
      '-p',
      '--input-format',
      'stream-json',
      '--output-format',
      'stream-json',
      '--verbose',
      '--resume',
      sessionId,
      '--settings',
      join(dir, 'settings.json'),
      '--model',
      'sonnet',
      '--permission-mode',
      'acceptEdits',
      '--allowedTools',
      'Write',
      '--append-system-prompt',
      'be brief',
      '--add-dir',
      '/tmp',
    ],
    "prompts go to stdin, never into argv (the layout's included)",
  );
  assert.deepEqual(streamArgs(config, false).slice(6, 8), ['--session-id', sessionId]);
  assert.deepEqual(
    agentArgv(spec('/x', 'interactive'), { claudeBin: '/opt/claude', sessionId, stateDir: state }).slice(0, 3),
    ['/opt/claude', '--session-id', sessionId],
  );
  assert.throws(() => readHeadlessConfig(state, 'nobody'), /no headless agent "nobody"/);
});

test('./start.mts --dry-run shows the runner for a headless agent', async (t) => {
  const dir = tempDir(t);
  const layout = join(dir, 'layout.yaml');
  writeFileSync(layout, 'windows:\n  - panes:\n      - agent: lead\n      - agent: hw\n        mode: headless\n');
  const result = await run(startScript, ['--dry-run', '--layout', layout, '--state', join(dir, 'state')], { cwd: dir });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(
    result.stdout,
    /fake-claude --session-id \S+ --settings \S+lead\/settings\.json --mcp-config \S+lead\/mcp\.json /m,
  );
  assert.ok(
    result.stdout
      .split('\n')
      .some((l) => l.endsWith(`orchestrate.mjs headless --state ${join(dir, 'state')} --agent hw`)),
    result.stdout,
  );
});
