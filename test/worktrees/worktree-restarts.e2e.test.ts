// Worktrees through restarts, with the real claude CLI, real git and real tmux: uncommitted work
// survives session end, a new start, and kill -9 of the tmux server mid-task with --resume, the
// ports stay the agent's, and prune removes the worktree only once its work is merged; fork_from
// into a worktree starts from the parent's conversation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run, startScript } from '../helpers/cli.js';
import { retryUntil } from '../helpers/tmux.js';
import { git } from '../helpers/git.js';
import { alive, withDescendants } from '../../src/session/processes.js';
import { orchestrate, startArgs, startInProject, statusOf } from '../helpers/worktrees.js';

test('uncommitted work in a worktree survives session end, a new start, and kill -9 of the tmux server mid-task with --resume; the ports stay the same; prune removes it only once merged', {
  timeout: 300_000,
}, async (t) => {
  const layoutYaml = `session: wtkeep
defaults:
  permission_mode: acceptEdits
  allowed_tools: [Bash]
  ports: 3
windows:
  - panes:
      - agent: w1
        worktree: true
`;
  const live = await startInProject(t, layoutYaml);
  const orch = orchestrate(live);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  const first = (await statusOf(live)).agents[0]!;
  const wt = first.worktree!.path;
  const wrote = await orch([
    'dispatch',
    '--wait',
    '--timeout',
    '60',
    'w1',
    '[[write notes.txt "a draft, not committed"]]',
  ]);
  assert.equal(wrote.exitCode, 0, wrote.stderr);

  const ended = await orch(['session', 'end']);
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.match(ended.stdout, /Worktree of w1: kept .*1 uncommitted file \(notes.txt\)/);
  assert.equal(readFileSync(join(wt, 'notes.txt'), 'utf8'), 'a draft, not committed');
  const handover = readFileSync(/Handover: (.*)/.exec(ended.stdout)![1]!.trim(), 'utf8');
  assert.match(
    handover,
    /### w1: `wtkeep\/w1` from `main`[\s\S]*Kept: 1 uncommitted file \(notes.txt\)[\s\S]*--commit-all/,
  );

  // A new start finds the same worktree, work and ports.
  const again = await run(startScript, startArgs(live, live.layout), { cwd: live.project, env: live.env });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /w1: reuses its worktree/);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle again', 120_000);
  const second = (await statusOf(live)).agents[0]!;
  assert.deepEqual(second.ports, first.ports);
  assert.equal(second.cwd, wt);

  // kill -9 of the tmux server while a task runs; --resume runs it again in the same worktree.
  const slow = (
    await orch(['dispatch', 'w1', '[[bash sleep 8]][[write after-resume.txt "done in the worktree"]]'])
  ).stdout.trim();
  await retryUntil(
    () => {
      const d = live.store();
      return d.tasks?.[slow]?.state === 'running' && d.agents.w1!.last_tool === 'Bash';
    },
    60_000,
    'the task running its tool',
  );
  const pids = withDescendants((await live.server.panes()).map((p) => Number(p.pane_pid)).filter(Boolean));
  const serverPid = Number((await live.server.cmd(['display-message', '-p', '#{pid}'])).trim());
  for (const pid of [serverPid, ...pids]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await retryUntil(() => ![serverPid, ...pids].some(alive), 10_000, 'every process gone');
  await retryUntil(
    async () => ((await live.status()) as unknown as { state: string }).state === 'lost',
    10_000,
    'the session lost',
  );
  const resumed = await run(startScript, [...startArgs(live, live.layout), '--resume'], {
    cwd: live.project,
    env: live.env,
  });
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
  assert.match(
    listed.stdout,
    /w1 {2}wtkeep\/w1 \(from main\) {2}.*\n {2}0 ahead, 0 behind; 2 files changed, 2 uncommitted\n {2}kept: 2 uncommitted files \((after-resume.txt, notes.txt|notes.txt, after-resume.txt)\)/,
  );
  assert.match((await orch(['worktrees', 'prune'])).stdout, /^w1: kept .*2 uncommitted files/);
  assert.ok(existsSync(join(wt, 'notes.txt')));
  assert.equal((await orch(['merge', 'w1', '--commit-all', 'w1: notes'])).exitCode, 0);
  assert.match((await orch(['worktrees', 'prune', '--dry-run'])).stdout, /^w1: would remove /);
  const pruned = await orch(['worktrees', 'prune']);
  assert.match(pruned.stdout, /^w1: removed .*; deleted branch wtkeep\/w1/);
  assert.equal(existsSync(wt), false);
  assert.equal(readFileSync(join(live.project, 'notes.txt'), 'utf8'), 'a draft, not committed');
});

test("fork_from into a worktree: the fork runs in its own worktree and starts from the lead's conversation", {
  timeout: 240_000,
}, async (t) => {
  const secret = 'the secret word is MANGO-3';
  const layoutYaml = `session: wtfork
windows:
  - panes:
      - agent: lead
        prompt: "[[say I will remember that ${secret}]] remember: ${secret}"
      - agent: w1
        fork_from: lead
        worktree: true
`;
  const live = await startInProject(t, layoutYaml);
  const orch = orchestrate(live);
  await retryUntil(async () => (await live.status()).agents.every((a) => a.status === 'idle'), 120_000, 'both idle');
  const w1 = (await statusOf(live)).agents.find((a) => a.name === 'w1')!;
  assert.equal(w1.cwd, join(live.project, '.worktrees', 'wtfork', 'w1'));
  const asked = await orch(['dispatch', 'w1', 'what was the word? [[bash pwd]]', '--wait', '--timeout', '60']);
  assert.equal(asked.exitCode, 0, asked.stderr);
  const id = live.store().agents.w1!.session_id;
  const first = live.standin.requests.filter((x) => x.headers['x-claude-code-session-id'] === id && !x.side)[0]!;
  assert.ok(JSON.stringify(first.body).includes(`remember: ${secret}`), "the fork carries the lead's prompt");
  assert.ok(JSON.stringify(first.body).includes(`I will remember that ${secret}`), 'and its answer');
  assert.equal(asked.stdout.trim(), w1.cwd);
  assert.match(
    readFileSync(join(live.state, 'agents', 'w1', 'launch.log'), 'utf8'),
    /starting w1 from lead's conversation/,
  );
});
