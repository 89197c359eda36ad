// ./start.mts --demo from a newcomer's point of view: no API key, real claude agents against the
// shipped API stand-in, a workflow that really writes files, and a summary.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, tempDir } from '../helpers/tmux.js';
import { run, startScript } from '../helpers/cli.js';
import { claudeBin } from '../helpers/claude-env.js';

test('./start.mts --demo runs a workflow with real agents and writes files', { timeout: 240_000 }, async (t) => {
  const dir = join(tempDir(t), 'demo');
  const server = privateServer(t);
  const env: Record<string, string> = {
    ORCH_DEMO_DIR: dir,
    CLAUDE_BIN: claudeBin,
    PATH: process.env.PATH ?? '/usr/bin:/bin',
  };
  const r = await run(startScript, ['--demo', '--socket', server.socket!], { env });
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /All 4 agents idle after/);
  assert.match(r.stdout, /module\s+running on worker-\d/);
  assert.match(r.stdout, /run r-\S+ of demo: done/);
  assert.match(r.stdout, /review\s+done\s+lead .*approved/);
  assert.equal(
    readFileSync(join(dir, 'project', 'greet.py'), 'utf8'),
    "def greet(name):\n    return f'Hello, {name}!'\n",
  );
  assert.match(readFileSync(join(dir, 'project', 'test_greet.py'), 'utf8'), /assert greet\('tmux'\) == 'Hello, tmux!'/);
  // Nothing was sent anywhere but the stand-in, which logged every request.
  const requests = readFileSync(join(dir, 'api.log'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { path: string });
  assert.ok(requests.filter((x) => x.path.startsWith('/v1/messages')).length >= 8, 'the agents talked to the stand-in');
});
