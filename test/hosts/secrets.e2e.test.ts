// Secrets of agents here and on another host, with the real claude CLI: the layout's key and the
// host's env: values reach each claude (it starts without a login or key dialog and answers), yet
// no command line on this machine (ssh, sshd, either tmux server) holds them, and the files that
// do, here and there, are readable by their user only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { privateServer, retryUntil, tempDir, onCleanup } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { sshWorld } from '../helpers/sshd.js';
import { claudeBin, claudeEnv, startStandinForTest } from '../helpers/claude-env.js';
import { cmdlinesWith, commandLine, environsWith, exposed, filesWith, uniqueSecret } from '../helpers/secrets.js';
import { standinClaudeEnv, writeClaudeHome } from '../../src/standin/claude-home.js';
import type { StoreData } from '../../src/store/types.js';

test("the layout's API key and a host's env: reach the real claude here and there through 0600 files only: no command line holds them", {
  timeout: 180_000,
}, async (t) => {
  const key = `${uniqueSecret()}-approved-tail`;
  const hostToken = uniqueSecret('host-');
  const world = await sshWorld(t, 1, { names: ['box'] });
  const box = world.hosts[0]!;
  const standin = await startStandinForTest(t);
  box.run('mkdir -p project');
  // Both claude homes approve only the layout's key: a claude that got another key would stop at its dialog.
  writeClaudeHome(box.home, { apiKey: key, trusted: [join(box.home, 'project')] });
  execFileSync('chown', ['-R', `${box.user}:`, box.home]);
  const { HOME: _home, ANTHROPIC_API_KEY: _key, ...hostVars } = standinClaudeEnv(box.home, standin.url, key);
  const local = join(tempDir(t), 'project');
  mkdirSync(local);
  const { home, env: claudeVars } = claudeEnv(t, { standinUrl: standin.url, trust: [local] });
  writeClaudeHome(home, { apiKey: key, trusted: [local] });
  writeFileSync(
    join(local, 'layout.yaml'),
    `session: secret-hosts
env: { ANTHROPIC_API_KEY: ${key} }
hosts:
  box: { ssh: ${box.alias}, root: project, claude: ${claudeBin}, env: ${JSON.stringify({ ...hostVars, HOST_TOKEN: hostToken })} }
windows:
  - panes:
      - { agent: lead, permission_mode: acceptEdits }
      - { agent: w1, host: box, permission_mode: acceptEdits }
`,
  );
  const state = join(tempDir(t), 'state');
  const control = mkdtempSync('/tmp/orch-cm-');
  onCleanup(t, () => {
    try {
      execFileSync('pkill', ['-f', control]);
    } catch {
      /* none left */
    }
    rmSync(control, { recursive: true, force: true });
  });
  // This process's own key (the stand-in's usual one) is not approved: only the layout's may reach claude.
  const env = {
    ...claudeVars,
    CLAUDE_BIN: claudeBin,
    ORCH_SSH_CONFIG: world.configFile,
    ORCH_SSH_CONTROL_DIR: control,
  };
  const server = privateServer(t);
  const started = await run(
    startScript,
    ['--socket', server.socket!, '--state', state, '--no-attach', '--layout', join(local, 'layout.yaml')],
    { cwd: local, env },
  );
  assert.equal(started.exitCode, 0, `${started.stdout}\n${started.stderr}`);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(
    () => ['lead', 'w1'].every((a) => store().agents[a]!.status === 'idle'),
    60_000,
    `both claudes idle (${JSON.stringify(Object.values(store().agents).map((a) => [a.name, a.status, a.reason]))})`,
  );
  for (const agent of ['lead', 'w1']) {
    const r = await run(
      orchestrateScript,
      ['dispatch', '--wait', '--timeout', '90', '--state', state, agent, '--', `[[say answered by ${agent}]]`],
      { env },
    );
    assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`answered by ${agent}`));
  }

  // The key is in the environment of both claudes (here, and there as the host's user); the host's value in the one there.
  // (A process seen a moment ago may have exited since: its command line reads empty.)
  const cmd = commandLine;
  const claudes = environsWith('ANTHROPIC_API_KEY', key).filter((p) => /claude --session-id/.test(cmd(p)));
  assert.deepEqual(
    claudes.map((p) => cmd(p).match(/--session-id (\S+)/)?.[1]).sort(),
    [store().agents.lead!.session_id, store().agents.w1!.session_id].sort(),
  );
  assert.ok(
    environsWith('HOST_TOKEN', hostToken).some((p) => cmd(p).includes(`--session-id ${store().agents.w1!.session_id}`)),
  );
  // No command line on the machine holds either: ssh, sshd, tmux here and there, the shells between.
  assert.deepEqual([...cmdlinesWith(key), ...cmdlinesWith(hostToken)], []);
  // Files holding them, here and there, are their user's only.
  assert.deepEqual(exposed([...filesWith(state, key), ...filesWith(state, hostToken)]), []);
  const there = store().session!.hosts!.box!.state_dir;
  const remote = box.run(`grep -rlF -e ${key} -e ${hostToken} ${there} | xargs stat -c '%a %n'`).trim().split('\n');
  assert.deepEqual(remote, [`600 ${there}/agents/w1/env`], "there, only the agent's env file holds them, mode 0600");
  assert.match(box.run(`stat -c %a ${there}/agents/w1`).trim(), /^700$/, "in a folder only the host's user can enter");

  const ended = await run(orchestrateScript, ['session', 'end', '--force', '--state', state], { env });
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  await retryUntil(
    () => box.processes().length === 0,
    20_000,
    `nothing left on the box (${box.run(`ps -o pid=,args= -u ${box.user}`).trim()})`,
  );
});
