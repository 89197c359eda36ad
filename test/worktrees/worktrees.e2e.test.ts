// Worktrees with the real claude CLI (API stand-in), real git and real tmux: two workers told to
// write the same file at the same time each get their own version on their own branch; the
// conflict is reported before any merge; the first merges and the second reports the conflict
// with the target untouched; the setup copies an .env and runs a command, and a failing one shows
// error; port blocks do not overlap and survive a restart; a worktree with uncommitted work
// survives session end, a new start and --resume after kill -9 of the tmux server mid-task, and
// the handover lists it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLiveSession, writeLayout, type LiveSession } from '../helpers/session.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { retryUntil, tempDir } from '../helpers/tmux.js';
import { git, GIT_ENV, makeRepo, writeFiles } from '../helpers/git.js';
import { alive, withDescendants } from '../../src/session/processes.js';
import { readDashboardInfo } from '../../src/dashboard/info.js';
import { browserForTest } from '../helpers/browser.js';

const API = 'export const a = 1;\nexport const b = 2;\nexport const c = 3;\n';

const orchestrate = (live: LiveSession) => (args: string[]) => run(orchestrateScript, [...args, '--state', live.state], { env: live.env });
const startArgs = (live: LiveSession, layout: string): string[] => ['--socket', live.server.socket!, '--state', live.state, '--no-attach', '--layout', layout];

/** A git project with src/api.ts committed and an .env that is not. */
const project = (dir: string): void => {
  makeRepo({} as never, { 'src/api.ts': API, 'README.md': 'project\n', '.gitignore': 'setup-saw.txt\n' }, dir);
  writeFiles(dir, { '.env': 'API_KEY=from-the-project\n' });
};

type StatusAgent = { name: string; status: string; reason: string | null; ports: number[]; cwd: string; worktree: { path: string; branch: string; base: string; ahead: number | null; changed: string[]; uncommitted: string[] } | null };
const statusOf = async (live: LiveSession): Promise<{ agents: StatusAgent[]; conflicts: { agents: string[]; text: string; files: { path: string; lines: number[][] }[] }[] }> =>
  (await live.status()) as never;

test('two workers write the same file: each has its version on its branch, the conflict is seen before merging (status, conflicts, the dashboard, the lead\'s MCP tools), the first merges and the second is refused with nothing changed', { timeout: 300_000 }, async (t) => {
  const layout = writeLayout(t, `session: wt
worktrees:
  copy: [.env]
  setup: "cat .env > setup-saw.txt && echo ORCH_PORT=$ORCH_PORT >> setup-saw.txt"
defaults:
  worktree: true
  permission_mode: acceptEdits
  allowed_tools: [Bash]
  ports: 5
windows:
  - panes:
      - agent: lead
        worktree: false
      - agent: w1
      - agent: w2
`);
  const live = await startLiveSession(t, { layout, prepare: project, env: { ...GIT_ENV, ORCH_PORTS_DIR: tempDir(t) } });
  const orch = orchestrate(live);
  await retryUntil(async () => (await live.status()).agents.every((a) => a.status === 'idle'), 120_000, 'both agents idle');
  const st = await statusOf(live);
  const [w1, w2] = [st.agents.find((a) => a.name === 'w1')!, st.agents.find((a) => a.name === 'w2')!];
  for (const a of [w1, w2]) {
    assert.equal(a.worktree!.path, join(live.project, '.worktrees', 'wt', a.name));
    assert.equal(a.worktree!.branch, `wt/${a.name}`);
    assert.equal(a.cwd, a.worktree!.path);
    assert.equal(git(a.worktree!.path, 'symbolic-ref', '--short', 'HEAD'), `wt/${a.name}`);
    // The setup ran in the worktree, after the copy, with the agent's ports.
    assert.equal(readFileSync(join(a.worktree!.path, 'setup-saw.txt'), 'utf8'), `API_KEY=from-the-project\nORCH_PORT=${a.ports[0]}\n`);
    assert.equal(a.ports.length, 5);
  }
  assert.equal(new Set([...w1.ports, ...w2.ports]).size, 10, 'the two blocks do not overlap');
  // claude itself runs there, with the ports in its environment.
  const port = await orch(['dispatch', '--wait', '--timeout', '60', 'w1', '[[bash echo "port=$ORCH_PORT in $(pwd)"]]']);
  assert.equal(port.exitCode, 0, port.stderr);
  assert.equal(port.stdout.trim(), `port=${w1.ports[0]} in ${w1.worktree!.path}`);

  // The same file, the same line, at the same time.
  const [d1, d2] = await Promise.all([
    orch(['dispatch', '--wait', '--timeout', '60', 'w1', `[[read src/api.ts]][[write src/api.ts ${JSON.stringify(API.replace('b = 2', 'b = 10'))}]]`]),
    orch(['dispatch', '--wait', '--timeout', '60', 'w2', `[[read src/api.ts]][[write src/api.ts ${JSON.stringify(API.replace('b = 2', 'b = 20'))}]]`]),
  ]);
  assert.equal(d1.exitCode, 0, d1.stderr);
  assert.equal(d2.exitCode, 0, d2.stderr);
  assert.match(readFileSync(join(w1.worktree!.path, 'src/api.ts'), 'utf8'), /b = 10/);
  assert.match(readFileSync(join(w2.worktree!.path, 'src/api.ts'), 'utf8'), /b = 20/);
  assert.equal(readFileSync(join(live.project, 'src/api.ts'), 'utf8'), API, 'the main checkout is untouched');

  // The recorder found the conflict after their turns, before anyone merged (or even committed).
  const seen = await retryUntil(async () => (await statusOf(live)).conflicts.find((c) => c.agents.includes('w1') && c.agents.includes('w2')), 30_000, 'the conflict in status');
  assert.deepEqual(seen.files.map((f) => [f.path, f.lines]), [['src/api.ts', [[2, 2]]]]);
  assert.match(seen.text, /w1 and w2 both change src\/api.ts: conflict in line 2/);
  const text = await run(orchestrateScript, ['status', '--state', live.state], { env: live.env });
  assert.match(text.stdout, /conflict: w1 and w2 both change src\/api.ts/);
  assert.match(text.stdout, /worktree wt\/w1: 0 ahead, 0 behind main; 1 file changed, 1 uncommitted/);
  const now = await orch(['conflicts']);
  assert.match(now.stdout, /w1 and w2 both change src\/api.ts: conflict in line 2/);
  // So does the dashboard, in a real browser: each card has its worktree line and ports, and the conflict is listed.
  const info = await retryUntil(() => readDashboardInfo(live.state), 30_000, 'the dashboard');
  const page = await (await browserForTest(t)).newPage();
  await page.goto(info.open_url);
  const card = page.locator('[data-agent="w1"] dd.worktree');
  await card.filter({ hasText: 'wt/w1: 0 ahead, 0 behind main; 1 file changed, 1 uncommitted' }).waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('[data-agent="w1"] dd.ports').textContent(), `${w1.ports[0]}-${w1.ports[4]}`);
  assert.equal(await page.locator('[data-agent="lead"] dd.worktree').isVisible(), false);
  await page.locator('#conflicts li', { hasText: 'w1 and w2 both change src/api.ts: conflict in line 2' }).waitFor({ timeout: 15_000 });

  // The lead sees the same through its MCP tools.
  const asked = await orch(['dispatch', '--wait', '--timeout', '120', 'lead', '[[tool WaitForMcpServers {}]] [[tool mcp__orchestrator__conflicts {}]]']);
  assert.equal(asked.exitCode, 0, asked.stderr);
  assert.match(asked.stdout, /tool result: - w1 and w2 both change src\/api.ts: conflict in line 2 \(as w1 has it\)/);
  const stat = await orch(['dispatch', '--wait', '--timeout', '120', 'lead', '[[tool mcp__orchestrator__diff_agent {"agent":"w1","stat":true}]]']);
  assert.match(stat.stdout, /tool result: +src\/api.ts \| 2 \+-\n 1 file changed/);
  const diff = await orch(['diff', 'w2']);
  assert.match(diff.stdout, /^-export const b = 2;$/m);
  assert.match(diff.stdout, /^\+export const b = 20;$/m);

  const m1 = await orch(['merge', 'w1', '--commit-all', 'w1: b is 10']);
  assert.equal(m1.exitCode, 0, m1.stderr);
  assert.match(m1.stdout, /fast-forwarded 1 commit of wt\/w1 into main/);
  assert.match(readFileSync(join(live.project, 'src/api.ts'), 'utf8'), /b = 10/);

  const mainBefore = git(live.project, 'rev-parse', 'main');
  const checkoutBefore = git(live.project, 'status', '--porcelain');
  const w2Before = { head: git(w2.worktree!.path, 'rev-parse', 'HEAD'), status: git(w2.worktree!.path, 'status', '--porcelain') };
  // Its work is not committed: a plain check has nothing to merge; with --commit-all it counts, and is still not committed.
  const plainCheck = await orch(['merge', 'w2', '--check']);
  assert.equal(plainCheck.exitCode, 0, plainCheck.stderr);
  assert.match(plainCheck.stdout, /main already has everything committed on wt\/w2\. 1 uncommitted file is left/);
  const check = await orch(['merge', 'w2', '--check', '--commit-all', 'not yet']);
  assert.equal(check.exitCode, 1, check.stdout);
  assert.equal(git(w2.worktree!.path, 'rev-parse', 'HEAD'), w2Before.head);
  const m2 = await orch(['merge', 'w2', '--commit-all', 'w2: b is 20']);
  assert.equal(m2.exitCode, 1, m2.stdout);
  assert.match(m2.stderr, /does not merge cleanly into main: conflicts in src\/api.ts\. Nothing was changed/);
  assert.match(m2.stderr, /src\/api.ts \(contents, lines 2 of main\)/);
  assert.equal(git(live.project, 'rev-parse', 'main'), mainBefore);
  assert.equal(git(live.project, 'status', '--porcelain'), checkoutBefore);
  assert.match(readFileSync(join(live.project, 'src/api.ts'), 'utf8'), /b = 10/);
  // Asked to, it committed w2's work on w2's branch: that is all that moved.
  assert.notEqual(git(w2.worktree!.path, 'rev-parse', 'HEAD'), w2Before.head);
  assert.equal(git(w2.worktree!.path, 'log', '-1', '--format=%s'), 'w2: b is 20');
  assert.match(readFileSync(join(w2.worktree!.path, 'src/api.ts'), 'utf8'), /b = 20/);

  // session end: w1's worktree (merged, clean) goes with its branch; w2's is kept and the handover says how to merge or drop it.
  const ended = await orch(['session', 'end']);
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.match(ended.stdout, /Worktree of w1: removed .*deleted branch wt\/w1/);
  assert.match(ended.stdout, /Worktree of w2: kept .*1 commit on wt\/w2 not in main/);
  assert.equal(existsSync(w1.worktree!.path), false);
  assert.ok(existsSync(join(w2.worktree!.path, 'src/api.ts')));
  const handover = readFileSync(/Handover: (.*)/.exec(ended.stdout)![1]!.trim(), 'utf8');
  assert.match(handover, /## Worktrees/);
  assert.match(handover, /### w2: `wt\/w2` from `main`[\s\S]*Kept: 1 commit on wt\/w2 not in main[\s\S]*merge w2 --state[\s\S]*branch -D/);
});

test('a failing setup marks the agent error with its log, claude never starts, and its tasks fail at once', { timeout: 180_000 }, async (t) => {
  const layout = writeLayout(t, `session: wtfail
worktrees:
  setup: "echo installing; echo broken dependency >&2; exit 3"
windows:
  - panes:
      - agent: w1
        worktree: true
`);
  const live = await startLiveSession(t, { layout, prepare: project, env: { ...GIT_ENV, ORCH_PORTS_DIR: tempDir(t) } });
  const agent = await live.waitFor('w1', (a) => a.status === 'error', 'in error', 60_000);
  const log = join(live.state, 'agents', 'w1', 'setup.log');
  assert.equal(agent.reason, `worktree setup failed (exit code 3), claude was not started: see ${log}; fix it, then ./start.mts --restart`);
  assert.equal(readFileSync(log, 'utf8'), 'installing\nbroken dependency\n');
  assert.equal(live.standin.requests.length, 0, 'claude never started');
  const pane = await live.server.cmd(['capture-pane', '-p', '-t', agent.pane]);
  assert.match(pane, /The setup failed \(exit code 3\); claude was not started/);
  const task = await orchestrate(live)(['dispatch', '--wait', '--timeout', '30', 'w1', 'anything']);
  assert.equal(task.exitCode, 1);
  assert.match(task.stderr, /w1 cannot take tasks: worktree setup failed/);
  const endAt = Date.now();
  const ended = await orchestrate(live)(['session', 'end']);
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.ok(Date.now() - endAt < 15_000, `session end took ${Date.now() - endAt} ms`);
});

test('uncommitted work in a worktree survives session end, a new start, and kill -9 of the tmux server mid-task with --resume; the ports stay the same; prune removes it only once merged', { timeout: 300_000 }, async (t) => {
  const layout = writeLayout(t, `session: wtkeep
defaults:
  permission_mode: acceptEdits
  allowed_tools: [Bash]
  ports: 3
windows:
  - panes:
      - agent: w1
        worktree: true
`);
  const live = await startLiveSession(t, { layout, prepare: project, env: { ...GIT_ENV, ORCH_PORTS_DIR: tempDir(t) } });
  const orch = orchestrate(live);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  const first = (await statusOf(live)).agents[0]!;
  const wt = first.worktree!.path;
  const wrote = await orch(['dispatch', '--wait', '--timeout', '60', 'w1', '[[write notes.txt "a draft, not committed"]]']);
  assert.equal(wrote.exitCode, 0, wrote.stderr);

  const ended = await orch(['session', 'end']);
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.match(ended.stdout, /Worktree of w1: kept .*1 uncommitted file \(notes.txt\)/);
  assert.equal(readFileSync(join(wt, 'notes.txt'), 'utf8'), 'a draft, not committed');
  const handover = readFileSync(/Handover: (.*)/.exec(ended.stdout)![1]!.trim(), 'utf8');
  assert.match(handover, /### w1: `wtkeep\/w1` from `main`[\s\S]*Kept: 1 uncommitted file \(notes.txt\)[\s\S]*--commit-all/);

  // A new start finds the same worktree, work and ports.
  const again = await run(startScript, startArgs(live, layout), { cwd: live.project, env: live.env });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /w1: reuses its worktree/);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle again', 120_000);
  const second = (await statusOf(live)).agents[0]!;
  assert.deepEqual(second.ports, first.ports);
  assert.equal(second.cwd, wt);

  // kill -9 of the tmux server while a task runs; --resume runs it again in the same worktree.
  const slow = (await orch(['dispatch', 'w1', '[[bash sleep 8]][[write after-resume.txt "done in the worktree"]]'])).stdout.trim();
  await retryUntil(() => { const d = live.store(); return d.tasks?.[slow]?.state === 'running' && d.agents.w1!.last_tool === 'Bash'; }, 60_000, 'the task running its tool');
  const pids = withDescendants((await live.server.panes()).map((p) => Number(p.pane_pid)).filter(Boolean));
  const serverPid = Number((await live.server.cmd(['display-message', '-p', '#{pid}'])).trim());
  for (const pid of [serverPid, ...pids]) { try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ } }
  await retryUntil(() => ![serverPid, ...pids].some(alive), 10_000, 'every process gone');
  await retryUntil(async () => (await live.status() as unknown as { state: string }).state === 'lost', 10_000, 'the session lost');
  const resumed = await run(startScript, [...startArgs(live, layout), '--resume'], { cwd: live.project, env: live.env });
  assert.equal(resumed.exitCode, 0, resumed.stderr);
  const done = await orch(['wait', slow, '--timeout', '120']);
  assert.equal(done.exitCode, 0, done.stderr);
  assert.equal(readFileSync(join(wt, 'after-resume.txt'), 'utf8'), 'done in the worktree');
  assert.equal(readFileSync(join(wt, 'notes.txt'), 'utf8'), 'a draft, not committed');
  const third = (await statusOf(live)).agents[0]!;
  assert.deepEqual(third.ports, first.ports);
  assert.equal(third.cwd, wt);
  assert.deepEqual(readdirSync(join(live.project, '.worktrees', 'wtkeep')), ['w1']);
  // The main checkout never saw any of it.
  assert.equal(git(live.project, 'status', '--porcelain'), '?? .env');

  // Ended again, it is kept; prune keeps it too until its work is merged, then removes it.
  assert.equal((await orch(['session', 'end'])).exitCode, 0);
  const listed = await orch(['worktrees']);
  assert.match(listed.stdout, /w1 {2}wtkeep\/w1 \(from main\) {2}.*\n {2}0 ahead, 0 behind; 2 files changed, 2 uncommitted\n {2}kept: 2 uncommitted files \((after-resume.txt, notes.txt|notes.txt, after-resume.txt)\)/);
  assert.match((await orch(['worktrees', 'prune'])).stdout, /^w1: kept .*2 uncommitted files/);
  assert.ok(existsSync(join(wt, 'notes.txt')));
  assert.equal((await orch(['merge', 'w1', '--commit-all', 'w1: notes'])).exitCode, 0);
  assert.match((await orch(['worktrees', 'prune', '--dry-run'])).stdout, /^w1: would remove /);
  const pruned = await orch(['worktrees', 'prune']);
  assert.match(pruned.stdout, /^w1: removed .*; deleted branch wtkeep\/w1/);
  assert.equal(existsSync(wt), false);
  assert.equal(readFileSync(join(live.project, 'notes.txt'), 'utf8'), 'a draft, not committed');
});

test('a workflow task with merge: true merges its agent\'s work when done; one whose work conflicts fails with the files and changes nothing', { timeout: 240_000 }, async (t) => {
  const layout = writeLayout(t, `session: wtflow
defaults:
  worktree: true
  permission_mode: acceptEdits
windows:
  - panes:
      - agent: w1
      - agent: w2
      - agent: plain
        worktree: false
`);
  const live = await startLiveSession(t, { layout, prepare: project, env: { ...GIT_ENV, ORCH_PORTS_DIR: tempDir(t) } });
  const orch = orchestrate(live);
  await retryUntil(async () => (await live.status()).agents.every((a) => a.status === 'idle'), 120_000, 'agents idle');
  const bad = join(live.project, '..', 'bad.yaml');
  writeFiles(join(live.project, '..'), { 'bad.yaml': 'tasks:\n  x:\n    agent: plain\n    prompt: hi\n    merge: true\n' });
  const refused = await orch(['workflow', 'validate', bad]);
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /bad.yaml:5:\d+ .*merge: true needs agents with their own worktree, and plain has none/);

  writeFiles(join(live.project, '..'), { 'flow.yaml': `tasks:
  first:
    agent: w1
    merge: true
    prompt: ${JSON.stringify(`[[read src/api.ts]][[write src/api.ts ${JSON.stringify(API.replace('b = 2', 'b = 10'))}]]`)}
  second:
    needs: [first]
    agent: w2
    merge: true
    prompt: ${JSON.stringify(`[[read src/api.ts]][[write src/api.ts ${JSON.stringify(API.replace('b = 2', 'b = 20'))}]]`)}
` });
  const mainBefore = git(live.project, 'rev-parse', 'main');
  const ran = await orch(['run', join(live.project, '..', 'flow.yaml'), '--wait', '--timeout', '180', '--json']);
  assert.equal(ran.exitCode, 1, ran.stdout);
  const runRecord = JSON.parse(ran.stdout) as { id: string; state: string; tasks: Record<string, { state: string; result: string | null; error: string | null }> };
  assert.equal(runRecord.tasks.first!.state, 'done');
  assert.match(runRecord.tasks.first!.result!, /\[merge: fast-forwarded 1 commit of wtflow\/w1 into main/);
  assert.equal(runRecord.tasks.second!.state, 'failed');
  assert.match(runRecord.tasks.second!.error!, /^merge conflict: src\/api.ts \(lines 2\); nothing was changed, wtflow\/w2 keeps the work$/);
  assert.equal(git(live.project, 'log', '-1', '--format=%s', 'main'), `flow: first (run ${runRecord.id})`);
  assert.equal(git(live.project, 'rev-list', '--count', `${mainBefore}..main`), '1');
  assert.match(readFileSync(join(live.project, 'src/api.ts'), 'utf8'), /b = 10/);
  assert.match(git(join(live.project, '.worktrees', 'wtflow', 'w2'), 'show', 'HEAD:src/api.ts'), /b = 20/);
});

test('fork_from into a worktree: the fork runs in its own worktree and starts from the lead\'s conversation', { timeout: 240_000 }, async (t) => {
  const secret = 'the secret word is MANGO-3';
  const layout = writeLayout(t, `session: wtfork
windows:
  - panes:
      - agent: lead
        prompt: "[[say I will remember that ${secret}]] remember: ${secret}"
      - agent: w1
        fork_from: lead
        worktree: true
`);
  const live = await startLiveSession(t, { layout, prepare: project, env: { ...GIT_ENV, ORCH_PORTS_DIR: tempDir(t) } });
  const orch = orchestrate(live);
  await retryUntil(async () => (await live.status()).agents.every((a) => a.status === 'idle'), 120_000, 'both idle');
  const w1 = (await statusOf(live)).agents.find((a) => a.name === 'w1')!;
  assert.equal(w1.cwd, join(live.project, '.worktrees', 'wtfork', 'w1'));
  const asked = await orch(['dispatch', 'w1', 'what was the word? [[bash pwd]]', '--wait', '--timeout', '60']);
  assert.equal(asked.exitCode, 0, asked.stderr);
  const id = live.store().agents.w1!.session_id;
  const first = live.standin.requests.filter((x) => x.headers['x-claude-code-session-id'] === id && !x.side)[0]!;
  assert.ok(JSON.stringify(first.body).includes(`remember: ${secret}`), 'the fork carries the lead\'s prompt');
  assert.ok(JSON.stringify(first.body).includes(`I will remember that ${secret}`), 'and its answer');
  assert.equal(asked.stdout.trim(), w1.cwd);
  assert.match(readFileSync(join(live.state, 'agents', 'w1', 'launch.log'), 'utf8'), /starting w1 from lead's conversation/);
});
