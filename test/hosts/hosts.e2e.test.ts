// Agents on other hosts, against real OpenSSH servers the test starts (each host its own user and
// HOME, on a loopback address of its own): two hosts with two agents each and a local lead, a
// hostile prompt delivered byte for byte, a workflow across both hosts, the connection killed
// mid-task, a host's sshd stopped and started again, and `session end` leaving nothing running.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { privateServer, retryUntil, tempDir, onCleanup } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import { sshWorld, type SshWorld } from '../helpers/sshd.js';
import { claudeBin, FAKE_API_KEY, startStandinForTest } from '../helpers/claude-env.js';
import { browserForTest } from '../helpers/browser.js';
import { standinClaudeEnv, writeClaudeHome } from '../../src/standin/claude-home.js';
import type { StoreData } from '../../src/store/types.js';
import type { Server } from '../../src/tmux/objects.js';

interface HostSession {
  world: SshWorld;
  server: Server;
  state: string;
  layout: string;
  project: string;
  env: Record<string, string>;
  store: () => StoreData;
  orch: (args: string[], input?: string) => ReturnType<typeof run>;
}

/** The fake claude where every host's user can run it (the checkout may not be readable to them). */
function sharedFake(t: TestContext): string {
  const dir = mkdtempSync('/tmp/orch-fake-');
  chmodSync(dir, 0o755);
  const file = join(dir, 'fake-claude-repl');
  copyFileSync(join(fixtures, 'bin', 'fake-claude-repl'), file);
  chmodSync(file, 0o755);
  onCleanup(t, () => import('node:fs').then((fs) => fs.rmSync(dir, { recursive: true, force: true })));
  return file;
}

/** Worktrees for every agent but the lead, with a setup that says where it ran (outside the worktree, so it is not work) and leaves a server running (session end stops it there). */
const WORKTREES =
  'worktrees:\n  setup: echo "set up in $PWD" > "$HOME/setup-$ORCH_AGENT"; sleep 1000 &\ndefaults: { worktree: true }\n';

/** A lead here and w1, w2 on host h1, w3, w4 on host h2, all fake claudes running the real hooks. */
async function startHosts(
  t: TestContext,
  opts: { answerMs?: number; worktrees?: boolean; prepare?: (world: SshWorld) => void } = {},
): Promise<HostSession> {
  const world = await sshWorld(t, 2, { names: ['h1', 'h2'] });
  const fake = sharedFake(t);
  for (const h of world.hosts) h.run('mkdir -p project');
  opts.prepare?.(world);
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const host = (i: number): string =>
    `{ ssh: ${world.hosts[i]!.alias}, root: project, claude: ${fake}, env: { FAKE_ANSWER_MS: "${opts.answerMs ?? 20}" } }`;
  writeFileSync(
    join(project, 'layout.yaml'),
    `session: hosts
hosts:
  h1: ${host(0)}
  h2: ${host(1)}
${opts.worktrees ? WORKTREES : ''}windows:
  - name: team
    panes:
      - { agent: lead, worktree: false }
      - { agent: w1, host: h1 }
      - { agent: w2, host: h1 }
      - { agent: w3, host: h2 }
      - { agent: w4, host: h2 }
`,
  );
  const state = join(tempDir(t), 'state');
  const control = mkdtempSync('/tmp/orch-cm-');
  // A test that failed before session end leaves the shared connections (ControlPersist) open: they go with it.
  onCleanup(t, () => {
    try {
      execFileSync('pkill', ['-f', control]);
    } catch {
      /* none left */
    }
    return import('node:fs').then((fs) => fs.rmSync(control, { recursive: true, force: true }));
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
  // --state before a "--" (after it, it would be part of the prompt).
  const orch = (args: string[], input?: string): ReturnType<typeof run> => {
    const dashes = args.indexOf('--');
    const argv =
      dashes < 0 ? [...args, '--state', state] : [...args.slice(0, dashes), '--state', state, ...args.slice(dashes)];
    return run(orchestrateScript, argv, { env, ...(input !== undefined ? { input } : {}) });
  };
  await retryUntil(() => Object.values(store().agents).every((a) => a.status === 'idle'), 30_000, 'every agent idle');
  return { world, server, state, env, store, orch, layout: join(project, 'layout.yaml'), project };
}

test("two hosts with two agents each and a local lead: each agent runs as its host's user, a hostile prompt arrives byte for byte, a workflow runs on both hosts, session end leaves nothing running anywhere", {
  timeout: 180_000,
}, async (t) => {
  // Turns of 2 s: four tasks dispatched at once find every worker busy but one, whichever host it is on.
  const s = await startHosts(t, { answerMs: 2000 });
  const data = s.store();
  assert.deepEqual(Object.keys(data.session!.hosts ?? {}).sort(), ['h1', 'h2']);
  for (const [name, host] of [
    ['w1', 0],
    ['w2', 0],
    ['w3', 1],
    ['w4', 1],
  ] as const) {
    const a = data.agents[name]!;
    assert.equal(a.host, ['h1', 'h2'][host]);
    // Its claude runs there, as that host's user, in its project folder there.
    const ps = s.world.hosts[host]!.run(`ps -o args= -u ${s.world.hosts[host]!.user}`);
    assert.match(ps, new RegExp(`fake-claude-repl --session-id ${a.session_id}`), `${name}'s claude runs on its host`);
    assert.equal(a.cwd, join(s.world.hosts[host]!.home, 'project'));
  }
  assert.equal(data.agents.lead!.host, undefined);

  // The local pane of a remote agent shows its screen (an ssh client attached to its tmux session there).
  await retryUntil(
    async () =>
      (await s.server.cmd(['capture-pane', '-p', '-t', data.agents.w1!.view_pane!])).includes('fake claude ready'),
    15_000,
    "w1's screen in its local pane",
  );

  // A prompt full of what a shell or tmux would act on, delivered to w3 on h2 byte for byte.
  const hostile = `it's "quoted" $(touch /tmp/pwned-$USER) \`id\` ; rm -rf ~ & | > x \\ #{pane_id} ~/ %s ÿ 日本語 end;`;
  const r = await s.orch(['dispatch', '--wait', '--timeout', '60', 'w3', '--', hostile]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /OK: /);
  const lines = s.world.hosts[1]!.run(`cat ${s.store().session!.hosts!.h2!.state_dir}/agents/w3/status.jsonl`)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { event: { hook_event_name: string; prompt?: string } });
  const submitted = lines
    .filter((l) => l.event.hook_event_name === 'UserPromptSubmit')
    .map((l) => l.event.prompt!.trim());
  assert.deepEqual(submitted, [hostile], 'the prompt claude got there is the prompt given, byte for byte');
  assert.equal(s.world.hosts[1]!.run('ls /tmp | grep -c pwned || true').trim(), '0', 'nothing in it ran');
  // The local status file is the remote one, byte for byte (the link mirrors it from its offsets).
  assert.equal(
    readFileSync(join(s.state, 'agents', 'w3', 'status.jsonl'), 'utf8'),
    s.world.hosts[1]!.run(`cat ${s.store().session!.hosts!.h2!.state_dir}/agents/w3/status.jsonl`),
  );

  // --role across hosts: four tasks at once go to the four idle workers, on both hosts.
  const ids = await Promise.all(
    [1, 2, 3, 4].map(
      async (i) =>
        (
          JSON.parse((await s.orch(['dispatch', '--json', '--role', 'worker', '--', `role task ${i}`])).stdout) as {
            id: string;
          }
        ).id,
    ),
  );
  for (const id of ids) assert.equal((await s.orch(['wait', id, '--timeout', '60'])).exitCode, 0);
  const ranOn = new Set(ids.map((id) => s.store().tasks?.[id]?.agent));
  assert.deepEqual(
    [...new Set([...ranOn].map((a) => s.store().agents[a!]!.host))].sort(),
    ['h1', 'h2'],
    `the role's tasks ran on both hosts (${[...ranOn].join(', ')})`,
  );

  // A workflow whose tasks run on both hosts (and here), in order.
  const wf = join(tempDir(t), 'wf.yaml');
  writeFileSync(
    wf,
    `name: across
tasks:
  one: { agent: w1, prompt: "first on h1" }
  two: { agent: w4, needs: [one], prompt: "then on h2 after {{ tasks.one.result }}" }
  three: { agent: lead, needs: [two], prompt: "and here" }
`,
  );
  const ran = await s.orch(['run', wf, '--wait', '--timeout', '90']);
  assert.equal(ran.exitCode, 0, `${ran.stdout}\n${ran.stderr}`);
  const tasks = Object.values(s.store().tasks ?? {});
  for (const [agent, prompt] of [
    ['w1', 'first on h1'],
    ['w4', 'then on h2 after OK: first on h1'],
    ['lead', 'and here'],
  ]) {
    assert.ok(
      tasks.some((x) => x.agent === agent && x.state === 'done' && x.prompt === prompt),
      `${agent} did "${prompt}"`,
    );
  }

  const ended = await s.orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  assert.match(ended.stdout, /Host h1: its tmux server is stopped/);
  for (const h of s.world.hosts) {
    await retryUntil(
      () => h.processes().length === 0,
      15_000,
      `nothing of ours left running on ${h.alias} (${h.run(`ps -o pid=,args= -u ${h.user}`).trim()})`,
    );
  }
  assert.ok(Object.values(s.store().agents).every((a) => a.status === 'exited'));
});

test("the connection killed mid-task: the agent goes on there, its status catches up, nothing is counted twice; a host's sshd stopped is unreachable (its agents are not exited) and comes back", {
  timeout: 180_000,
}, async (t) => {
  const s = await startHosts(t, { answerMs: 4000 });
  const h1 = s.world.hosts[0]!;
  const dispatched = await s.orch(['dispatch', '--json', 'w1', '--', 'a long one']);
  assert.equal(dispatched.exitCode, 0, dispatched.stderr);
  const id = (JSON.parse(dispatched.stdout) as { id: string }).id;
  await retryUntil(() => s.store().tasks?.[id]?.state === 'running', 15_000, 'the task running on w1');
  // Every connection to h1 dropped (the recorder's stream, the views, the shared connection).
  await h1.dropConnections();
  const done = await s.orch(['wait', id, '--timeout', '60', '--json']);
  assert.equal(done.exitCode, 0, done.stderr);
  const after = s.store();
  assert.equal(after.tasks?.[id]?.state, 'done');
  assert.equal(after.tasks?.[id]?.result, 'OK: a long one');
  const remote = h1.run(`cat ${after.session!.hosts!.h1!.state_dir}/agents/w1/status.jsonl`);
  await retryUntil(
    () =>
      readFileSync(join(s.state, 'agents', 'w1', 'status.jsonl'), 'utf8') ===
      h1.run(`cat ${after.session!.hosts!.h1!.state_dir}/agents/w1/status.jsonl`),
    10_000,
    "the local copy of w1's status file equal to the remote one",
  );
  assert.equal(remote.split('\n').filter((l) => l.includes('"Stop"')).length, 1);
  assert.equal(
    after.events!.filter((e) => e.agent === 'w1' && e.event === 'Stop').length,
    1,
    'one Stop recorded, not two',
  );

  // h1's sshd stopped: its agents are unreachable with the ssh error, not exited; a task for one waits.
  await h1.stop();
  const lost = await retryUntil(
    () => {
      const a = s.store().agents.w2!;
      return a.status === 'unreachable' && a;
    },
    30_000,
    'w2 unreachable',
  ).catch(async (e: Error) => {
    // What the recorder said, for the failure's report.
    throw new Error(
      `${e.message}\n${await s.server.cmd(['capture-pane', '-p', '-S', '-60', '-t', s.store().session!.control!.recorderPane]).catch(() => '')}`,
    );
  });
  assert.match(lost.reason ?? '', /host h1 does not answer: .*(refused|closed|reset|timed out)/i);
  assert.equal(s.store().agents.w3!.status, 'idle', "the other host's agents go on");
  const waiting = await s.orch(['dispatch', '--json', 'w2', '--', 'while h1 is down']);
  const waitingId = (JSON.parse(waiting.stdout) as { id: string }).id;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(s.store().tasks?.[waitingId]?.state, 'queued', 'its task waits');
  const st = await s.orch(['status']);
  assert.match(st.stdout, /w2@h1 +worker +unreachable/);
  assert.match(st.stdout, /host h1 \(h1-\w+\) does not answer/);
  // The dashboard, in chromium: w2's card is unreachable and says its host; w3's is idle.
  const url = (await retryUntil(
    async () => {
      const u = await s.orch(['dashboard', '--url']);
      return u.exitCode === 0 && u.stdout.trim();
    },
    20_000,
    "the dashboard's address",
  )) as string;
  const page = await (await browserForTest(t)).newPage();
  await page.goto(url);
  await page.locator('[data-agent="w2"][data-state="unreachable"]').waitFor({ timeout: 15_000 });
  assert.match((await page.locator('[data-agent="w2"] .role').textContent()) ?? '', /worker @h1/);
  await page.locator('[data-agent="w3"][data-state="idle"]').waitFor({ timeout: 15_000 });
  await h1.start();
  await retryUntil(() => s.store().agents.w2!.status !== 'unreachable', 30_000, 'w2 back');
  const back = await s.orch(['wait', waitingId, '--timeout', '60', '--json']);
  assert.equal(back.exitCode, 0, back.stderr);
  assert.equal(s.store().tasks?.[waitingId]?.state, 'done');
  assert.ok(s.store().events!.some((e) => e.agent === 'w2' && e.event === 'HostUnreachable'));

  // A task on a remote agent cancelled mid-turn: the interrupt goes to its pane there.
  const long = await s.orch(['dispatch', '--json', 'w1', '--', 'to be cancelled']);
  const longId = (JSON.parse(long.stdout) as { id: string }).id;
  await retryUntil(() => s.store().tasks?.[longId]?.state === 'running', 15_000, 'the task running on w1');
  assert.equal((await s.orch(['cancel', longId])).exitCode, 0);
  await retryUntil(
    () => s.store().tasks?.[longId]?.state === 'cancelled' && !s.store().agents.w1!.interrupting,
    20_000,
    'the task cancelled and the interrupt done',
  );

  const ended = await s.orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  for (const h of s.world.hosts)
    await retryUntil(() => h.processes().length === 0, 15_000, `nothing left on ${h.alias}`);
});

test("the real claude CLI on another host: it starts there as that host's user, takes a task, writes in its folder there, and its answer, tokens and cost reach the store here", {
  timeout: 180_000,
}, async (t) => {
  const world = await sshWorld(t, 1, { names: ['box'] });
  const box = world.hosts[0]!;
  const standin = await startStandinForTest(t);
  const project = join(box.home, 'project');
  box.run('mkdir -p project');
  // The host's claude home: onboarding done, the key approved, its project trusted (as a person would have set it up there).
  writeClaudeHome(box.home, { apiKey: FAKE_API_KEY, trusted: [project] });
  execFileSync('chown', ['-R', `${box.user}:`, box.home]);
  const { HOME: _home, ...claudeVars } = standinClaudeEnv(box.home, standin.url, FAKE_API_KEY);
  const local = join(tempDir(t), 'project');
  mkdirSync(local);
  writeFileSync(
    join(local, 'layout.yaml'),
    `session: real-host
hosts:
  box: { ssh: ${box.alias}, root: project, claude: ${claudeBin}, env: ${JSON.stringify(claudeVars)} }
windows:
  - panes:
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
  await retryUntil(() => store().agents.w1!.status === 'idle', 60_000, 'the real claude on the host idle');
  assert.match(
    box.run(`ps -o args= -u ${box.user}`),
    new RegExp(`claude --session-id ${store().agents.w1!.session_id}`),
  );

  const r = await run(
    orchestrateScript,
    [
      'dispatch',
      '--wait',
      '--timeout',
      '90',
      '--state',
      state,
      'w1',
      '--',
      '[[write notes.txt hello from the box]] [[say written there]]',
    ],
    { env },
  );
  assert.equal(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /written there/);
  assert.equal(box.run('cat project/notes.txt').trim(), 'hello from the box');
  const w1 = await retryUntil(
    () => {
      const a = store().agents.w1!;
      return (a.cost_usd ?? 0) > 0 && a;
    },
    15_000,
    "w1's cost from its transcript there",
  );
  assert.ok((w1.tokens?.output ?? 0) > 0, 'its tokens too');
  // Its one task cost all of it, the turn's last line (written there after its Stop) included.
  await retryUntil(
    () => {
      const d = store();
      return Object.values(d.tasks ?? {})[0]?.cost_usd === d.agents.w1!.cost_usd;
    },
    15_000,
    "the task's cost, its agent's",
  );
  assert.equal(w1.model !== undefined, true);

  const ended = await run(orchestrateScript, ['session', 'end', '--force', '--state', state], { env });
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  await retryUntil(
    () => box.processes().length === 0,
    20_000,
    `nothing left on the box (${box.run(`ps -o pid=,args= -u ${box.user}`).trim()})`,
  );
});

test("this machine's tmux server killed mid-task: the agents on the hosts work on; --resume keeps them (no second claude), their task finishes once, the lead comes back", {
  timeout: 180_000,
}, async (t) => {
  const s = await startHosts(t, { answerMs: 3000 });
  const before = s.store();
  const dispatched = await s.orch(['dispatch', '--json', 'w2', '--', 'across the loss']);
  const id = (JSON.parse(dispatched.stdout) as { id: string }).id;
  await retryUntil(() => s.store().tasks?.[id]?.state === 'running', 15_000, 'the task running on w2');
  await s.server.kill();
  const resumed = await run(
    startScript,
    ['--socket', s.server.socket!, '--state', s.state, '--no-attach', '--layout', s.layout, '--resume'],
    { cwd: s.project, env: s.env },
  );
  assert.equal(resumed.exitCode, 0, `${resumed.stdout}\n${resumed.stderr}`);
  assert.match(resumed.stdout, /On host h1, w1, w2 were still running; kept/);
  const done = await s.orch(['wait', id, '--timeout', '60', '--json']);
  assert.equal(done.exitCode, 0, done.stderr);
  const after = s.store();
  assert.equal(after.tasks?.[id]?.state, 'done');
  assert.equal(after.tasks?.[id]?.attempts, 1, 'run once, not again after the resume');
  for (const name of ['w1', 'w2', 'w3', 'w4'])
    assert.equal(after.agents[name]!.pane, before.agents[name]!.pane, `${name} is the same pane there`);
  const h1 = s.world.hosts[0]!;
  assert.equal(
    h1
      .run(`ps -o args= -u ${h1.user}`)
      .split('\n')
      .filter((l) => l.includes('fake-claude-repl')).length,
    2,
    'one claude per agent there, not a second',
  );
  await retryUntil(() => s.store().agents.lead!.status === 'idle', 20_000, 'the lead back');
  // The view of a kept agent attaches again.
  await retryUntil(
    async () => (await s.server.cmd(['capture-pane', '-p', '-t', s.store().agents.w1!.view_pane!])).includes('❯'),
    15_000,
    "w1's screen in its new local pane",
  );
  const ended = await s.orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  for (const h of s.world.hosts)
    await retryUntil(() => h.processes().length === 0, 15_000, `nothing left on ${h.alias}`);
});

test('a connection that goes silent (frozen, as behind a network partition: TCP up, nothing through) is given up within seconds and replaced; the status that came meanwhile catches up', {
  timeout: 180_000,
}, async (t) => {
  const s = await startHosts(t, { answerMs: 5000 });
  const h2 = s.world.hosts[1]!;
  const dispatched = await s.orch(['dispatch', '--json', 'w4', '--', 'through the silence']);
  const id = (JSON.parse(dispatched.stdout) as { id: string }).id;
  await retryUntil(() => s.store().tasks?.[id]?.state === 'running', 15_000, 'the task running on w4');
  // Every sshd process of the connections there stopped (SIGSTOP): nothing closes, nothing gets through.
  const frozen = execFileSync('ps', ['-e', '-o', 'pid=,args='])
    .toString()
    .split('\n')
    .filter((l) => new RegExp(`sshd: ${h2.user}(@| \\[priv\\])`).test(l))
    .map((l) => Number(l.trim().split(/\s+/)[0]));
  assert.ok(frozen.length > 0, 'connections to freeze');
  for (const pid of frozen) process.kill(pid, 'SIGSTOP');
  onCleanup(t, () => {
    for (const pid of frozen) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        /* gone */
      }
    }
  });
  const frozenAt = Date.now();
  const done = await s.orch(['wait', id, '--timeout', '60', '--json']);
  assert.equal(done.exitCode, 0, done.stderr);
  const tookS = (Date.now() - frozenAt) / 1000;
  assert.ok(tookS < 40, `the answer got through a new connection in ${tookS} s`);
  assert.equal(s.store().tasks?.[id]?.result, 'OK: through the silence');
  assert.equal(s.store().events!.filter((e) => e.agent === 'w4' && e.event === 'Stop').length, 1, 'one Stop recorded');
  for (const pid of frozen) {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
  }
  const ended = await s.orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  for (const h of s.world.hosts)
    await retryUntil(() => h.processes().length === 0, 20_000, `nothing left on ${h.alias}`);
});

test('worktrees on a host: each agent there gets its own in the repository there (setup run in its pane), conflicts between them are seen, the first merges there and the second is refused with nothing changed, session end removes only the merged one', {
  timeout: 180_000,
}, async (t) => {
  const repo = (h: SshWorld['hosts'][number]): void => {
    h.run(
      'git config --global user.email a@b.c && git config --global user.name box && git config --global init.defaultBranch main',
    );
    h.run('cd project && git init -q && echo base > shared.txt && git add . && git commit -qm base');
  };
  const s = await startHosts(t, { worktrees: true, prepare: (world) => world.hosts.forEach(repo) });
  const h1 = s.world.hosts[0]!;
  const data = s.store();
  const w1 = data.agents.w1!;
  const w2 = data.agents.w2!;
  const top = join(h1.home, 'project');
  assert.equal(w1.worktree!.path, join(top, '.worktrees', 'hosts', 'w1'));
  assert.deepEqual(
    [w1.worktree!.repo, w1.worktree!.branch, w1.worktree!.base, w1.worktree!.host?.name],
    [top, 'hosts/w1', 'main', 'h1'],
  );
  assert.equal(w1.cwd, w1.worktree!.path, 'the agent runs in its worktree there');
  assert.equal(data.agents.lead!.worktree, null);
  assert.match(
    h1.run(`git -C ${top} worktree list`),
    /\.worktrees\/hosts\/w1 .*\[hosts\/w1\][\s\S]*\.worktrees\/hosts\/w2 .*\[hosts\/w2\]/,
  );
  assert.equal(
    h1.run('cat setup-w1').trim(),
    `set up in ${w1.worktree!.path}`,
    'its setup ran there, in its worktree, before claude',
  );
  assert.match(
    execFileSync('ps', ['-o', 'args=', '-u', h1.user]).toString(),
    /^sleep 1000$/m,
    'the server its setup left runs',
  );
  assert.equal(
    h1.run(`git -C ${top} status --porcelain`).trim(),
    '',
    'the worktrees are excluded from the main checkout',
  );

  // Both change the same line: the conflict is seen before any merge.
  h1.run(`cd ${w1.worktree!.path} && echo one > shared.txt && git commit -qam one`);
  h1.run(`cd ${w2.worktree!.path} && echo two > shared.txt && git commit -qam two`);
  const conflicts = await s.orch(['conflicts']);
  assert.equal(conflicts.exitCode, 1);
  assert.match(conflicts.stdout, /w1 and w2 both change shared\.txt/);
  const st = await s.orch(['status', '--json']);
  assert.match(
    JSON.stringify(
      (JSON.parse(st.stdout) as { agents: { name: string; worktree: unknown }[] }).agents.find((a) => a.name === 'w1')!
        .worktree,
    ),
    /hosts\/w1/,
  );

  // --commit-all there: the commit is made aside and adopted (index and ref) only once the merge goes through.
  h1.run(`cd ${w1.worktree!.path} && echo extra > extra.txt`);
  const merged = await s.orch(['merge', 'w1', '--commit-all', 'w1 extra']);
  assert.equal(merged.exitCode, 0, `${merged.stdout}\n${merged.stderr}`);
  assert.equal(h1.run(`git -C ${top} show main:extra.txt`).trim(), 'extra');
  assert.equal(
    h1.run(`git -C ${w1.worktree!.path} status --porcelain`).trim(),
    '',
    "w1 clean: its index is the commit's",
  );
  assert.equal(h1.run(`git -C ${top} log -1 --format=%s main`).trim().length > 0, true);
  assert.equal(h1.run(`git -C ${top} show main:shared.txt`).trim(), 'one', "main there has w1's work");
  const mainTip = h1.run(`git -C ${top} rev-parse main`).trim();
  const w2Tip = h1.run(`git -C ${w2.worktree!.path} rev-parse HEAD`).trim();
  h1.run(`cd ${w2.worktree!.path} && echo mine > extra2.txt`);
  const refused = await s.orch(['merge', 'w2', '--commit-all', 'w2 extra']);
  assert.notEqual(refused.exitCode, 0);
  assert.match(refused.stdout + refused.stderr, /conflicts in shared\.txt.*Nothing was changed/);
  assert.equal(
    h1.run(`git -C ${w2.worktree!.path} status --porcelain`).trim(),
    '?? extra2.txt',
    'nothing of w2 committed',
  );
  assert.equal(h1.run(`git -C ${top} rev-parse main`).trim(), mainTip, 'main as it was');
  assert.equal(h1.run(`git -C ${w2.worktree!.path} rev-parse HEAD`).trim(), w2Tip, 'w2 as it was');

  const ended = await s.orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, `${ended.stdout}\n${ended.stderr}`);
  assert.match(ended.stdout, /Worktree of w1: removed/);
  assert.match(ended.stdout, /Worktree of w2: kept/);
  assert.doesNotMatch(h1.run(`git -C ${top} worktree list`), /hosts\/w1/);
  assert.match(h1.run(`git -C ${top} worktree list`), /hosts\/w2/);
  assert.equal(
    h1.run(`git -C ${top} rev-parse --verify --quiet refs/heads/hosts/w2`).trim(),
    w2Tip,
    "w2's branch and work kept",
  );
  for (const h of s.world.hosts)
    await retryUntil(() => h.processes().length === 0, 15_000, `nothing left on ${h.alias}`).catch((e: Error) => {
      throw new Error(`${e.message}: ${execFileSync('ps', ['-o', 'pid=,ppid=,args=', '-u', h.user]).toString()}`);
    });
});
