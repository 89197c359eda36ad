// Workflows with the real claude CLI: tasks whose needs are met run in parallel on idle agents, a
// result flows into a later prompt, a scheduler (the recorder) killed with kill -9 mid-run finishes
// the run after its restart with every task delivered exactly once, failures retry and skip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { run, orchestrateScript } from '../helpers/cli.js';
import { retryUntil, tempDir } from '../helpers/tmux.js';
import type { RunRecord } from '../../src/workflow/types.js';

const TEAM = ['lead', 'worker-1', 'worker-2', 'worker-3'];
const childPid = (pid: string): number => Number(execFileSync('pgrep', ['-P', pid]).toString().trim().split('\n')[0]);

function submittedPrompts(state: string): string[] {
  return TEAM.flatMap((agent) =>
    readFileSync(join(state, 'agents', agent, 'status.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: { hook_event_name?: string; prompt?: string } | null })
      .filter((l) => l.event?.hook_event_name === 'UserPromptSubmit')
      .map((l) => l.event!.prompt ?? ''),
  );
}

test('a 4-task workflow: parallel tasks, results passed on, recorder killed mid-run, retries and skips', {
  timeout: 300_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    `windows:\n  - name: agents\n    panes:\n${TEAM.map((n) => `      - agent: ${n}\n        role: ${n === 'lead' ? 'lead' : 'worker'}\n        permission_mode: acceptEdits\n`).join('')}`,
  );
  const live = await startLiveSession(t, { layout });
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    90_000,
    'all four agents idle',
  );
  const dir = tempDir(t);
  const workflow = join(dir, 'four.yaml');
  writeFileSync(
    workflow,
    `name: four
tasks:
  plan:
    agent: lead
    prompt: "[[say PLAN-42]] make a plan"
  impl-a:
    needs: [plan]
    role: worker
    prompt: "[[slow 2500]] [[write a.txt part A of {{ tasks.plan.result }}]]"
  impl-b:
    needs: [plan]
    role: worker
    prompt: "[[slow 2500]] [[write b.txt part B of {{ tasks.plan.result }}]]"
  review:
    needs: [impl-a, impl-b]
    agent: lead
    prompt: "review: {{ tasks.impl-a.agent }} said {{ tasks.impl-a.result }}; {{ tasks.impl-b.agent }} said {{ tasks.impl-b.result }}"
`,
  );
  const orch = (args: string[], env: Record<string, string> = {}) =>
    run(orchestrateScript, [args[0]!, '--state', live.state, ...args.slice(1)], { env: { ...live.env, ...env } });
  const started = await orch(['run', workflow, '--json']);
  assert.equal(started.exitCode, 0, started.stderr);
  const runId = (JSON.parse(started.stdout) as { id: string }).id;
  const runOf = (): RunRecord => live.store().runs![runId]!;

  // Kill the scheduler (the recorder) while the two implementations run; its loop restarts it.
  await retryUntil(
    () => runOf()?.tasks['impl-a']?.state === 'running' || runOf()?.tasks['impl-b']?.state === 'running',
    60_000,
    'an implementation running',
  );
  const recorderSh = (
    await live.server.cmd(['display-message', '-p', '-t', live.store().session!.control!.recorderPane, '#{pane_pid}'])
  ).trim();
  process.kill(childPid(recorderSh), 'SIGKILL');

  const finished = await retryUntil(() => runOf().state !== 'running' && runOf(), 120_000, 'run finished');
  assert.equal(finished.state, 'done', JSON.stringify(finished.tasks, null, 2));
  const { plan, review } = finished.tasks;
  const a = finished.tasks['impl-a']!;
  const b = finished.tasks['impl-b']!;
  assert.equal(plan!.result, 'PLAN-42');
  assert.equal(
    readFileSync(join(live.project, 'a.txt'), 'utf8'),
    'part A of PLAN-42',
    "the plan's result reached the implementation prompt",
  );
  assert.equal(readFileSync(join(live.project, 'b.txt'), 'utf8'), 'part B of PLAN-42');
  assert.notEqual(a.agent, b.agent, 'two workers');
  assert.ok(
    Date.parse(a.started_at!) < Date.parse(b.ended_at!) && Date.parse(b.started_at!) < Date.parse(a.ended_at!),
    'the two implementations ran at the same time',
  );
  const reviewTask = live.store().tasks![review!.tries[0]!]!;
  assert.match(reviewTask.prompt, new RegExp(`review: ${a.agent} said .*a\\.txt.*; ${b.agent} said .*b\\.txt`));
  // Every task delivered exactly once, despite the kill.
  const prompts = submittedPrompts(live.state);
  for (const task of Object.values(finished.tasks)) {
    assert.equal(task.tries.length, 1, `${task.name} tried once`);
    const prompt = live.store().tasks![task.tries[0]!]!.prompt;
    assert.equal(prompts.filter((p) => p === prompt).length, 1, `${task.name} submitted exactly once`);
  }
  const runs = await orch(['runs']);
  assert.match(runs.stdout, new RegExp(`${runId}  four\\s+done\\s+4/4 done`));

  // A failing task is retried, then fails; what needs it is skipped; --wait prints the summary and exits 1.
  const failing = join(dir, 'failing.yaml');
  writeFileSync(
    failing,
    'tasks:\n  flaky:\n    agent: worker-3\n    retries: 1\n    prompt: "[[error 500]] fail"\n  after:\n    needs: [flaky]\n    agent: worker-3\n    prompt: never sent\n',
  );
  const failed = await orch(['run', failing, '--wait', '--timeout', '120']);
  assert.equal(failed.exitCode, 1, failed.stderr);
  assert.match(failed.stdout, /flaky\s+failed\s+worker-3/);
  assert.match(failed.stdout, /after\s+skipped/);
  const failedRun = Object.values(live.store().runs!).find((r) => r.name === 'failing')!;
  assert.equal(failedRun.tasks.flaky!.tries.length, 2, 'one retry');

  // run --resume --wait waits for the resumed run (its new tries), not the summary of the old one.
  const again = await orch(['run', '--resume', failedRun.id, '--wait', '--json', '--timeout', '120']);
  assert.equal(again.exitCode, 1, again.stderr);
  // With --json, standard output is the run alone.
  const resumedRun = JSON.parse(again.stdout) as RunRecord;
  assert.match(again.stderr, /resuming: /);
  assert.equal(resumedRun.resumes?.length, 1);
  const newTries = resumedRun.tasks.flaky!.tries;
  assert.equal(newTries.length, 2, 'the resumed run tried again (with its retry)');
  assert.ok(
    newTries.every((id) => !failedRun.tasks.flaky!.tries.includes(id)),
    'the summary is of the new tries',
  );
  assert.ok(
    newTries.every((id) => live.store().tasks![id]!.state === 'failed'),
    'both new tries had finished when --wait returned',
  );

  // A bad workflow names file:line:col and starts nothing.
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'tasks:\n  x:\n    agent: worker-9\n    prompt: hi\n');
  const refused = await orch(['run', bad]);
  assert.equal(refused.exitCode, 2);
  assert.match(
    refused.stderr,
    /bad\.yaml:3:12 tasks\.x\.agent: no agent named "worker-9" in this session \(did you mean "worker-1"\?/,
  );
  assert.equal(Object.keys(live.store().runs!).length, 2);
});
