// The approval hook on its own, under a stand-in for claude (a node process that runs it, through
// `sh -c` as Claude Code does, or directly): it waits for a decision while its claude lives, and
// stops at once, withdrawing its request, when its claude is killed; the recorder withdraws it.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeApprovalHook } from '../../src/approvals/hook.js';
import { approvalOnEvent as onEvent } from '../../src/approvals/approvals.js';
import { kindOf } from '../../src/drivers/driver.js';
import { alive } from '../../src/session/processes.js';
import { quoteArgv } from '../../src/util/shell-quote.js';
import type { StatusLine, StoreData } from '../../src/store/types.js';
import { retryUntil, tempDir } from '../helpers/tmux.js';

/** A native status line through the claude kind's translation into the approvals, as the recorder does. */
const approvalOnEvent = (data: StoreData, state: string, agent: string, line: StatusLine): string | undefined => {
  const event = kindOf().toEvent(line);
  return event && onEvent(data, state, agent, event);
};

/** Runs the hook as claude would: a child of a long-lived node process (through sh -c when viaShell). */
const FAKE_CLAUDE = `const { spawn } = require('node:child_process');
const argv = JSON.parse(process.env.HOOK_ARGV);
const c = process.env.VIA_SHELL === '1' ? spawn('/bin/sh', ['-c', process.env.HOOK_COMMAND], { stdio: ['pipe', 'inherit', 'inherit'] }) : spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'inherit', 'inherit'] });
c.stdin.end(JSON.stringify({ hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'ls' } }));
setInterval(() => {}, 1000);`;

/** The live processes running this hook script (the sh -c around it included). */
const hookProcesses = (script: string): number[] =>
  readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(script) && alive(pid);
      } catch {
        return false;
      }
    });

const lines = (file: string): StatusLine[] => {
  try {
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as StatusLine);
  } catch {
    return [];
  }
};

/** A stand-in claude with its hook waiting on a request; returns what to look at. */
async function asking(t: TestContext, viaShell: boolean) {
  const state = tempDir(t);
  const script = writeApprovalHook(state);
  const status = join(state, 'status.jsonl');
  const decisions = join(state, 'approvals');
  mkdirSync(decisions);
  const argv = ['/bin/sh', script, status, decisions, '300'];
  const claude = spawn(process.execPath, ['-e', FAKE_CLAUDE], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: {
      ...process.env,
      HOOK_ARGV: JSON.stringify(argv),
      HOOK_COMMAND: quoteArgv(argv),
      VIA_SHELL: viaShell ? '1' : '0',
    },
  });
  let out = '';
  claude.stdout.on('data', (b: Buffer) => {
    out += b.toString();
  });
  t.after(() => {
    claude.kill('SIGKILL');
    for (const pid of hookProcesses(script)) process.kill(pid, 'SIGKILL');
  });
  const request = await retryUntil(() => lines(status)[0]?.request, 5000, 'the request line');
  return { claude, script, status, request, decisions, output: () => out };
}

for (const viaShell of [true, false]) {
  const how = viaShell ? 'through sh -c' : 'run directly';
  test(`approval hook (${how}): it waits while its claude lives, and gives claude the decision`, async (t) => {
    const a = await asking(t, viaShell);
    await new Promise((r) => setTimeout(r, 1500));
    assert.notDeepEqual(hookProcesses(a.script), [], 'still waiting for a decision');
    const answer = '{"hookSpecificOutput":{"hookEventName":"PermissionRequest","decision":{"behavior":"allow"}}}';
    writeFileSync(join(a.decisions, `${a.request}.json`), answer);
    await retryUntil(() => a.output() === answer, 5000, "the decision on claude's side");
    await retryUntil(() => hookProcesses(a.script).length === 0, 5000, 'the hook done');
    assert.equal(lines(a.status).length, 1, 'nothing but the request');
  });

  test(`approval hook (${how}): its claude killed, it stops within a second and withdraws its request`, async (t) => {
    const a = await asking(t, viaShell);
    await new Promise((r) => setTimeout(r, 300));
    a.claude.kill('SIGKILL');
    const killedAt = Date.now();
    await retryUntil(() => hookProcesses(a.script).length === 0, 5000, 'the hook gone');
    assert.ok(Date.now() - killedAt < 1500, `stopped after ${Date.now() - killedAt} ms`);
    const last = lines(a.status).at(-1)!;
    assert.equal(last.request, a.request);
    assert.equal(last.event.hook_event_name, 'PermissionWithdrawn');
  });
}

test("the recorder withdraws a request whose claude is gone (its hook's line, or its exit); one answered in the pane stays answered", (t) => {
  const state = tempDir(t);
  const data = { agents: { w1: { name: 'w1', cwd: '/' } }, approvals: {} } as unknown as StoreData;
  const ask = (request: string, at: number): void => {
    approvalOnEvent(data, state, 'w1', {
      at,
      request,
      event: { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'ls' } },
    });
  };
  ask('q1', 1000);
  assert.equal(data.approvals!.q1!.state, 'pending');
  const said = approvalOnEvent(data, state, 'w1', {
    at: 2000,
    request: 'q1',
    event: { hook_event_name: 'PermissionWithdrawn', reason: 'its claude exited' },
  });
  assert.match(said!, /permission request q1 withdrawn \(Bash\(ls\)\): its claude exited/);
  assert.deepEqual(
    [data.approvals!.q1!.state, data.approvals!.q1!.message, data.approvals!.q1!.decided_at],
    ['withdrawn', 'withdrawn: its claude exited before anyone decided', new Date(2000).toISOString()],
  );
  ask('q2', 3000);
  approvalOnEvent(data, state, 'w1', { at: 4000, event: { hook_event_name: 'ProcessExit', exit_code: 137 } });
  assert.equal(data.approvals!.q2!.state, 'withdrawn');
  ask('q3', 5000);
  approvalOnEvent(data, state, 'w1', { at: 6000, event: { hook_event_name: 'PostToolUse' } });
  assert.deepEqual([data.approvals!.q3!.state, data.approvals!.q3!.by], ['answered', 'the pane']);
});
