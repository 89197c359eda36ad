// Worktrees with the real claude CLI (API stand-in), real git and real tmux: two workers told to
// write the same file at the same time each get their own version on their own branch; the
// conflict is reported before any merge; the first merges and the second reports the conflict
// with the target untouched; the setup copies an .env and runs a command, and a failing one shows
// error; a workflow task with merge: true merges, or fails on a conflict.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { orchestrateScript, run } from '../helpers/cli.js';
import { retryUntil } from '../helpers/tmux.js';
import { git, writeFiles } from '../helpers/git.js';
import { readDashboardInfo } from '../../src/dashboard/info.js';
import { browserForTest } from '../helpers/browser.js';
import { API, orchestrate, startInProject, statusOf } from '../helpers/worktrees.js';

test("two workers write the same file: each has its version on its branch, the conflict is seen before merging (status, conflicts, the dashboard, the lead's MCP tools), the first merges and the second is refused with nothing changed", {
  timeout: 300_000,
}, async (t) => {
  const layoutYaml = `session: wt
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
`;
  const live = await startInProject(t, layoutYaml);
  const orch = orchestrate(live);
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    120_000,
    'both agents idle',
  );
  const st = await statusOf(live);
  const [w1, w2] = [st.agents.find((a) => a.name === 'w1')!, st.agents.find((a) => a.name === 'w2')!];
  for (const a of [w1, w2]) {
    assert.equal(a.worktree!.path, join(live.project, '.worktrees', 'wt', a.name));
    assert.equal(a.worktree!.branch, `wt/${a.name}`);
    assert.equal(a.cwd, a.worktree!.path);
    assert.equal(git(a.worktree!.path, 'symbolic-ref', '--short', 'HEAD'), `wt/${a.name}`);
    // The setup ran in the worktree, after the copy, with the agent's ports.
    assert.equal(
      readFileSync(join(a.worktree!.path, 'setup-saw.txt'), 'utf8'),
      `API_KEY=from-the-project\nORCH_PORT=${a.ports[0]}\n`,
    );
    assert.equal(a.ports.length, 5);
  }
  assert.equal(new Set([...w1.ports, ...w2.ports]).size, 10, 'the two blocks do not overlap');
  // claude itself runs there, with the ports in its environment.
  const port = await orch(['dispatch', '--wait', '--timeout', '60', 'w1', '[[bash echo "port=$ORCH_PORT in $(pwd)"]]']);
  assert.equal(port.exitCode, 0, port.stderr);
  assert.equal(port.stdout.trim(), `port=${w1.ports[0]} in ${w1.worktree!.path}`);

  // The same file, the same line, at the same time.
  const [d1, d2] = await Promise.all([
    orch([
      'dispatch',
      '--wait',
      '--timeout',
      '60',
      'w1',
      `[[read src/api.ts]][[write src/api.ts ${JSON.stringify(API.replace('b = 2', 'b = 10'))}]]`,
    ]),
    orch([
      'dispatch',
      '--wait',
      '--timeout',
      '60',
      'w2',
      `[[read src/api.ts]][[write src/api.ts ${JSON.stringify(API.replace('b = 2', 'b = 20'))}]]`,
    ]),
  ]);
  assert.equal(d1.exitCode, 0, d1.stderr);
  assert.equal(d2.exitCode, 0, d2.stderr);
  assert.match(readFileSync(join(w1.worktree!.path, 'src/api.ts'), 'utf8'), /b = 10/);
  assert.match(readFileSync(join(w2.worktree!.path, 'src/api.ts'), 'utf8'), /b = 20/);
  assert.equal(readFileSync(join(live.project, 'src/api.ts'), 'utf8'), API, 'the main checkout is untouched');

  // The recorder found the conflict after their turns, before anyone merged (or even committed).
  const seen = await retryUntil(
    async () => (await statusOf(live)).conflicts.find((c) => c.agents.includes('w1') && c.agents.includes('w2')),
    30_000,
    'the conflict in status',
  );
  assert.deepEqual(
    seen.files.map((f) => [f.path, f.lines]),
    [['src/api.ts', [[2, 2]]]],
  );
  assert.match(seen.text, /w1 and w2 both change src\/api.ts: conflict in line 2/);
  const text = await run(orchestrateScript, ['status', '--state', live.state], { env: live.env });
  assert.match(text.stdout, /conflict: w1 and w2 both change src\/api.ts/);
  assert.match(text.stdout, /worktree wt\/w1: 0 ahead, 0 behind main; 1 file changed, 1 uncommitted/);
  const now = await orch(['conflicts']);
  assert.equal(now.exitCode, 1, 'conflicts found: exit 1, as merge --check');
  assert.match(now.stdout, /w1 and w2 both change src\/api.ts: conflict in line 2/);
  // So does the dashboard, in a real browser: each card has its worktree line and ports, and the conflict is listed.
  const info = await retryUntil(() => readDashboardInfo(live.state), 30_000, 'the dashboard');
  const page = await (await browserForTest(t)).newPage();
  await page.goto(info.open_url);
  const card = page.locator('[data-agent="w1"] dd.worktree');
  await card
    .filter({ hasText: 'wt/w1: 0 ahead, 0 behind main; 1 file changed, 1 uncommitted' })
    .waitFor({ timeout: 15_000 });
  assert.equal(await page.locator('[data-agent="w1"] dd.ports').textContent(), `${w1.ports[0]}-${w1.ports[4]}`);
  assert.equal(await page.locator('[data-agent="lead"] dd.worktree').isVisible(), false);
  await page
    .locator('#conflicts li', { hasText: 'w1 and w2 both change src/api.ts: conflict in line 2' })
    .waitFor({ timeout: 15_000 });

  // The lead sees the same through its MCP tools.
  const asked = await orch([
    'dispatch',
    '--wait',
    '--timeout',
    '120',
    'lead',
    '[[tool WaitForMcpServers {}]] [[tool mcp__orchestrator__conflicts {}]]',
  ]);
  assert.equal(asked.exitCode, 0, asked.stderr);
  assert.match(asked.stdout, /tool result: - w1 and w2 both change src\/api.ts: conflict in line 2 \(as w1 has it\)/);
  const stat = await orch([
    'dispatch',
    '--wait',
    '--timeout',
    '120',
    'lead',
    '[[tool mcp__orchestrator__diff_agent {"agent":"w1","stat":true}]]',
  ]);
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
  const w2Before = {
    head: git(w2.worktree!.path, 'rev-parse', 'HEAD'),
    status: git(w2.worktree!.path, 'status', '--porcelain'),
  };
  // Its work is not committed: a plain check has nothing to merge; with --commit-all it counts, and is still not committed.
  const plainCheck = await orch(['merge', 'w2', '--check']);
  assert.equal(plainCheck.exitCode, 0, plainCheck.stderr);
  assert.match(plainCheck.stdout, /main already has everything committed on wt\/w2\. 1 uncommitted file is left/);
  const check = await orch(['merge', 'w2', '--check', '--commit-all', 'not yet']);
  assert.equal(check.exitCode, 1, check.stdout);
  assert.equal(git(w2.worktree!.path, 'rev-parse', 'HEAD'), w2Before.head);
  const m2 = await orch(['merge', 'w2', '--commit-all', 'w2: b is 20']);
  assert.equal(m2.exitCode, 1, m2.stdout);
  assert.match(
    m2.stderr,
    /does not merge cleanly into main: conflicts in src\/api.ts\. Nothing was changed.*Nothing was committed/,
  );
  assert.match(m2.stderr, /src\/api.ts \(contents, lines 2 of main\)/);
  assert.equal(git(live.project, 'rev-parse', 'main'), mainBefore);
  assert.equal(git(live.project, 'status', '--porcelain'), checkoutBefore);
  assert.match(readFileSync(join(live.project, 'src/api.ts'), 'utf8'), /b = 10/);
  // --commit-all commits only a merge that goes through: w2's branch, index and files are as they were.
  assert.deepEqual(
    { head: git(w2.worktree!.path, 'rev-parse', 'HEAD'), status: git(w2.worktree!.path, 'status', '--porcelain') },
    w2Before,
  );
  assert.match(readFileSync(join(w2.worktree!.path, 'src/api.ts'), 'utf8'), /b = 20/);

  // session end: w1's worktree (merged, clean) goes with its branch; w2's is kept and the handover says how to merge or drop it.
  const ended = await orch(['session', 'end']);
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.match(ended.stdout, /Worktree of w1: removed .*deleted branch wt\/w1/);
  assert.match(ended.stdout, /Worktree of w2: kept .*1 uncommitted file \(src\/api.ts\)/);
  assert.equal(existsSync(w1.worktree!.path), false);
  assert.ok(existsSync(join(w2.worktree!.path, 'src/api.ts')));
  const handover = readFileSync(/Handover: (.*)/.exec(ended.stdout)![1]!.trim(), 'utf8');
  assert.match(handover, /## Worktrees/);
  assert.match(
    handover,
    /### w2: `wt\/w2` from `main`[\s\S]*Kept: 1 uncommitted file \(src\/api.ts\)[\s\S]*merge w2 --commit-all .*--state[\s\S]*branch -D/,
  );
});

test('a failing setup marks the agent error with its log, claude never starts, and its tasks fail at once', {
  timeout: 180_000,
}, async (t) => {
  const layoutYaml = `session: wtfail
worktrees:
  setup: "echo installing; echo broken dependency >&2; exit 3"
windows:
  - panes:
      - agent: w1
        worktree: true
`;
  const live = await startInProject(t, layoutYaml);
  const agent = await live.waitFor('w1', (a) => a.status === 'error', 'in error', 60_000);
  const log = join(live.state, 'agents', 'w1', 'setup.log');
  assert.equal(
    agent.reason,
    `worktree setup failed (exit code 3), claude was not started: see ${log}; fix it, then ./start.mts --restart`,
  );
  assert.equal(readFileSync(log, 'utf8'), 'installing\nbroken dependency\n');
  assert.equal(live.standin.requests.length, 0, 'claude never started');
  const pane = await live.server.cmd(['capture-pane', '-p', '-t', agent.pane]);
  assert.match(pane, /The setup failed \(exit code 3\); claude was not started/);
  const task = await orchestrate(live)(['dispatch', '--wait', '--timeout', '30', 'w1', 'anything']);
  assert.equal(task.exitCode, 1);
  assert.match(task.stderr, /w1 cannot take tasks: worktree setup failed/);
  // Its waiting launch script ends on session end's SIGTERM at once (no grace period runs out).
  const ended = await orchestrate(live)(['session', 'end']);
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.match(ended.stdout, /Ending w1 \(SIGTERM\)/);
  assert.doesNotMatch(ended.stdout, /No end recorded/);
});

test("a workflow task with merge: true merges its agent's work when done; one whose work conflicts fails with the files and changes nothing", {
  timeout: 240_000,
}, async (t) => {
  const layoutYaml = `session: wtflow
defaults:
  worktree: true
  permission_mode: acceptEdits
windows:
  - panes:
      - agent: w1
      - agent: w2
      - agent: plain
        worktree: false
`;
  const live = await startInProject(t, layoutYaml);
  const orch = orchestrate(live);
  await retryUntil(async () => (await live.status()).agents.every((a) => a.status === 'idle'), 120_000, 'agents idle');
  const bad = join(live.project, '..', 'bad.yaml');
  writeFiles(join(live.project, '..'), {
    'bad.yaml': 'tasks:\n  x:\n    agent: plain\n    prompt: hi\n    merge: true\n',
  });
  const refused = await orch(['workflow', 'validate', bad]);
  assert.equal(refused.exitCode, 2);
  assert.match(refused.stderr, /bad.yaml:5:\d+ .*merge: true needs agents with their own worktree, and plain has none/);

  writeFiles(join(live.project, '..'), {
    'flow.yaml': `tasks:
  first:
    agent: w1
    merge: true
    prompt: ${JSON.stringify(`[[read src/api.ts]][[write src/api.ts ${JSON.stringify(API.replace('b = 2', 'b = 10'))}]]`)}
  second:
    needs: [first]
    agent: w2
    merge: true
    prompt: ${JSON.stringify(`[[read src/api.ts]][[write src/api.ts ${JSON.stringify(API.replace('b = 2', 'b = 20'))}]]`)}
`,
  });
  const mainBefore = git(live.project, 'rev-parse', 'main');
  const ran = await orch(['run', join(live.project, '..', 'flow.yaml'), '--wait', '--timeout', '180', '--json']);
  assert.equal(ran.exitCode, 1, ran.stdout);
  const runRecord = JSON.parse(ran.stdout) as {
    id: string;
    state: string;
    tasks: Record<string, { state: string; result: string | null; error: string | null }>;
  };
  assert.equal(runRecord.tasks.first!.state, 'done');
  assert.match(runRecord.tasks.first!.result!, /\[merge: fast-forwarded 1 commit of wtflow\/w1 into main/);
  assert.equal(runRecord.tasks.second!.state, 'failed');
  assert.match(
    runRecord.tasks.second!.error!,
    /^merge conflict: src\/api.ts \(lines 2\); nothing was changed, wtflow\/w2 and its worktree keep the work$/,
  );
  assert.equal(git(live.project, 'log', '-1', '--format=%s', 'main'), `flow: first (run ${runRecord.id})`);
  assert.equal(git(live.project, 'rev-list', '--count', `${mainBefore}..main`), '1');
  assert.match(readFileSync(join(live.project, 'src/api.ts'), 'utf8'), /b = 10/);
  // Its work was not committed either: nothing changes on a conflict, the agent's branch included.
  const w2 = join(live.project, '.worktrees', 'wtflow', 'w2');
  assert.equal(git(w2, 'rev-parse', 'HEAD'), mainBefore);
  assert.equal(git(w2, 'status', '--porcelain'), 'M src/api.ts');
  assert.match(readFileSync(join(w2, 'src/api.ts'), 'utf8'), /b = 20/);

  // An earlier edit left uncommitted in w1's worktree is not the next task's work: merge: true does not sweep it in.
  const w1 = join(live.project, '.worktrees', 'wtflow', 'w1');
  writeFiles(w1, { 'notes.txt': 'an earlier edit\n' });
  writeFiles(join(live.project, '..'), {
    'flow2.yaml': `tasks:\n  third:\n    agent: w1\n    merge: true\n    prompt: ${JSON.stringify('[[write other.txt "third"]]')}\n`,
  });
  const [w1Head, mainNow] = [git(w1, 'rev-parse', 'HEAD'), git(live.project, 'rev-parse', 'main')];
  const ran2 = await orch(['run', join(live.project, '..', 'flow2.yaml'), '--wait', '--timeout', '120', '--json']);
  assert.equal(ran2.exitCode, 1, ran2.stdout);
  const third = (JSON.parse(ran2.stdout) as { tasks: Record<string, { state: string; error: string | null }> }).tasks
    .third!;
  assert.equal(third.state, 'failed');
  assert.match(
    third.error!,
    /^not merged: .*w1 held uncommitted files before this task began \(notes.txt\), and merge: true commits only the task's own work/,
  );
  assert.equal(git(live.project, 'rev-parse', 'main'), mainNow);
  assert.equal(git(w1, 'rev-parse', 'HEAD'), w1Head);
  assert.equal(git(w1, 'status', '--porcelain', '--untracked-files=all'), '?? notes.txt\n?? other.txt');
});
