// Sessions with the real claude CLI in real tmux: a handover names every task as the store has it;
// `session end` leaves no process of ours and no tmux server, and the next session's lead starts
// with the handover; after kill -9 of the tmux server, --resume brings every agent back with its
// own conversation (seen in the API stand-in's request log) and re-runs the interrupted task.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startLiveSession, writeLayout, type LiveSession } from '../helpers/session.js';
import { run, orchestrateScript, startScript } from '../helpers/cli.js';
import { retryUntil } from '../helpers/tmux.js';
import { repoRoot } from '../helpers/paths.js';
import { alive, childrenOf, withDescendants } from '../../src/session/processes.js';

const TEAM = ['lead', 'worker-1', 'worker-2', 'worker-3'];
/** Four agents; all but worker-1 may run Bash unasked (a `sleep` keeps an agent busy without an API timeout). */
const TEAM_LAYOUT = `windows:\n  - name: agents\n    panes:\n${TEAM.map((n) => `      - agent: ${n}\n        role: ${n === 'lead' ? 'lead' : 'worker'}\n        permission_mode: acceptEdits\n${n !== 'worker-1' ? '        allowed_tools: [Bash]\n' : ''}`).join('')}`;

const orchestrate = (live: LiveSession) => (args: string[]) =>
  run(orchestrateScript, [...args, '--state', live.state], { env: live.env });
const startArgs = (live: LiveSession, layout: string): string[] => [
  '--socket',
  live.server.socket!,
  '--state',
  live.state,
  '--no-attach',
  '--layout',
  layout,
];
const socketFile = (socket: string): string =>
  join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid?.() ?? 0}`, socket);

/** Every process whose command line or environment names the state directory (claude, launch.sh, recorder, board, dashboard). */
function processesNaming(state: string): string[] {
  const out: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8');
      if ((cmd.includes(state) || env.split('\0').includes(`ORCH_STATE_DIR=${state}`)) && alive(Number(pid)))
        out.push(`${pid} ${cmd}`);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Every process the session's panes run, with their children. */
async function sessionProcesses(live: LiveSession): Promise<number[]> {
  return withDescendants((await live.server.panes()).map((p) => Number(p.pane_pid)).filter(Boolean));
}

/** The body of the last request the stand-in got for this prompt. */
function requestFor(live: LiveSession, prompt: string) {
  return live.standin.requests.filter((r) => r.prompt === prompt && !r.side).at(-1);
}

/** The part of a handover under a "### Title (n)" heading. */
function section(text: string, title: string): string {
  const start = text.search(new RegExp(`^### ${title} \\(\\d+\\)$`, 'm'));
  if (start < 0) return '';
  const rest = text.slice(start);
  const end = rest.slice(4).search(/^#{2,3} /m);
  return end < 0 ? rest : rest.slice(0, end + 4);
}

test('a handover names done, failed, running and queued tasks; session end stops everything; the next lead starts with the handover', {
  timeout: 480_000,
}, async (t) => {
  const layout = writeLayout(t, TEAM_LAYOUT);
  const live = await startLiveSession(t, { layout });
  const orch = orchestrate(live);
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', live.project, ...args], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  git('init', '-q', '-b', 'main');
  writeFileSync(join(live.project, 'README.md'), 'project\n');
  git('add', 'README.md');
  git('commit', '-q', '-m', 'first');
  writeFileSync(join(live.project, 'README.md'), 'project, changed\n');
  writeFileSync(join(live.project, 'notes.txt'), 'new\n');
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    120_000,
    'all four agents idle',
  );

  const done = await orch([
    'dispatch',
    '--wait',
    '--timeout',
    '90',
    '--json',
    'worker-1',
    'first task: count the apples',
  ]);
  assert.equal(done.exitCode, 0, done.stderr);
  const doneId = (JSON.parse(done.stdout) as { id: string }).id;
  const failed = await orch([
    'dispatch',
    '--wait',
    '--timeout',
    '90',
    '--json',
    'worker-2',
    '[[error 500]] this one fails',
  ]);
  assert.equal(failed.exitCode, 1, failed.stdout + failed.stderr);
  const failedId = (JSON.parse(failed.stdout) as { id: string }).id;
  const running = (await orch(['dispatch', 'worker-3', '[[bash sleep 120]] a long one'])).stdout.trim();
  await retryUntil(() => live.store().tasks?.[running]?.state === 'running', 60_000, 'the long task running');
  const queued = (await orch(['dispatch', 'worker-3', 'behind the long one'])).stdout.trim();
  await retryUntil(() => live.store().tasks?.[queued]?.state === 'queued', 30_000, 'the second task queued');

  // The handover, with a summary from the (idle) lead.
  const handover = await orch(['handover', '--summary', '--summary-timeout', '90']);
  assert.equal(handover.exitCode, 0, handover.stderr);
  const file = handover.stdout.trim();
  assert.ok(file.startsWith(join(live.state, 'handovers')), file);
  const text = readFileSync(file, 'utf8');
  const store = live.store();
  assert.match(
    section(text, 'Done'),
    new RegExp(`${doneId}.*first task: count the apples[\\s\\S]*result: OK: first task: count the apples`),
  );
  assert.match(section(text, 'Failed'), new RegExp(`${failedId}[\\s\\S]*reason: API request failed`));
  assert.match(section(text, 'Running'), new RegExp(`${running}.*worker-3.*a long one`));
  assert.match(section(text, 'Queued'), new RegExp(`${queued}.*behind the long one`));
  for (const [title, id] of [
    ['Done', doneId],
    ['Failed', failedId],
    ['Running', running],
    ['Queued', queued],
  ] as const) {
    for (const other of ['Done', 'Failed', 'Running', 'Queued'].filter((x) => x !== title))
      assert.ok(!section(text, other).includes(id), `${id} only under ${title}`);
  }
  for (const name of TEAM) {
    const a = store.agents[name]!;
    assert.match(
      text,
      new RegExp(
        `\\| ${name} \\| ${a.role} \\| [^|]+ \\| \`${a.session_id}\` \\| \`${live.project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\` \\|`,
      ),
      `agent row of ${name}`,
    );
  }
  assert.match(text, /- Branch: `main`/);
  assert.match(text, /^ M README\.md$/m);
  assert.match(text, /^\?\? notes\.txt$/m);
  assert.match(text, /## Summary written by the lead \(lead, task `t-[^`]+`; its own words/);
  assert.match(text, /OK: The orchestrator is writing a handover/, "the lead's answer is in the summary");
  assert.match(text, /## Cost[\s\S]*- total: \$\d/);
  assert.match(text, /session end --state/, 'the resume section says how to end and start again');

  // Without --force, end waits for the work in progress; when it does not finish in time nothing is stopped.
  const refused = await orch(['session', 'end', '--timeout', '3']);
  assert.equal(refused.exitCode, 1, refused.stdout);
  assert.match(refused.stderr, /worker-3 is busy with task .*Nothing was stopped/);
  assert.ok(await live.server.findSession(store.session!.name), 'the session is still running');

  // --force: cancels the running and the queued task, ends every agent (recorded), stops everything.
  const before = await sessionProcesses(live);
  assert.ok(before.length >= 8, `pane processes found: ${before.length}`);
  const endedAt = Date.now();
  const ended = await orch(['session', 'end', '--force']);
  assert.equal(ended.exitCode, 0, ended.stdout + ended.stderr);
  t.diagnostic(`session end --force (2 tasks to cancel, 4 agents): ${Date.now() - endedAt} ms`);
  assert.doesNotMatch(
    ended.stdout,
    /No end recorded|SIGTERM/,
    "every agent took its /exit: the cancel's Escapes were over before it was typed",
  );
  assert.ok(Date.now() - endedAt < 15_000, `session end --force took ${Date.now() - endedAt} ms`);
  assert.match(ended.stdout, /Handover: .*handovers/);
  const after = live.store();
  assert.ok(after.session!.ended_at, 'the session is marked ended');
  assert.equal(after.recorder, null);
  assert.equal(after.tasks![running]!.state, 'cancelled');
  assert.equal(after.tasks![queued]!.state, 'cancelled');
  assert.equal(after.tasks![doneId]!.state, 'done');
  assert.ok(
    Object.values(after.tasks!).every((x) => ['done', 'failed', 'cancelled', 'interrupted'].includes(x.state)),
    'no task left open',
  );
  for (const name of TEAM) {
    assert.equal(after.agents[name]!.status, 'exited', name);
    assert.ok(
      after.events!.some((e) => e.agent === name && e.event === 'SessionEnd' && Date.parse(e.at) >= endedAt - 1000),
      `${name}'s SessionEnd recorded`,
    );
  }
  assert.deepEqual(before.filter(alive), [], 'every process the panes ran is gone');
  assert.deepEqual(
    processesNaming(live.state),
    [],
    'no claude, launch.sh, recorder, board or dashboard of this session runs',
  );
  const pgrep = spawnSync('pgrep', ['-a', '-f', live.state], { encoding: 'utf8' });
  assert.equal(pgrep.status, 1, `pgrep finds nothing: ${pgrep.stdout}`);
  assert.equal(existsSync(socketFile(live.server.socket!)), false, 'no tmux socket left');
  assert.ok((await live.server.panes()).length === 0, 'no tmux server answers');
  const handovers = readdirSync(join(live.state, 'handovers'))
    .filter((n) => n.endsWith('.md'))
    .sort();
  assert.equal(handovers.length, 2, 'session end wrote a second handover');
  const last = readFileSync(join(live.state, 'handovers', handovers[1]!), 'utf8');
  assert.match(last, new RegExp(`${doneId}`));

  // The next session of this layout: its lead starts with that handover in its system prompt.
  const again = await run(startScript, startArgs(live, layout), { cwd: live.project, env: live.env });
  assert.equal(again.exitCode, 0, again.stderr);
  assert.match(again.stdout, /lead starts with the handover .*handovers\//);
  await live.waitFor('lead', (a) => a.status === 'idle', 'idle in the new session', 90_000);
  const hello = await orch(['dispatch', '--wait', '--timeout', '90', 'lead', 'hello again']);
  assert.equal(hello.exitCode, 0, hello.stderr);
  const system = JSON.stringify(requestFor(live, 'hello again')?.body ?? {});
  assert.match(system, /Handover from the previous session of this team/);
  assert.ok(system.includes(doneId), "the handover text itself is in the lead's context");
  const rolePrompt = readFileSync(join(repoRoot, 'prompts', 'lead.md'), 'utf8')
    .trim()
    .split('\n')[0]!;
  assert.ok(system.includes(JSON.stringify(rolePrompt).slice(1, -1)), `the lead keeps its role prompt (${rolePrompt})`);

  // The lead ends the session itself (its Bash tool runs inside the session): the end runs detached and completes.
  const own = await orch([
    'dispatch',
    'lead',
    `[[bash ORCH_NO_REBUILD=1 ${orchestrateScript} session end --state ${live.state}]] end it`,
  ]);
  assert.equal(own.exitCode, 0, own.stderr);
  await retryUntil(
    () => live.store().session?.ended_at && processesNaming(live.state).length === 0,
    90_000,
    'the session ended by its lead, nothing left running',
  );
  assert.match(readFileSync(join(live.state, 'session-end.log'), 'utf8'), /Session ".*" ended\./);
  assert.equal(live.store().tasks![own.stdout.trim()]!.state, 'done', "the lead's own task finished before its end");
  assert.equal(existsSync(socketFile(live.server.socket!)), false, 'no tmux socket left');
});

/** How often a prompt reached the API as a new prompt (the first request of a turn). */
const newPrompts = (live: LiveSession, prompt: string): number =>
  live.standin.requests.filter((r) => r.prompt === prompt && r.step === 0 && !r.side).length;

test('after kill -9 of the tmux server, --resume brings back all four agents with their conversations and runs every task in flight again', {
  timeout: 480_000,
}, async (t) => {
  const layout = writeLayout(t, TEAM_LAYOUT);
  const live = await startLiveSession(t, { layout });
  const orch = orchestrate(live);
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    120_000,
    'all four agents idle',
  );
  const fruit: Record<string, string> = {
    lead: 'apple',
    'worker-1': 'banana',
    'worker-2': 'cherry',
    'worker-3': 'damson',
  };
  const first = await Promise.all(
    TEAM.map((n) => orch(['dispatch', '--wait', '--timeout', '90', n, `remember: ${n} keeps the ${fruit[n]}`])),
  );
  for (const [i, r] of first.entries()) assert.equal(r.exitCode, 0, `${TEAM[i]}: ${r.stderr}`);

  // In flight at the kill: a task running on worker-3, a workflow's first task running on worker-2
  // (it has no retries), and a task being delivered to worker-1 (its claude stopped, so it never
  // takes the paste in).
  const cutPrompt = '[[bash sleep 12]] cut short';
  const cut = (await orch(['dispatch', 'worker-3', cutPrompt])).stdout.trim();
  const workflow = join(live.project, '..', 'two.yaml');
  writeFileSync(
    workflow,
    'tasks:\n  one:\n    agent: worker-2\n    prompt: "[[bash sleep 12]] workflow step one"\n  two:\n    needs: [one]\n    agent: worker-2\n    prompt: "workflow step two after {{ tasks.one.result }}"\n',
  );
  const runId = (JSON.parse((await orch(['run', workflow, '--json'])).stdout) as { id: string }).id;
  // Running their Bash tools: each prompt has reached the API once.
  await retryUntil(
    () => {
      const d = live.store();
      return (
        d.tasks?.[cut]?.state === 'running' &&
        d.runs?.[runId]?.tasks.one?.state === 'running' &&
        d.agents['worker-3']!.last_tool === 'Bash' &&
        d.agents['worker-2']!.last_tool === 'Bash'
      );
    },
    60_000,
    'two tasks running their tools',
  );
  const w1 = live.store().agents['worker-1']!;
  const w1Claude = childrenOf(
    Number((await live.server.cmd(['display-message', '-p', '-t', w1.pane, '#{pane_pid}'])).trim()),
  );
  for (const pid of w1Claude) process.kill(pid, 'SIGSTOP');
  const stalledPrompt = 'sent while worker-1 was stopped';
  const stalled = (await orch(['dispatch', 'worker-1', stalledPrompt])).stdout.trim();
  await retryUntil(() => live.store().tasks?.[stalled]?.state === 'delivering', 10_000, 'a task being delivered');
  const before = live.store();
  const stepOne = before.runs![runId]!.tasks.one!.tries[0]!;
  const stepOnePrompt = before.tasks![stepOne]!.prompt;

  // kill -9 of the tmux server and of every process in it: no hook, no recorder gets to say anything.
  const pids = await sessionProcesses(live);
  const serverPid = Number((await live.server.cmd(['display-message', '-p', '#{pid}'])).trim());
  for (const pid of [serverPid, ...pids]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await retryUntil(() => ![serverPid, ...pids].some(alive), 10_000, 'every process gone');
  const killedAt = Date.now();
  assert.equal(live.store().session!.ended_at, null);

  // Within 2 s status says so: every agent exited, the session lost, and how to resume it.
  const lost = await retryUntil(
    async () => {
      const r = await orch(['status', '--json']);
      const st = JSON.parse(r.stdout) as {
        state: string;
        resume: string;
        agents: { status: string; reason: string }[];
      };
      return (
        st.state === 'lost' && st.agents.every((a) => a.status === 'exited' && a.reason === 'tmux server gone') && st
      );
    },
    2000,
    'status showing the lost session',
  );
  assert.ok(Date.now() - killedAt < 2000);
  assert.ok(lost.resume.includes(`--state ${live.state} --resume`), lost.resume);

  // A plain start proposes the resume (no terminal here: it prints the command and starts nothing).
  const plain = await run(startScript, startArgs(live, layout), { cwd: live.project, env: live.env });
  assert.equal(plain.exitCode, 1, plain.stdout);
  assert.match(plain.stderr, /was not ended and its tmux session is gone/);
  assert.ok(plain.stderr.includes(`--state ${live.state} --resume`), plain.stderr);
  assert.equal((await live.server.panes()).length, 0, 'nothing was started');

  const resumeAt = Date.now();
  const resumed = await run(startScript, [...startArgs(live, layout), '--resume'], {
    cwd: live.project,
    env: live.env,
  });
  assert.equal(resumed.exitCode, 0, resumed.stderr);
  assert.match(resumed.stdout, /Resumed tmux session/);
  for (const id of [cut, stalled, stepOne])
    assert.match(resumed.stdout, new RegExp(`task ${id} interrupted .* queued again`));
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle' || a.status === 'busy'),
    120_000,
    'all four agents back',
  );
  t.diagnostic(`./start.mts --resume to all four agents back: ${Date.now() - resumeAt} ms`);

  const after = live.store();
  for (const name of TEAM)
    assert.equal(after.agents[name]!.session_id, before.agents[name]!.session_id, `${name} keeps its session id`);
  for (const id of Object.keys(before.tasks!)) assert.ok(after.tasks![id], `task ${id} is still recorded`);
  assert.equal(after.session!.created_at, before.session!.created_at);
  assert.equal(after.session!.resumed_at?.length, 1);

  // Every task in flight was queued again under its id and runs to its end.
  for (const [id, on] of [
    [cut, 'running on worker-3'],
    [stalled, 'delivering on worker-1'],
  ] as const) {
    const rerun = await orch(['wait', id, '--timeout', '120', '--json']);
    assert.equal(rerun.exitCode, 0, rerun.stderr);
    const task = JSON.parse(rerun.stdout) as { state: string; interruptions?: { reason: string }[] };
    assert.equal(task.state, 'done');
    assert.equal(task.interruptions?.length, 1, JSON.stringify(task.interruptions));
    assert.match(task.interruptions![0]!.reason, new RegExp(`tmux session was lost.* while it was ${on}`));
  }
  const finished = await retryUntil(
    () => {
      const r = live.store().runs![runId]!;
      return r.state !== 'running' && r;
    },
    120_000,
    'the workflow finished',
  );
  assert.equal(finished.state, 'done', JSON.stringify(finished.tasks));
  assert.deepEqual(finished.tasks.one!.tries, [stepOne], 'the recovery used no retry: the same try ran again');
  // Each reached the API as a new prompt at least once and at most twice: the two that ran before
  // the kill twice, the one that never reached its claude once.
  assert.equal(newPrompts(live, cutPrompt), 2, 'the task running on worker-3');
  assert.equal(newPrompts(live, stepOnePrompt), 2, 'the workflow task running on worker-2');
  assert.equal(newPrompts(live, stalledPrompt), 1, 'the task being delivered to worker-1');

  // Every agent resumed its own conversation: the next request carries what it was told before.
  for (const name of TEAM) {
    const lines = readFileSync(join(live.state, 'agents', name, 'status.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { event: { hook_event_name?: string; source?: string } | null });
    assert.ok(
      lines.some((l) => l.event?.hook_event_name === 'SessionStart' && l.event.source === 'resume'),
      `${name} started with --resume`,
    );
  }
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    60_000,
    'all idle after the re-runs',
  );
  const asked = await Promise.all(
    TEAM.map((n) => orch(['dispatch', '--wait', '--timeout', '90', n, `what does ${n} keep?`])),
  );
  for (const [i, r] of asked.entries()) assert.equal(r.exitCode, 0, `${TEAM[i]}: ${r.stderr}`);
  for (const name of TEAM) {
    const request = requestFor(live, `what does ${name} keep?`);
    assert.ok(request, `a request for ${name}`);
    assert.ok(
      (request.messageCount ?? 0) >= 3,
      `${name}'s earlier turns are sent again (messages: ${request.messageCount})`,
    );
    const body = JSON.stringify(request.body);
    assert.ok(
      body.includes(`remember: ${name} keeps the ${fruit[name]}`),
      `${name}'s request carries its own earlier conversation`,
    );
    for (const other of TEAM.filter((x) => x !== name))
      assert.ok(!body.includes(`remember: ${other} keeps`), `${name}'s request has none of ${other}'s`);
  }
});

test('a claude killed mid-task with restart: on-failure comes back and runs the same task again', {
  timeout: 240_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    'windows:\n  - name: agents\n    panes:\n      - agent: worker-1\n        permission_mode: acceptEdits\n        allowed_tools: [Bash]\n        restart: on-failure\n',
  );
  const live = await startLiveSession(t, { layout });
  const orch = orchestrate(live);
  await live.waitFor('worker-1', (a) => a.status === 'idle', 'idle', 90_000);
  const prompt = '[[bash sleep 5]] survive a crash';
  const id = (await orch(['dispatch', 'worker-1', prompt])).stdout.trim();
  // Killed while its Bash tool runs: the prompt has reached the API once.
  await retryUntil(
    () => live.store().tasks?.[id]?.state === 'running' && live.store().agents['worker-1']!.last_tool === 'Bash',
    60_000,
    'the task running its tool',
  );
  const pane = live.store().agents['worker-1']!.pane;
  const claude = childrenOf(
    Number((await live.server.cmd(['display-message', '-p', '-t', pane, '#{pane_pid}'])).trim()),
  );
  assert.ok(claude.length > 0);
  for (const pid of claude) process.kill(pid, 'SIGKILL');
  const done = await orch(['wait', id, '--timeout', '120', '--json']);
  assert.equal(done.exitCode, 0, done.stdout + done.stderr);
  const task = JSON.parse(done.stdout) as { state: string; interruptions?: { reason: string }[] };
  assert.equal(task.state, 'done');
  assert.equal(task.interruptions?.length, 1);
  assert.match(task.interruptions![0]!.reason, /claude exited with code 137 while it was running on worker-1/);
  assert.equal(live.store().agents['worker-1']!.restarts, 1);
  assert.equal(newPrompts(live, prompt), 2, 'before the crash and once after');
});
