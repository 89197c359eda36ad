// Features of agents on a host, against a real OpenSSH server the test starts: what a host that is
// down does to diff and merge (one line, no stack), and the layout's worktrees.copy/link there.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { privateServer, retryUntil, tempDir, onCleanup } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import { sshWorld, type SshWorld } from '../helpers/sshd.js';
import type { StoreData } from '../../src/store/types.js';

interface OneHost { world: SshWorld; state: string; store: () => StoreData; orch: (args: string[]) => ReturnType<typeof run> }

/** A local lead and w1 on host h1 (a git repository at project/ there), fake claudes running the real hooks; extra is added to the layout. */
async function startOneHost(t: TestContext, extra: string, prepare: (h: SshWorld['hosts'][number]) => void = () => {}): Promise<OneHost> {
  const world = await sshWorld(t, 1, { names: ['h1'] });
  const h1 = world.hosts[0]!;
  const dir = mkdtempSync('/tmp/orch-fake-');
  chmodSync(dir, 0o755);
  const fake = join(dir, 'fake-claude-repl');
  copyFileSync(join(fixtures, 'bin', 'fake-claude-repl'), fake);
  chmodSync(fake, 0o755);
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true }));
  h1.run('mkdir -p project && git config --global user.email a@b.c && git config --global user.name box && git config --global init.defaultBranch main');
  h1.run('cd project && git init -q && echo base > shared.txt && git add . && git commit -qm base');
  prepare(h1);
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  writeFileSync(join(project, 'layout.yaml'), `session: feat
hosts:
  h1: { ssh: ${h1.alias}, root: project, claude: ${fake}, env: { FAKE_ANSWER_MS: "20" } }
${extra}windows:
  - name: team
    panes:
      - { agent: lead }
      - { agent: w1, host: h1, worktree: true }
`);
  const state = join(tempDir(t), 'state');
  const control = mkdtempSync('/tmp/orch-cm-');
  onCleanup(t, () => { try { execFileSync('pkill', ['-f', control]); } catch { /* none left */ } rmSync(control, { recursive: true, force: true }); });
  const env = { CLAUDE_BIN: join(fixtures, 'bin', 'fake-claude-repl'), ORCH_SSH_CONFIG: world.configFile, ORCH_SSH_CONTROL_DIR: control };
  const server = privateServer(t);
  const started = await run(startScript, ['--socket', server.socket!, '--state', state, '--no-attach', '--layout', join(project, 'layout.yaml')], { cwd: project, env });
  assert.equal(started.exitCode, 0, `${started.stdout}\n${started.stderr}`);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  const orch = (args: string[]): ReturnType<typeof run> => run(orchestrateScript, [...args, '--state', state], { env });
  await retryUntil(() => Object.values(store().agents).every((a) => a.status === 'idle'), 30_000, 'every agent idle');
  return { world, state, store, orch };
}

test('diff and merge of an agent whose host is down: one line naming the host, ssh\'s reason and what to do, exit non-zero, no stack trace', { timeout: 120_000 }, async (t) => {
  const s = await startOneHost(t, '');
  const h1 = s.world.hosts[0]!;
  h1.run(`cd ${s.store().agents.w1!.worktree!.path} && echo one > shared.txt && git commit -qam one`);
  await h1.stop();
  for (const args of [['diff', 'w1'], ['merge', 'w1']]) {
    const r = await s.orch(args);
    assert.notEqual(r.exitCode, 0, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `${args.join(' ')} says one line: ${r.stderr}`);
    assert.match(lines[0]!, /host h1 cannot be reached: .*(refused|closed|reset|timed out).*doctor/i);
    assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
    assert.doesNotMatch(r.stderr, /internal error/);
  }
  await h1.start();
  const ended = await s.orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
});
