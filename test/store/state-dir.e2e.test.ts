// Bad state directories and damaged stores, through the real entry points: one clear line, exit 2,
// fast, no tmux session left, and a damaged store.json never overwritten (kept aside on --restart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';

const LAYOUT = 'windows:\n  - name: w\n    panes:\n      - agent: w1\n      - command: sleep 60\n';

/** --state value (relative to a temp dir), what to set up there, and what stderr says. */
const cases: { name: string; state: string; setup?: (dir: string) => void; expect: RegExp }[] = [
  {
    name: 'a file',
    state: 'plain-file',
    setup: (d) => writeFileSync(join(d, 'plain-file'), 'x'),
    expect: /plain-file is a file, not a directory \(give --state a directory/,
  },
  {
    name: 'below a file',
    state: 'plain-file/state',
    setup: (d) => writeFileSync(join(d, 'plain-file'), 'x'),
    expect: /cannot create the state directory .*plain-file\/state: .*plain-file is a file, not a directory/,
  },
  {
    name: 'in /proc (where a recursive mkdir never returns)',
    state: '/proc/nope/state',
    expect: /cannot create the state directory \/proc\/nope\/state: this file system does not allow it at \/proc\/nope/,
  },
  {
    name: 'in /sys',
    state: '/sys/nope',
    expect:
      /cannot create the state directory \/sys\/nope: (operation not permitted|permission denied|read-only file system)/,
  },
  {
    name: 'whose agents folder is a file',
    state: 'st',
    setup: (d) => {
      mkdirSync(join(d, 'st'));
      writeFileSync(join(d, 'st', 'agents'), '');
    },
    expect: /st\/agents is a file, where the session keeps a folder/,
  },
  {
    name: 'whose store.json is a folder',
    state: 'st',
    setup: (d) => mkdirSync(join(d, 'st', 'store.json'), { recursive: true }),
    expect: /store\.json is not a file/,
  },
  {
    name: 'with a truncated store.json',
    state: 'st',
    setup: (d) => {
      mkdirSync(join(d, 'st'));
      writeFileSync(join(d, 'st', 'store.json'), '{"version":1,"session":{"name":"x","soc');
    },
    expect: /st\/store\.json is damaged \(not valid JSON: .*\); it was left as it is\. .*--restart/,
  },
  {
    name: 'with a store.json whose agent is null',
    state: 'st',
    setup: (d) => {
      mkdirSync(join(d, 'st'));
      writeFileSync(join(d, 'st', 'store.json'), '{"version":1,"agents":{"a":null}}');
    },
    expect: /store\.json is damaged \(agent "a" is not an agent record\)/,
  },
  {
    name: 'with a store.json whose tasks is a number',
    state: 'st',
    setup: (d) => {
      mkdirSync(join(d, 'st'));
      writeFileSync(join(d, 'st', 'store.json'), '{"version":1,"agents":{},"tasks":5}');
    },
    expect: /store\.json is damaged \("tasks" is not an object\)/,
  },
  {
    name: 'with an empty store.json',
    state: 'st',
    setup: (d) => {
      mkdirSync(join(d, 'st'));
      writeFileSync(join(d, 'st', 'store.json'), '');
    },
    expect: /store\.json is damaged \(it is empty\)/,
  },
];

for (const c of cases) {
  test(`bad state directory: ${c.name}`, async (t) => {
    const dir = tempDir(t);
    c.setup?.(dir);
    writeFileSync(join(dir, 'layout.yaml'), LAYOUT);
    const state = c.state.startsWith('/') ? c.state : join(dir, c.state);
    const before =
      existsSync(join(state, 'store.json')) && statSync(join(state, 'store.json')).isFile()
        ? readFileSync(join(state, 'store.json'), 'utf8')
        : undefined;
    const server = privateServer(t);
    const began = Date.now();
    const started = await run(
      startScript,
      ['--layout', join(dir, 'layout.yaml'), '--socket', server.socket!, '--state', state, '--no-attach'],
      { cwd: dir },
    );
    assert.ok(Date.now() - began < 10_000, 'fast');
    assert.equal(started.exitCode, 2, started.stdout + started.stderr);
    assert.match(started.stderr, c.expect);
    assert.equal(started.stderr.trim().split('\n').length, 1, `one line: ${started.stderr}`);
    assert.deepEqual(await server.panes(), [], 'no tmux session');
    // The readers say the same kind of thing, in one line, and exit 2 or 1 (no session there).
    const status = await run(orchestrateScript, ['status', '--state', state]);
    assert.notEqual(status.exitCode, 0);
    assert.doesNotMatch(status.stderr, /internal error|\n\s+at /, status.stderr);
    if (before !== undefined)
      assert.equal(readFileSync(join(state, 'store.json'), 'utf8'), before, 'the damaged store is left as it is');
  });
}

test('a damaged store: the recorder stops for good with the reason (no restart loop); --restart keeps it aside and starts afresh', {
  timeout: 60_000,
}, async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'layout.yaml'), LAYOUT);
  const state = join(dir, 'st');
  mkdirSync(state);
  const damaged = '{"version":1,"agents":{';
  writeFileSync(join(state, 'store.json'), damaged);
  const record = await run(orchestrateScript, ['record', '--state', state]);
  assert.equal(record.exitCode, 2, 'exit 2: the supervisor loop does not restart it');
  assert.match(record.stderr, /store\.json is damaged/);
  const status = await run(orchestrateScript, ['status', '--json', '--state', state]);
  assert.equal(status.exitCode, 2);
  assert.match(status.stderr, /store\.json is damaged/);

  const server = privateServer(t);
  const started = await run(
    startScript,
    ['--layout', join(dir, 'layout.yaml'), '--socket', server.socket!, '--state', state, '--no-attach', '--restart'],
    { cwd: dir },
  );
  assert.equal(started.exitCode, 0, started.stderr);
  const aside = readdirSync(state).filter((n) => n.startsWith('store.damaged-'));
  assert.equal(aside.length, 1);
  assert.equal(readFileSync(join(state, aside[0]!), 'utf8'), damaged, 'the damaged file is kept, byte for byte');
  assert.match(started.stdout, new RegExp(`store\\.json was damaged .*kept as .*${aside[0]!.replace(/[.]/g, '\\.')}`));
  const fresh = JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as {
    session: { ended_at: string | null };
    agents: Record<string, unknown>;
  };
  assert.deepEqual(
    [fresh.session.ended_at, Object.keys(fresh.agents)],
    [null, ['w1']],
    'a new store for the new session',
  );
  assert.ok((await server.panes()).length > 0, 'the session runs');
});
