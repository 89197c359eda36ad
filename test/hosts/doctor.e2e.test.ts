// `orchestrate doctor` for a layout with hosts, against real sshd servers: a host set up right,
// one whose claude, folder, trust and credentials are missing, and one that does not answer;
// each problem names the host and the exact fix.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { onCleanup, tempDir } from '../helpers/tmux.js';
import { orchestrateScript } from '../helpers/cli.js';
import { sshWorld } from '../helpers/sshd.js';
import { claudeBin, FAKE_API_KEY } from '../helpers/claude-env.js';
import { writeClaudeHome } from '../../src/standin/claude-home.js';
import type { Finding } from '../../src/doctor/types.js';

test('doctor checks each host: login without a prompt, tmux, claude and its version, the folders, trust and credentials there, each problem with its fix', {
  timeout: 120_000,
}, async (t) => {
  const world = await sshWorld(t, 3, { names: ['good', 'bare', 'down'] });
  const [good, bare, down] = world.hosts as [(typeof world.hosts)[0], (typeof world.hosts)[0], (typeof world.hosts)[0]];
  good.run('mkdir -p project');
  writeClaudeHome(good.home, { apiKey: FAKE_API_KEY, trusted: [join(good.home, 'project')] });
  execFileSync('chown', ['-R', `${good.user}:`, good.home]);
  await down.stop();
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const layout = join(project, 'layout.yaml');
  writeFileSync(
    layout,
    `hosts:
  good: { ssh: ${good.alias}, root: project, claude: ${claudeBin}, env: { ANTHROPIC_API_KEY: ${FAKE_API_KEY} } }
  bare: { ssh: ${bare.alias}, root: project, claude: /nowhere/claude }
  down: { ssh: ${down.alias} }
windows:
  - panes:
      - { agent: w1, host: good }
      - { agent: w2, host: bare }
      - { agent: w3, host: down }
`,
  );
  const control = mkdtempSync('/tmp/orch-cm-');
  onCleanup(t, () => {
    try {
      execFileSync('pkill', ['-f', control]);
    } catch {
      /* none */
    }
    rmSync(control, { recursive: true, force: true });
  });
  const r = await execa(orchestrateScript, ['doctor', '--json', '--layout', layout], {
    cwd: project,
    reject: false,
    env: { ORCH_SSH_CONFIG: world.configFile, ORCH_SSH_CONTROL_DIR: control },
  });
  assert.equal(r.exitCode, 1, 'problems fail the doctor');
  const findings = (JSON.parse(String(r.stdout)) as { findings: Finding[] }).findings;
  const of = (host: string, check: string): Finding => {
    const f = findings.find((x) => x.check === check && x.summary.startsWith(`host ${host} `));
    assert.ok(f, `a ${check} finding for ${host} in ${JSON.stringify(findings, null, 1)}`);
    return f;
  };
  for (const check of ['host', 'host-tmux', 'host-claude', 'host-dirs', 'host-trust', 'host-onboarding', 'host-auth'])
    assert.equal(of('good', check).status, 'ok', `good: ${check}: ${of('good', check).summary}`);
  assert.match(of('good', 'host-claude').summary, /claude \d+\.\d+\.\d+ at /);

  assert.equal(of('bare', 'host-claude').status, 'problem');
  assert.match(of('bare', 'host-claude').fix!, /npm install -g @anthropic-ai\/claude-code.*claude: to its full path/);
  assert.equal(of('bare', 'host-dirs').status, 'problem');
  assert.match(of('bare', 'host-dirs').fix!, new RegExp(`ssh ${bare.alias} mkdir -p ${bare.home}/project`));
  assert.equal(of('bare', 'host-onboarding').status, 'problem');
  assert.equal(of('bare', 'host-auth').status, 'problem');
  assert.match(of('bare', 'host-auth').fix!, new RegExp(`^on bare \\(ssh ${bare.alias}\\): `));

  const unreachable = of('down', 'host');
  assert.equal(unreachable.status, 'problem');
  assert.match(unreachable.summary, /cannot log in without a prompt \(.*(refused|closed|timed out)/i);
  assert.match(unreachable.fix!, /ssh -o BatchMode=yes .* true.*ssh-copy-id/);
  assert.equal(
    findings.filter((f) => f.summary.startsWith('host down ')).length,
    1,
    'nothing more is said of a host that does not answer',
  );
});
