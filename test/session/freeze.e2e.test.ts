// orchestrate freeze on a real tmux session (fake agents): the running session written back as a
// layout that `layout validate` accepts and that rebuilds the same windows, panes, layout strings,
// agents (roles, directories, flags) and command panes, including what was changed in tmux since.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import type { StoreData } from '../../src/store/types.js';
import type { Server } from '../../src/tmux/objects.js';

const LAYOUT = `session: frozen
dashboard: false
env: { SHARED: "1" }
defaults:
  permission_mode: acceptEdits
windows:
  - name: team
    layout: main-vertical
    panes:
      - agent: lead
        model: opus
        allowed_tools: [Read, "Bash(npm test *)"]
      - agent: w1
        cwd: api
        restart: on-failure
        env: { PORT: "3001", API_TOKEN: tok-SECRET123-freeze }
        append_system_prompt: Be brief.
      - command: sleep 600
        name: logs
  - name: second
    panes:
      - agent: w2
        role: reviewer
`;

/** What a session looks like in tmux, ids left out: windows with their layout strings, panes with what they run. */
async function shape(server: Server, state: string): Promise<unknown> {
  const store = JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  const panes = (await server.panes()).filter((p) => p.window_name !== 'control');
  const windows = [...new Set(panes.map((p) => p.window_id))].map((w) => panes.filter((p) => p.window_id === w));
  // The launch script with the agent's env file (its env: values) in it.
  const launch = (agent: string): string =>
    [
      readFileSync(join(state, 'agents', agent, 'env'), 'utf8'),
      readFileSync(join(state, 'agents', agent, 'launch.sh'), 'utf8'),
    ]
      .join('\n')
      .split('\n')
      .filter((l) => /^(cd|export) /.test(l) || l.includes('--settings'))
      .join('\n')
      .replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, 'ID')
      .replaceAll(state, 'STATE')
      // Each session has ports of its own: the same count, other numbers.
      .replace(/^(export ORCH_PORT(?:_\d+)?)=\d+$/gm, '$1=PORT');
  return windows.map((w) => ({
    name: w[0]!.window_name,
    layout: w[0]!.window_layout.replace(/^[0-9a-f]{4},/, ''),
    panes: w.map((p) =>
      p['@agent']
        ? {
            agent: p['@agent'],
            role: store.agents[p['@agent']]!.role,
            cwd: store.agents[p['@agent']]!.cwd,
            launch: launch(p['@agent']),
          }
        : { title: p.pane_title, cwd: p.pane_current_path },
    ),
  }));
}

test('freeze writes the running session as a layout that validates and rebuilds the same session', {
  timeout: 90_000,
}, async (t) => {
  const project = join(tempDir(t), 'project');
  mkdirSync(join(project, 'api'), { recursive: true });
  writeFileSync(join(project, 'layout.yaml'), LAYOUT);
  const state = join(tempDir(t), 'state');
  const server = privateServer(t);
  const started = await run(
    startScript,
    ['--layout', join(project, 'layout.yaml'), '--socket', server.socket!, '--state', state, '--no-attach'],
    { cwd: project },
  );
  assert.equal(started.exitCode, 0, started.stderr);
  // Changed in tmux after the start: a pane resized (a custom layout string now) and a window renamed.
  const lead = (await server.panes()).find((p) => p['@agent'] === 'lead')!;
  await server.cmd(['resize-pane', '-t', lead.pane_id, '-R', '7'], ['rename-window', '-t', lead.window_id, 'crew']);
  const before = await shape(server, state);

  const out = join(project, 'frozen.yaml');
  const frozen = await run(orchestrateScript, ['freeze', '--state', state, '--output', out]);
  assert.equal(frozen.exitCode, 0, frozen.stderr);
  const text = readFileSync(out, 'utf8');
  const doc = parse(text) as {
    root: string;
    env: Record<string, string>;
    windows: { name: string; layout: string; panes: Record<string, unknown>[] }[];
  };
  assert.equal(doc.root, '.', 'paths relative to the file');
  assert.deepEqual(doc.env, { SHARED: '1' });
  assert.deepEqual(
    doc.windows.map((w) => w.name),
    ['crew', 'second'],
  );
  assert.match(doc.windows[0]!.layout, /^[0-9a-f]{4},\d+x\d+,0,0[{[]/, 'a custom layout string');
  assert.deepEqual(
    doc.windows[0]!.panes.map((p) => p.agent ?? p.command),
    ['lead', 'w1', 'sleep 600'],
  );
  assert.deepEqual(doc.windows[0]!.panes[1], {
    agent: 'w1',
    role: 'worker',
    cwd: 'api',
    permission_mode: 'acceptEdits',
    append_system_prompt: 'Be brief.',
    env: { PORT: '3001', API_TOKEN: 'tok-SECRET123-freeze' },
    restart: 'on-failure',
  });
  assert.equal(statSync(out).mode & 0o777, 0o600, "a file with env: values in it is its user's only");
  const stdout = await run(orchestrateScript, ['freeze', '--state', state]);
  assert.equal(stdout.exitCode, 0, stdout.stderr);
  assert.ok(
    !stdout.stdout.includes('SECRET123') &&
      stdout.stdout.includes('API_TOKEN: "[redacted]"') &&
      stdout.stdout.includes('PORT: "3001"'),
    stdout.stdout,
  );
  assert.match(stdout.stderr, /the values of API_TOKEN are shown as \[redacted\]; --output FILE writes them/);
  assert.match(
    stdout.stdout,
    new RegExp(`root: ${project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`),
    'on standard output paths are absolute',
  );

  const valid = await run(orchestrateScript, ['layout', 'validate', out]);
  assert.equal(valid.exitCode, 0, valid.stderr);

  // The frozen layout rebuilds the same session on another server.
  const again = privateServer(t);
  const state2 = join(tempDir(t), 'state2');
  const rebuilt = await run(
    startScript,
    ['--layout', out, '--socket', again.socket!, '--state', state2, '--no-attach'],
    { cwd: join(project, 'api') },
  );
  assert.equal(rebuilt.exitCode, 0, rebuilt.stderr);
  await retryUntil(
    async () => (await again.panes()).filter((p) => p.window_name !== 'control').length === 4,
    5000,
    'the rebuilt panes',
  );
  assert.deepEqual(await shape(again, state2), before);
});
