// Secrets stay secret: the layout's env: values reach each pane's processes through files of mode
// 0600 only, never a command line (the tmux server keeps the argv of the client that started it,
// for any local user's ps), and no printout shows them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { cmdlinesWith, commandLine, environsWith, exposed, filesWith, uniqueSecret } from '../helpers/secrets.js';
import { readEnvFile, redactor, tmuxEnvConf, writeEnvFile } from '../../src/util/secrets.js';
import { execFileSync } from 'node:child_process';

test('env: values reach the agents, a headless runner and a command pane by 0600 files only; no command line, open file or printout holds them', async (t) => {
  const dir = tempDir(t);
  const project = join(dir, 'project');
  mkdirSync(project);
  const state = join(dir, 'state');
  const key = uniqueSecret();
  const own = uniqueSecret('pw-');
  const runnerToken = uniqueSecret('hw-');
  const paneToken = uniqueSecret('cmd-');
  const layout = join(dir, 'secrets.yaml');
  writeFileSync(
    layout,
    `session: sec\nroot: ${JSON.stringify(project)}\nenv: { ANTHROPIC_API_KEY: ${key}, OTHER: plain }\nwindows:\n  - panes:\n` +
      `      - agent: lead\n      - agent: w1\n        env: { DB_PASSWORD: ${own} }\n      - agent: hw\n        mode: headless\n        env: { HW_TOKEN: ${runnerToken} }\n` +
      `      - command: sleep 100000\n        name: cmd\n        env: { CMD_TOKEN: ${paneToken} }\n`,
  );
  const secrets = [key, own, runnerToken, paneToken];

  // Printouts: --dry-run and layout validate name the variables, never their values.
  const dry = await run(startScript, ['--dry-run', '--layout', layout, '--state', state], { cwd: project });
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.deepEqual(
    secrets.filter((s) => dry.stdout.includes(s) || dry.stderr.includes(s)),
    [],
    dry.stdout,
  );
  assert.ok(!dry.stdout.includes('plain'), 'even a plain-named value is not shown');
  assert.match(dry.stdout, /^# agent w1 .*ANTHROPIC_API_KEY OTHER DB_PASSWORD:$/m);
  const validated = await run(orchestrateScript, ['layout', 'validate', layout]);
  assert.equal(validated.exitCode, 0, validated.stderr);
  assert.deepEqual(
    secrets.filter((s) => validated.stdout.includes(s) || validated.stderr.includes(s)),
    [],
  );

  const server = privateServer(t);
  // A token in the caller's own environment goes the same ways (environments only, never a file or an argv).
  const inherited = uniqueSecret('oauth-');
  const started = await run(
    startScript,
    ['--layout', layout, '--socket', server.socket!, '--state', state, '--no-attach'],
    { cwd: project, env: { CLAUDE_CODE_OAUTH_TOKEN: inherited } },
  );
  assert.equal(started.exitCode, 0, started.stderr);
  secrets.push(inherited);
  assert.deepEqual(
    secrets.filter((s) => started.stdout.includes(s)),
    [],
  );

  // Each process has its values in its environment: the agents' (fake) claudes, the headless runner's claude, the command pane's sleep.
  const holders = await retryUntil(
    () => {
      const found = {
        lead: environsWith('ANTHROPIC_API_KEY', key).filter((p) =>
          readFileSync(`/proc/${p}/environ`, 'utf8').includes('ORCH_AGENT=lead\0'),
        ),
        w1: environsWith('DB_PASSWORD', own),
        hw: environsWith('HW_TOKEN', runnerToken),
        cmd: environsWith('CMD_TOKEN', paneToken),
      };
      return Object.values(found).every((p) => p.length) && found;
    },
    15_000,
    "every pane's processes to run with their env: values",
  );
  // (A process seen a moment ago may have exited since: its command line reads empty.)
  const cmdOf = commandLine;
  assert.ok(
    holders.lead.some((p) => cmdOf(p).startsWith('sleep 100000')),
    "the lead's claude (the fake execs sleep) has the key",
  );
  assert.ok(
    holders.hw.some((p) => cmdOf(p).includes('headless')),
    "the headless runner has its agent's env",
  );
  assert.ok(
    holders.cmd.some((p) => cmdOf(p) === 'sleep 100000 '),
    "the command pane's command has its env",
  );
  assert.ok(environsWith('OTHER', 'plain').length >= 4);
  // The control window and panes opened later get the layout's env: as tmux's session environment.
  const sessionEnv = await server.cmd(['show-environment', '-t', 'sec', 'ANTHROPIC_API_KEY']);
  assert.equal(sessionEnv.trim(), `ANTHROPIC_API_KEY=${key}`);

  // No process on this machine, of any user, has one of them on its command line (the tmux server included).
  assert.deepEqual(
    secrets.flatMap((s) => cmdlinesWith(s)),
    [],
  );
  // Every file of the state directory that holds one is readable by its user only.
  const holding = secrets.flatMap((s) => filesWith(state, s));
  assert.deepEqual(exposed(holding), []);
  for (const agent of ['lead', 'w1', 'hw'])
    assert.equal(statSync(join(state, 'agents', agent, 'env')).mode & 0o777, 0o600);
  assert.deepEqual(
    secrets.filter((s) => !holding.some((f) => readFileSync(f.file, 'utf8').includes(s))),
    [inherited],
    "each env: value is in some file there; the caller's own token in none",
  );
  assert.ok(
    environsWith('CLAUDE_CODE_OAUTH_TOKEN', inherited).some((p) => holders.lead.includes(p)),
    "the agents get the caller's own token",
  );
  assert.ok(!readFileSync(join(state, 'agents', 'hw', 'headless.json'), 'utf8').includes(runnerToken));
  const status = await run(orchestrateScript, ['status', '--state', state]);
  assert.deepEqual(
    secrets.filter((s) => status.stdout.includes(s)),
    [],
  );
});

test("awkward env: values pass through tmux's source-file and the env files unchanged, and one rule redacts secret-named ones", async (t) => {
  const dir = tempDir(t);
  const values = {
    A: 'it\'s "quoted" $HOME ~ \\n #{pane_id} #(id) ; } { %if',
    B: '~/start',
    C: '',
    D: 'ÿ 日本語\ttab\nnewline',
    E: 'plain',
  };
  const server = privateServer(t);
  await server.cmd(['new-session', '-d', '-s', 'envs', 'sleep', '1000']);
  const conf = join(dir, 'tmux-env.conf');
  writeFileSync(conf, tmuxEnvConf('envs', values));
  await server.cmd(['source-file', conf]);
  for (const [k, v] of Object.entries(values))
    assert.equal((await server.cmd(['show-environment', '-t', 'envs', k])).replace(/\n$/, ''), `${k}=${v}`, k);
  const file = join(dir, 'env');
  writeEnvFile(file, values);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.deepEqual(readEnvFile(file), values);
  const shell = execFileSync('/bin/sh', ['-c', '. "$1" && env', 'sh', file], { encoding: 'utf8', env: {} });
  for (const [k, v] of Object.entries(values)) assert.ok(shell.includes(`${k}=${v}\n`), k);
  const redact = redactor([], {
    ANTHROPIC_API_KEY: 'sk-test-SECRET123',
    DB_PASSWORD: 'hunter2-long',
    GITHUB_TOKEN: 'ghp_abcdefgh',
    DATABASE_URL: 'postgres://x',
  });
  assert.equal(
    redact('key sk-test-SECRET123, pw hunter2-long, gh ghp_abcdefgh, url postgres://x, sk-ant-api03-abcdefghij'),
    'key [redacted], pw [redacted], gh [redacted], url postgres://x, [redacted]',
  );
});
