// Features of agents on a host, against a real OpenSSH server the test starts: what a host that is
// down does to diff and merge (one line, no stack), permission requests of the real claude there in
// the approvals queue here (approve lets it through, a layout rule denies), worktrees.copy/link there.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { privateServer, retryUntil, tempDir, onCleanup } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import { sshWorld, type SshWorld } from '../helpers/sshd.js';
import type { ApprovalRecord, StoreData } from '../../src/store/types.js';
import { claudeBin, FAKE_API_KEY, startStandinForTest } from '../helpers/claude-env.js';
import { standinClaudeEnv, writeClaudeHome } from '../../src/standin/claude-home.js';

interface OneHost {
  world: SshWorld;
  state: string;
  store: () => StoreData;
  orch: (args: string[]) => ReturnType<typeof run>;
}

/** A local lead and w1 on host h1 (a git repository at project/ there), fake claudes running the real hooks; extra is added to the layout, opts.w1 to w1's settings. */
async function startOneHost(
  t: TestContext,
  extra: string,
  opts: { prepare?: (h: SshWorld['hosts'][number]) => void; w1?: string } = {},
): Promise<OneHost> {
  const world = await sshWorld(t, 1, { names: ['h1'] });
  const h1 = world.hosts[0]!;
  const dir = mkdtempSync('/tmp/orch-fake-');
  chmodSync(dir, 0o755);
  const fake = join(dir, 'fake-claude-repl');
  copyFileSync(join(fixtures, 'bin', 'fake-claude-repl'), fake);
  chmodSync(fake, 0o755);
  onCleanup(t, () => rmSync(dir, { recursive: true, force: true }));
  h1.run(
    'mkdir -p project && git config --global user.email a@b.c && git config --global user.name box && git config --global init.defaultBranch main',
  );
  h1.run('cd project && git init -q && echo base > shared.txt && git add . && git commit -qm base');
  opts.prepare?.(h1);
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'layout.yaml'),
    `session: feat
hosts:
  h1: { ssh: ${h1.alias}, root: project, claude: ${fake}, env: { FAKE_ANSWER_MS: "20" } }
${extra}windows:
  - name: team
    panes:
      - { agent: lead }
      - { agent: w1, host: h1, worktree: true${opts.w1 ? `, ${opts.w1}` : ''} }
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
  const env = {
    CLAUDE_BIN: join(fixtures, 'bin', 'fake-claude-repl'),
    ORCH_SSH_CONFIG: world.configFile,
    ORCH_SSH_CONTROL_DIR: control,
  };
  const server = privateServer(t);
  const started = await run(
    startScript,
    ['--socket', server.socket!, '--state', state, '--no-attach', '--layout', join(project, 'layout.yaml')],
    { cwd: project, env },
  );
  assert.equal(started.exitCode, 0, `${started.stdout}\n${started.stderr}`);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  const orch = (args: string[]): ReturnType<typeof run> => run(orchestrateScript, [...args, '--state', state], { env });
  await retryUntil(() => Object.values(store().agents).every((a) => a.status === 'idle'), 30_000, 'every agent idle');
  return { world, state, store, orch };
}

test("diff and merge of an agent whose host is down: one line naming the host, ssh's reason and what to do, exit non-zero, no stack trace", {
  timeout: 120_000,
}, async (t) => {
  const s = await startOneHost(t, '');
  const h1 = s.world.hosts[0]!;
  h1.run(`cd ${s.store().agents.w1!.worktree!.path} && echo one > shared.txt && git commit -qam one`);
  await h1.stop();
  for (const args of [
    ['diff', 'w1'],
    ['merge', 'w1'],
  ]) {
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

/** The real claude CLI on host "box" (its claude home set up there, against the stand-in) with the given panes. */
async function startRealHost(t: TestContext, session: string, panes: string) {
  const world = await sshWorld(t, 1, { names: ['box'] });
  const box = world.hosts[0]!;
  const standin = await startStandinForTest(t);
  const project = join(box.home, 'project');
  box.run('mkdir -p project');
  writeClaudeHome(box.home, { apiKey: FAKE_API_KEY, trusted: [project] });
  execFileSync('chown', ['-R', `${box.user}:`, box.home]);
  const { HOME: _home, ...claudeVars } = standinClaudeEnv(box.home, standin.url, FAKE_API_KEY);
  const local = join(tempDir(t), 'project');
  mkdirSync(local);
  writeFileSync(
    join(local, 'layout.yaml'),
    `session: ${session}
hosts:
  box: { ssh: ${box.alias}, root: project, claude: ${claudeBin}, env: ${JSON.stringify(claudeVars)} }
windows:
  - panes:
${panes}`,
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
  const env = {
    ORCH_SSH_CONFIG: world.configFile,
    ORCH_SSH_CONTROL_DIR: control,
    ORCH_PORTS_DIR: join(tempDir(t), 'ports'),
  };
  const server = privateServer(t);
  const started = await run(
    startScript,
    ['--socket', server.socket!, '--state', state, '--no-attach', '--layout', join(local, 'layout.yaml')],
    { cwd: local, env },
  );
  assert.equal(started.exitCode, 0, `${started.stdout}\n${started.stderr}`);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  const o = (args: string[]): ReturnType<typeof run> => run(orchestrateScript, [...args, '--state', state], { env });
  await retryUntil(
    () => Object.values(store().agents).every((a) => a.status === 'idle'),
    90_000,
    'the real claudes on the host idle',
  );
  return { box, standin, project, state, store, o };
}

test('the real claude CLI on a host asks for a permission: the request is in orchestrate approvals here, approve lets it run there, a layout rule denies another there', {
  timeout: 240_000,
}, async (t) => {
  const { box, project, store, o } = await startRealHost(
    t,
    'perms-host',
    '      - { agent: w1, host: box, deny: ["Bash(rm:*)"] }\n',
  );
  const file = join(project, 'a.txt');
  const task = (await o(['dispatch', 'w1', `[[bash touch ${file}]]`])).stdout.trim();
  const request = await retryUntil(
    () => Object.values(store().approvals ?? {}).find((r: ApprovalRecord) => r.state === 'pending'),
    60_000,
    'a pending request of w1 on the host',
  );
  assert.deepEqual([request.agent, request.tool, request.input.command], ['w1', 'Bash', `touch ${file}`]);
  const listed = await o(['approvals']);
  assert.match(listed.stdout, new RegExp(`${request.id} {2}w1 {2}.*pending.* {2}Bash\\(touch`));
  assert.equal(box.run('ls project'), '', 'nothing ran before the decision');
  const approved = await o(['approve', 'w1']);
  assert.equal(approved.exitCode, 0, approved.stderr);
  assert.equal((await o(['wait', task, '--timeout', '60'])).exitCode, 0);
  assert.equal(box.run('ls project').trim(), 'a.txt', 'the approved command ran there');
  assert.deepEqual([store().approvals![request.id]!.state, store().approvals![request.id]!.by], ['allowed', 'cli']);

  const denied = await o(['dispatch', '--wait', '--timeout', '60', 'w1', `[[bash rm ${file}]]`]);
  assert.equal(denied.exitCode, 0, denied.stderr);
  assert.equal(box.run('ls project').trim(), 'a.txt', 'the denied rm did not run there');
  const byRule = Object.values(store().approvals!).find((r) => r.id !== request.id)!;
  assert.deepEqual([byRule.state, byRule.by, byRule.rule], ['denied', 'policy', 'Bash(rm:*)']);

  const ended = await o(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  await retryUntil(
    () => box.processes().length === 0,
    20_000,
    `nothing left on the box (${box.run(`ps -o pid=,args= -u ${box.user}`).trim()})`,
  );
});

test('restart: on-failure on a host: a claude killed there is started again there (--resume), the store counts the restart, and it takes tasks again', {
  timeout: 120_000,
}, async (t) => {
  const s = await startOneHost(t, '', { w1: 'restart: on-failure' });
  const h1 = s.world.hosts[0]!;
  const claude = (): string => h1.run(`pgrep -u ${h1.user} -f '^node .*fake-claude-repl' || true`).trim();
  const first = claude();
  assert.match(first, /^\d+$/, 'one claude there');
  h1.run(`kill -KILL ${first}`);
  const back = await retryUntil(
    () => {
      const a = s.store().agents.w1!;
      return a.restarts === 1 && a.status === 'idle' && a;
    },
    30_000,
    'w1 restarted there and idle',
  );
  assert.ok(back.restarts === 1);
  assert.ok(
    s.store().events!.some((e) => e.agent === 'w1' && e.event === 'ProcessRestart'),
    'the restart recorded as an event',
  );
  assert.match(
    readFileSync(join(s.state, 'agents', 'w1', 'status.jsonl'), 'utf8'),
    /"ProcessExit","exit_code":137/,
    'its exit (killed) streamed from there',
  );
  assert.match(claude(), /^\d+$/);
  assert.notEqual(claude(), first, 'a new claude there');
  const done = await s.orch(['dispatch', '--wait', '--timeout', '30', 'w1', 'after the restart']);
  assert.equal(done.exitCode, 0, done.stderr);
  assert.match(done.stdout, /OK: after the restart/);
  const ended = await s.orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
});

test('worktrees.copy and worktrees.link on a host: applied there from its project root, recorded by content there, never committed or counted as work, removed with the worktree', {
  timeout: 120_000,
}, async (t) => {
  const s = await startOneHost(t, 'worktrees:\n  copy: [".env", "config/*.json"]\n  link: [node_modules]\n', {
    prepare: (h) =>
      h.run(
        'cd project && printf "node_modules\\n.env\\n" > .gitignore && git add .gitignore && git commit -qm ignore && echo SECRET=1 > .env && mkdir -p config node_modules/dep && echo "{}" > config/local.json && echo x > config/notes.txt && echo m > node_modules/dep/index.js',
      ),
  });
  const h1 = s.world.hosts[0]!;
  const wt = s.store().agents.w1!.worktree!;
  const top = join(h1.home, 'project');
  assert.deepEqual([wt.copied, wt.linked], [['.env', 'config/local.json'], ['node_modules']]);
  assert.equal(h1.run(`cat ${wt.path}/.env`).trim(), 'SECRET=1', 'copied there');
  assert.equal(h1.run(`cat ${wt.path}/config/local.json`).trim(), '{}');
  assert.equal(
    h1.run(`test -e ${wt.path}/config/notes.txt && echo yes || echo no`).trim(),
    'no',
    'only what the glob names',
  );
  assert.equal(h1.run(`readlink ${wt.path}/node_modules`).trim(), join(top, 'node_modules'), 'linked there');
  const manifest = JSON.parse(
    h1.run(`cat "$(git -C ${wt.path} rev-parse --absolute-git-dir)/orchestrator-copies.json"`),
  ) as { entries: { path: string; sha256?: string; target?: string }[] };
  assert.deepEqual(manifest.entries.map((e) => e.path).sort(), ['.env', 'config/local.json', 'node_modules']);
  assert.match(
    h1.run(`stat -c %a "$(git -C ${wt.path} rev-parse --absolute-git-dir)/orchestrator-copies.json"`),
    /^600/,
  );

  // The agent's work is its own file; the copies are not work: diff leaves them out, --commit-all does not commit them.
  h1.run(`cd ${wt.path} && echo mine > new.txt`);
  const diff = await s.orch(['diff', 'w1']);
  assert.equal(diff.exitCode, 0, diff.stderr);
  assert.match(diff.stdout, /new\.txt/);
  assert.doesNotMatch(diff.stdout, /local\.json|SECRET|node_modules/);
  const merged = await s.orch(['merge', 'w1', '--commit-all', 'w1 work']);
  assert.equal(merged.exitCode, 0, `${merged.stdout}\n${merged.stderr}`);
  assert.equal(
    h1.run(`git -C ${top} ls-tree -r --name-only main`).split('\n').filter(Boolean).sort().join(' '),
    '.gitignore new.txt shared.txt',
  );
  const ended = await s.orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  assert.match(ended.stdout, /Worktree of w1: removed/, 'our unchanged copies were no work to keep it for');
  assert.equal(h1.run(`test -e ${wt.path} && echo yes || echo no`).trim(), 'no');
  assert.equal(h1.run(`cat ${top}/.env`).trim(), 'SECRET=1', "the project's own files untouched");
  assert.equal(h1.run(`cat ${top}/node_modules/dep/index.js`).trim(), 'm');
});

test('fork_from on a host: an agent there starts from the conversation of another agent of the same host', {
  timeout: 240_000,
}, async (t) => {
  const secret = 'the secret word is PINEAPPLE-7';
  const { box, standin, store, o } = await startRealHost(
    t,
    'fork-host',
    `      - { agent: w1, host: box, prompt: "[[say I will remember that ${secret}]] remember: ${secret}" }
      - { agent: w2, host: box, fork_from: w1 }
`,
  );
  const asked = await o(['dispatch', 'w2', 'what was the word?', '--wait', '--timeout', '60']);
  assert.equal(asked.exitCode, 0, asked.stderr);
  const first = standin.requests.find(
    (x) => x.headers['x-claude-code-session-id'] === store().agents.w2!.session_id && !x.side,
  )!;
  assert.equal(first.prompt, 'what was the word?');
  assert.ok(JSON.stringify(first.body).includes(`I will remember that ${secret}`), "it carries w1's conversation");
  assert.match(
    box.run(`cat ${store().session!.hosts!.box!.state_dir}/agents/w2/launch.log`),
    /starting w2 from w1's conversation/,
  );
  const ended = await o(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
});
