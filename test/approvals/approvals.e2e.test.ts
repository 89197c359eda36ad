// Permission requests with the real claude CLI (default permission mode, the stand-in scripting a
// Bash call): the request is in the store with its input and the agent waits; approve lets the
// command run, deny blocks it and Claude is told why; approve --always allows the same call from
// then on; an answer in the pane counts; layout rules allow and deny without anyone; a request
// nobody answers times out to Claude's own dialog; a request whose claude is killed is withdrawn.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLiveSession, writeLayout, type LiveSession } from '../helpers/session.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { retryUntil } from '../helpers/tmux.js';
import type { ApprovalRecord } from '../../src/store/types.js';
import { readDashboardInfo } from '../../src/dashboard/info.js';
import { browserForTest } from '../helpers/browser.js';
import { childrenOf, processesOf } from '../../src/session/processes.js';
import { approvalHookFile } from '../../src/store/paths.js';

const orch = (live: LiveSession) => (args: string[]) =>
  run(orchestrateScript, [...args, '--state', live.state], { env: live.env });
const pending = (live: LiveSession): ApprovalRecord[] =>
  Object.values(live.store().approvals ?? {}).filter((r) => r.state === 'pending');
const waitPending = (live: LiveSession, what: string): Promise<ApprovalRecord> =>
  retryUntil(() => pending(live)[0], 60_000, `a pending request (${what})`);

test('a permission request waits in the store; approve runs it, deny blocks it and Claude is told, --always allows it from then on, the pane counts too', {
  timeout: 300_000,
}, async (t) => {
  const live = await startLiveSession(t, {
    layout: writeLayout(t, 'session: perms\nwindows:\n  - panes:\n      - agent: w1\n'),
  });
  const o = orch(live);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  const file = (name: string): string => join(live.project, name);

  const first = (await o(['dispatch', 'w1', `[[bash touch ${file('a.txt')}]]`])).stdout.trim();
  const request = await waitPending(live, 'touch a.txt');
  assert.equal(request.tool, 'Bash');
  assert.equal(request.input.command, `touch ${file('a.txt')}`);
  assert.equal(request.summary, `Bash(touch ${file('a.txt')})`);
  const waiting = await live.agent('w1');
  assert.equal(waiting.status, 'waiting');
  assert.match(waiting.reason!, new RegExp(`^permission: Bash\\(touch ${file('a.txt')}\\): orchestrate approve w1`));
  const listed = await o(['approvals']);
  assert.match(listed.stdout, new RegExp(`${request.id} {2}w1 {2}.*pending.* {2}Bash\\(touch`));
  const approved = await o(['approve', 'w1']);
  assert.equal(approved.exitCode, 0, approved.stderr);
  assert.equal((await o(['wait', first, '--timeout', '60'])).exitCode, 0);
  assert.ok(existsSync(file('a.txt')), 'the approved command ran');
  const decided = live.store().approvals![request.id]!;
  assert.deepEqual([decided.state, decided.by], ['allowed', 'cli']);
  const again = await o(['approve', request.id]);
  assert.equal(again.exitCode, 1);
  assert.match(again.stderr, /is allowed already \(by cli\)/);

  const second = (await o(['dispatch', 'w1', `[[bash touch ${file('b.txt')}]]`])).stdout.trim();
  await waitPending(live, 'touch b.txt');
  const denied = await o(['deny', 'w1', 'not in this repository']);
  assert.equal(denied.exitCode, 0, denied.stderr);
  await o(['wait', second, '--timeout', '60']);
  assert.equal(existsSync(file('b.txt')), false, 'the denied command did not run');
  const told = live.standin.requests.filter((r) => r.prompt === `[[bash touch ${file('b.txt')}]]`).at(-1)!;
  assert.match(JSON.stringify(told.body), /not in this repository/, 'Claude was told why');

  const third = (await o(['dispatch', 'w1', `[[bash touch ${file('c.txt')}]]`])).stdout.trim();
  await waitPending(live, 'touch c.txt');
  assert.equal((await o(['approve', 'w1', '--always'])).exitCode, 0);
  await o(['wait', third, '--timeout', '60']);
  await retryUntil(
    () => live.store().policy?.w1?.allow.includes(`Bash(touch ${file('c.txt')})`),
    10_000,
    'the rule added',
  );
  const fourth = (await o(['dispatch', 'w1', `[[bash touch ${file('c.txt')}]] once more`])).stdout.trim();
  assert.equal((await o(['wait', fourth, '--timeout', '60'])).exitCode, 0);
  const byRule = Object.values(live.store().approvals!).at(-1)!;
  assert.deepEqual([byRule.state, byRule.by, byRule.rule], ['allowed', 'policy', `Bash(touch ${file('c.txt')})`]);

  // Answered in the pane (1. Yes): the request leaves the queue.
  const fifth = (await o(['dispatch', 'w1', `[[bash touch ${file('d.txt')}]]`])).stdout.trim();
  const inPane = await waitPending(live, 'touch d.txt');
  await retryUntil(
    async () => /Do you want to proceed\?/.test(await live.server.cmd(['capture-pane', '-p', '-t', waiting.pane])),
    10_000,
    'the dialog in the pane',
  );
  await live.server.cmd(['send-keys', '-t', waiting.pane, 'Enter']);
  assert.equal((await o(['wait', fifth, '--timeout', '60'])).exitCode, 0);
  assert.ok(existsSync(file('d.txt')));
  const answered = await retryUntil(
    () => {
      const r = live.store().approvals![inPane.id]!;
      return r.state !== 'pending' && r;
    },
    10_000,
    'settled',
  );
  assert.deepEqual([answered.state, answered.by], ['answered', 'the pane']);
});

test('layout rules allow and deny without anyone, each with its rule; a request nobody answers falls back to the dialog', {
  timeout: 300_000,
}, async (t) => {
  const live = await startLiveSession(t, {
    layout: writeLayout(
      t,
      `session: policy
approvals:
  timeout: 3
defaults:
  allow: ["Bash(touch:*)", "Bash(echo:*)"]
  deny: ["Bash(rm -rf:*)", "Bash(rm:*)"]
windows:
  - panes:
      - agent: w1
`,
    ),
  });
  const o = orch(live);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  const file = join(live.project, 'x.txt');
  const allowed = await o(['dispatch', '--wait', '--timeout', '60', 'w1', `[[bash touch ${file}]]`]);
  assert.equal(allowed.exitCode, 0, allowed.stderr);
  assert.ok(existsSync(file));
  const denied = await o(['dispatch', '--wait', '--timeout', '60', 'w1', `[[bash rm ${file}]]`]);
  assert.equal(denied.exitCode, 0, denied.stderr);
  assert.ok(existsSync(file), 'the denied rm did not run');
  // A line is allowed only when every command in it is: the allowed echo does not carry the rm -rf after it.
  const dir = join(live.project, 'DIR');
  mkdirSync(dir);
  const compound = await o(['dispatch', '--wait', '--timeout', '60', 'w1', `[[bash echo bye; rm -rf ${dir}]]`]);
  assert.equal(compound.exitCode, 0, compound.stderr);
  assert.ok(existsSync(dir), 'the rm -rf after the allowed echo did not run');
  const decisions = Object.values(live.store().approvals!).map((r) => [r.summary.split(' ')[0], r.state, r.by, r.rule]);
  assert.deepEqual(decisions, [
    ['Bash(touch', 'allowed', 'policy', 'Bash(touch:*)'],
    ['Bash(rm', 'denied', 'policy', 'Bash(rm:*)'],
    ['Bash(echo', 'denied', 'policy', 'Bash(rm -rf:*)'],
  ]);

  const task = (await o(['dispatch', 'w1', `[[bash mkdir ${join(live.project, 'y')}]]`])).stdout.trim();
  const request = await waitPending(live, 'mkdir');
  const timedOut = await retryUntil(
    () => {
      const r = live.store().approvals![request.id]!;
      return r.state === 'timed_out' && r;
    },
    20_000,
    'timed out',
  );
  assert.match(timedOut.message!, /Claude's own dialog in the pane decides/);
  // Not allowed by default: the dialog is still up, the agent still waits, nothing ran.
  const pane = live.store().agents.w1!.pane;
  await new Promise((r) => setTimeout(r, 1500));
  assert.match(await live.server.cmd(['capture-pane', '-p', '-t', pane]), /Do you want to proceed\?/);
  assert.equal(existsSync(join(live.project, 'y')), false);
  assert.equal(live.store().tasks![task]!.state, 'running');
  await live.server.cmd(['send-keys', '-t', pane, 'Escape']);
});

test('an Allow clicked on the dashboard in chromium lets the agent go on at once', { timeout: 240_000 }, async (t) => {
  const live = await startLiveSession(t, {
    layout: writeLayout(t, 'session: permsweb\nwindows:\n  - panes:\n      - agent: w1\n'),
  });
  const o = orch(live);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  const info = await retryUntil(() => readDashboardInfo(live.state), 30_000, 'the dashboard');
  const page = await (await browserForTest(t)).newPage();
  await page.goto(info.open_url);
  const file = join(live.project, 'web.txt');
  const task = (await o(['dispatch', 'w1', `[[bash touch ${file}]]`])).stdout.trim();
  const request = await waitPending(live, 'touch web.txt');
  const item = page.locator(`#approvals li[data-request="${request.id}"]`);
  await item.filter({ hasText: `w1 asks Bash(touch ${file})` }).waitFor({ timeout: 15_000 });
  assert.match((await item.locator('pre.input').textContent()) ?? '', new RegExp(`"command":"touch ${file}"`));
  await item.locator('button.allow').click();
  assert.equal((await o(['wait', task, '--timeout', '60'])).exitCode, 0);
  assert.ok(existsSync(file), 'the command ran');
  assert.deepEqual(
    [live.store().approvals![request.id]!.state, live.store().approvals![request.id]!.by],
    ['allowed', 'dashboard'],
  );
  await page.locator('#approvals-section').waitFor({ state: 'hidden', timeout: 15_000 });
});

test('a claude killed while its permission request waits: its hook stops at once and the request is withdrawn, not left pending', {
  timeout: 240_000,
}, async (t) => {
  const live = await startLiveSession(t, {
    layout: writeLayout(t, 'session: permskill\nwindows:\n  - panes:\n      - agent: w1\n'),
  });
  const o = orch(live);
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  await o(['dispatch', 'w1', `[[bash touch ${join(live.project, 'k.txt')}]]`]);
  const request = await waitPending(live, 'touch k.txt');
  const hooks = (): number[] =>
    processesOf(live.state)
      .filter((p) => p.command.includes(approvalHookFile(live.state)))
      .map((p) => p.pid);
  t.after(() => {
    for (const pid of hooks()) process.kill(pid, 'SIGKILL');
  });
  assert.notDeepEqual(hooks(), [], 'the hook waits');
  // The pane runs the launch script; its child is claude.
  const panePid = Number((await live.server.panes()).find((p) => p.pane_id === live.store().agents.w1!.pane)!.pane_pid);
  const [claude] = childrenOf(panePid);
  assert.ok(claude, 'claude runs under the launch script');
  process.kill(claude, 'SIGKILL');
  const killedAt = Date.now();
  await retryUntil(() => hooks().length === 0, 10_000, 'the hook gone');
  assert.ok(Date.now() - killedAt < 3000, `the hook stopped ${Date.now() - killedAt} ms after claude was killed`);
  const withdrawn = await retryUntil(
    () => {
      const r = live.store().approvals![request.id]!;
      return r.state !== 'pending' && r;
    },
    10_000,
    'settled',
  );
  assert.deepEqual(
    [withdrawn.state, withdrawn.message],
    ['withdrawn', 'withdrawn: its claude exited before anyone decided'],
  );
  assert.equal((await o(['approvals'])).stdout.includes(request.id), false, 'not listed as waiting');
  const approve = await o(['approve', request.id]);
  assert.equal(approve.exitCode, 1);
  assert.match(approve.stderr, /withdrawn/);
});
