// The task and run state machines as pure functions on store data.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyStore, type AgentRecord, type StoreData } from '../../src/store/types.js';
import { intake, pendingInterrupts, schedule, taskOnEvent } from '../../src/tasks/tasks.js';
import { interactiveText } from '../../src/drivers/claude/prompt-box.js';
import { MAX_INTERRUPTIONS, MAX_TURN_WAITS, interruptDone, waitForTurn } from '../../src/tasks/lifecycle.js';
import { advanceRuns, startRun } from '../../src/workflow/runs.js';
import { applyEvent } from '../../src/recorder/reduce.js';
import { kindOf } from '../../src/drivers/driver.js';

const agent = (name: string, role = 'worker', status: AgentRecord['status'] = 'idle'): AgentRecord => ({
  name,
  role,
  mode: 'interactive',
  pane: `%${name.length}`,
  window: '@1',
  cwd: '/p',
  session_id: `s-${name}`,
  launch_script: '',
  status,
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: new Date(0).toISOString(),
});
const store = (...agents: AgentRecord[]): StoreData => ({
  ...emptyStore(),
  agents: Object.fromEntries(agents.map((a) => [a.name, a])),
});
const dispatch = (
  data: StoreData,
  id: string,
  prompt: string,
  target: { agent?: string; role?: string },
  now = 1000,
): string => intake(data, { kind: 'dispatch', id, at: new Date(now).toISOString(), prompt, target }, now);
/** Applies a hook event (as the claude kind translates it) to the agent and its task, as the recorder does. */
const hook = (data: StoreData, name: string, event: Record<string, unknown>, at = 2000): void => {
  const neutral = kindOf().toEvent({ at, event });
  if (!neutral) return;
  applyEvent(data.agents[name]!, neutral);
  taskOnEvent(data, name, neutral);
};

test('a task goes queued -> delivering -> running -> done, its FIFO queue waits for the agent', () => {
  const data = store(agent('w1'));
  dispatch(data, 't1', 'first', { agent: 'w1' });
  dispatch(data, 't2', 'second', { agent: 'w1' });
  const { effects } = schedule(data, 1000);
  assert.deepEqual(effects, [{ kind: 'deliver', task: 't1', agent: 'w1', attempt: 1 }]);
  assert.equal(data.tasks!.t2!.state, 'queued');
  hook(data, 'w1', { hook_event_name: 'UserPromptSubmit', prompt: 'someone typed this' });
  assert.equal(data.tasks!.t1!.state, 'delivering', 'a prompt that is not ours does not confirm');
  hook(data, 'w1', { hook_event_name: 'UserPromptSubmit', prompt: 'first' });
  assert.equal(data.tasks!.t1!.state, 'running');
  assert.deepEqual(schedule(data, 1500).effects, [], 'busy agent: nothing else goes out');
  hook(data, 'w1', { hook_event_name: 'Stop', last_assistant_message: 'answer 1' });
  assert.equal(data.tasks!.t1!.state, 'done');
  assert.equal(data.tasks!.t1!.result, 'answer 1');
  assert.deepEqual(schedule(data, 3000).effects, [{ kind: 'deliver', task: 't2', agent: 'w1', attempt: 1 }]);
});

test('unconfirmed deliveries are retried, then fail loudly; an exit cuts a running task short and queues it again', () => {
  const data = store(agent('w1'), agent('w2'));
  dispatch(data, 't1', 'hello', { agent: 'w1' });
  schedule(data, 0);
  assert.deepEqual(schedule(data, 10_000).effects, [{ kind: 'resubmit', task: 't1', agent: 'w1', attempt: 2 }]);
  assert.deepEqual(schedule(data, 20_000).effects, [{ kind: 'resubmit', task: 't1', agent: 'w1', attempt: 3 }]);
  schedule(data, 200_000);
  assert.equal(data.tasks!.t1!.state, 'failed');
  assert.match(data.tasks!.t1!.error!, /not confirmed: w1 never reported this prompt as submitted after 3 attempt/);
  assert.equal(data.agents.w1!.task_id, null);

  dispatch(data, 't2', 'work', { role: 'worker' });
  schedule(data, 300_000);
  const on = data.tasks!.t2!.agent!;
  hook(data, on, { hook_event_name: 'UserPromptSubmit', prompt: 'work' });
  hook(data, on, { hook_event_name: 'PaneDied', reason: 'its tmux pane is gone' });
  assert.equal(data.tasks!.t2!.state, 'queued', 'back in the queue under the same id');
  assert.equal(data.tasks!.t2!.agent, null, 'a role task goes to whichever agent of the role is ready');
  assert.match(
    data.tasks!.t2!.interruptions![0]!.reason,
    new RegExp(`its tmux pane is gone while it was running on ${on}`),
  );
  assert.equal(data.agents[on]!.task_id, null);
});

test('unknown targets fail at intake; cancel drops a queued task and interrupts a running one', () => {
  const data = store(agent('w1'));
  assert.match(
    dispatch(data, 't0', 'x', { agent: 'nobody' }),
    /t0 failed for nobody: no agent named "nobody" \(agents: w1\)/,
  );
  dispatch(data, 't1', 'run me', { agent: 'w1' });
  dispatch(data, 't2', 'queued', { agent: 'w1' });
  schedule(data, 0);
  hook(data, 'w1', { hook_event_name: 'UserPromptSubmit', prompt: 'run me' });
  intake(data, { kind: 'cancel', id: 'c1', at: '', task: 't2' }, 10);
  intake(data, { kind: 'cancel', id: 'c2', at: '', task: 't1' }, 10);
  assert.equal(data.tasks!.t2!.state, 'cancelled');
  assert.deepEqual(schedule(data, 20).effects, [{ kind: 'interrupt', task: 't1', agent: 'w1' }]);
  assert.equal(data.tasks!.t1!.state, 'cancelled');
});

test("what Claude's prompt box does to text is what confirmation expects", () => {
  assert.equal(interactiveText('!rm -rf /'), ' !rm -rf /');
  assert.equal(interactiveText('/exit'), ' /exit');
  assert.equal(interactiveText('#note'), '#note');
});

test('a run queues tasks as their needs finish, passes results on, retries and skips', () => {
  const data = store(agent('lead', 'lead'), agent('w1'), agent('w2'));
  startRun(
    data,
    {
      kind: 'run',
      id: 'r1',
      at: new Date(0).toISOString(),
      workflow: {
        name: 'wf',
        file: 'wf.yaml',
        description: null,
        tasks: [
          { name: 'plan', prompt: 'plan', needs: [], target: { agent: 'lead' }, timeout_s: 0, retries: 0 },
          {
            name: 'a',
            prompt: 'do {{ tasks.plan.result }}',
            needs: ['plan'],
            target: { role: 'worker' },
            timeout_s: 0,
            retries: 1,
          },
          { name: 'b', prompt: 'after a', needs: ['a'], target: { role: 'worker' }, timeout_s: 0, retries: 0 },
        ],
      },
    },
    0,
  );
  advanceRuns(data, 0);
  const run = data.runs!.r1!;
  assert.deepEqual(
    Object.values(run.tasks).map((t) => t.state),
    ['queued', 'waiting', 'waiting'],
  );
  schedule(data, 0);
  hook(data, 'lead', { hook_event_name: 'UserPromptSubmit', prompt: 'plan' });
  hook(data, 'lead', { hook_event_name: 'Stop', last_assistant_message: 'THE PLAN' });
  advanceRuns(data, 10);
  const tryA = data.tasks![run.tasks.a!.tries[0]!]!;
  assert.equal(tryA.prompt, 'do THE PLAN');
  schedule(data, 10);
  hook(data, tryA.agent!, { hook_event_name: 'UserPromptSubmit', prompt: 'do THE PLAN' });
  hook(data, tryA.agent!, { hook_event_name: 'StopFailure', error: 'server_error' });
  advanceRuns(data, 20);
  assert.equal(run.tasks.a!.tries.length, 2, 'retried once');
  const retry = data.tasks![run.tasks.a!.tries[1]!]!;
  schedule(data, 20);
  hook(data, retry.agent!, { hook_event_name: 'UserPromptSubmit', prompt: 'do THE PLAN' });
  hook(data, retry.agent!, { hook_event_name: 'StopFailure', error: 'server_error' });
  advanceRuns(data, 30);
  assert.equal(run.tasks.a!.state, 'failed');
  assert.equal(run.tasks.b!.state, 'skipped');
  assert.equal(run.state, 'failed');
});

test('a cancelled delivery is interrupted before the agent gets its next task; role tasks also go to an agent whose last turn failed', () => {
  const data = store(agent('w1'));
  dispatch(data, 't1', 'first', { agent: 'w1' });
  dispatch(data, 't2', 'second', { agent: 'w1' });
  schedule(data, 0);
  intake(data, { kind: 'cancel', id: 'c1', at: '', task: 't1' }, 10);
  assert.deepEqual(
    schedule(data, 20).effects,
    [{ kind: 'interrupt', task: 't1', agent: 'w1' }],
    'nothing else for w1 in the same pass',
  );
  assert.deepEqual(schedule(data, 25).effects, [], 'nor until the recorder has performed the interrupt');
  interruptDone(data.agents.w1!, 't1');
  assert.deepEqual(schedule(data, 30).effects, [{ kind: 'deliver', task: 't2', agent: 'w1', attempt: 1 }]);

  const failed = store(agent('w2', 'worker', 'error'));
  dispatch(failed, 't3', 'retry me', { role: 'worker' });
  assert.deepEqual(schedule(failed, 0).effects, [{ kind: 'deliver', task: 't3', agent: 'w2', attempt: 1 }]);
});

test('a task queued for an agent that exited and did not come back fails with the reason', () => {
  const data = store(agent('w1', 'worker', 'exited'));
  data.agents.w1!.reason = 'claude exited with code 1';
  dispatch(data, 't1', 'hello', { agent: 'w1' });
  const exitedAt = Date.parse(data.agents.w1!.updated_at);
  assert.equal(
    schedule(data, exitedAt + 5000).changed,
    false,
    'within the grace time it waits (a restart may bring the agent back)',
  );
  assert.equal(data.tasks!.t1!.state, 'queued');
  schedule(data, exitedAt + 20_000);
  assert.equal(data.tasks!.t1!.state, 'failed');
  assert.match(data.tasks!.t1!.error!, /w1 exited \(claude exited with code 1\) before it could take this task/);
});

test('a claude that dies mid-task and comes back (restart: on-failure) gets the same task again; one cut short too often fails', () => {
  const data = store(agent('w1'));
  dispatch(data, 't1', 'long job', { agent: 'w1' });
  for (let n = 1; n <= MAX_INTERRUPTIONS; n++) {
    assert.deepEqual(
      schedule(data, n * 1000).effects,
      [{ kind: 'deliver', task: 't1', agent: 'w1', attempt: 1 }],
      `delivery ${n}`,
    );
    hook(data, 'w1', { hook_event_name: 'UserPromptSubmit', prompt: 'long job' }, n * 1000 + 1);
    // kill -9 of claude: no SessionEnd; the launch script records the exit, restarts it, and claude resumes.
    hook(data, 'w1', { hook_event_name: 'ProcessExit', exit_code: 137 }, n * 1000 + 2);
    if (n < MAX_INTERRUPTIONS) {
      assert.equal(data.tasks!.t1!.state, 'queued', `cut short ${n}: queued again`);
      assert.equal(data.tasks!.t1!.interruptions!.length, n);
      assert.deepEqual(schedule(data, n * 1000 + 3).effects, [], 'nothing goes to an agent that has not come back');
      hook(data, 'w1', { hook_event_name: 'ProcessRestart', exit_code: 137 }, n * 1000 + 4);
      hook(data, 'w1', { hook_event_name: 'SessionStart', source: 'resume' }, n * 1000 + 5);
    }
  }
  assert.equal(data.tasks!.t1!.state, 'failed');
  assert.match(
    data.tasks!.t1!.error!,
    new RegExp(
      `cut short ${MAX_INTERRUPTIONS} times, not run again \\(last: claude exited with code 137 while it was running on w1\\)`,
    ),
  );
});

test('an agent that exits under its task and does not come back fails it; a lost session delivers and fails nothing', () => {
  const data = store(agent('w1'), agent('w2'));
  dispatch(data, 't1', 'job', { agent: 'w1' });
  schedule(data, 1000);
  hook(data, 'w1', { hook_event_name: 'UserPromptSubmit', prompt: 'job' }, 1001);
  hook(data, 'w1', { hook_event_name: 'SessionEnd', reason: 'prompt_input_exit' }, 1002);
  assert.equal(data.tasks!.t1!.state, 'queued');
  schedule(data, 1002 + 20_000);
  assert.equal(data.tasks!.t1!.state, 'failed');
  assert.match(
    data.tasks!.t1!.error!,
    /w1 exited \(session ended \(prompt_input_exit\)\) while it ran this task and did not come back/,
  );

  dispatch(data, 't2', 'for w2', { agent: 'w2' });
  data.session = {
    name: 's',
    socket: null,
    tmux_id: '$1',
    layout_file: '/l',
    root: '/',
    state_dir: '/s',
    created_at: '',
    ended_at: null,
    windows: [],
    lost_at: new Date(0).toISOString(),
  };
  assert.deepEqual(schedule(data, 100_000), { effects: [], changed: false }, 'nothing is delivered until --resume');
  assert.equal(data.tasks!.t2!.state, 'queued');
});

test('an agent being interrupted takes nothing new until the interrupt is done, also after a recorder restart', () => {
  const data = store(agent('w1'));
  dispatch(data, 't1', 'first', { agent: 'w1' });
  dispatch(data, 't2', 'second', { agent: 'w1' });
  schedule(data, 0);
  hook(data, 'w1', { hook_event_name: 'UserPromptSubmit', prompt: 'first' });
  intake(data, { kind: 'cancel', id: 'c1', at: '', task: 't1' }, 10);
  assert.deepEqual(schedule(data, 20).effects, [{ kind: 'interrupt', task: 't1', agent: 'w1' }]);
  assert.equal(data.agents.w1!.interrupting, 't1');
  hook(data, 'w1', { hook_event_name: 'StopFailure', error: 'aborted' }, 30);
  assert.deepEqual(schedule(data, 40).effects, [], 'still interrupting: t2 waits');
  // A recorder killed here finds the interrupt in the store and does it again.
  assert.deepEqual(pendingInterrupts(data), [{ kind: 'interrupt', task: 't1', agent: 'w1' }]);
  interruptDone(data.agents.w1!, 't1');
  assert.deepEqual(pendingInterrupts(data), []);
  assert.deepEqual(schedule(data, 50).effects, [{ kind: 'deliver', task: 't2', agent: 'w1', attempt: 1 }]);
});

test("a workflow task cut short by its agent's death runs again under the same try, without using a retry", () => {
  const data = store(agent('w1'));
  startRun(
    data,
    {
      kind: 'run',
      id: 'r1',
      at: new Date(0).toISOString(),
      workflow: {
        name: 'wf',
        file: 'wf.yaml',
        description: null,
        tasks: [{ name: 'only', prompt: 'do it', needs: [], target: { agent: 'w1' }, timeout_s: 0, retries: 0 }],
      },
    },
    0,
  );
  advanceRuns(data, 0);
  schedule(data, 0);
  hook(data, 'w1', { hook_event_name: 'UserPromptSubmit', prompt: 'do it' }, 1);
  hook(data, 'w1', { hook_event_name: 'PaneDied', reason: 'its tmux pane is gone' }, 2);
  advanceRuns(data, 3);
  const run = data.runs!.r1!;
  assert.equal(run.state, 'running');
  assert.equal(run.tasks.only!.tries.length, 1, 'no retry used');
  hook(data, 'w1', { hook_event_name: 'SessionStart', source: 'resume' }, 4);
  schedule(data, 5);
  hook(data, 'w1', { hook_event_name: 'UserPromptSubmit', prompt: 'do it' }, 6);
  hook(data, 'w1', { hook_event_name: 'Stop', last_assistant_message: 'done now' }, 7);
  advanceRuns(data, 8);
  assert.equal(run.state, 'done');
  assert.equal(run.tasks.only!.tries.length, 1);
  assert.equal(data.tasks![run.tasks.only!.tries[0]!]!.interruptions!.length, 1);
});

test('a task for a role whose every agent exited and did not come back fails with the reason; one agent back keeps it waiting', () => {
  const data = store(agent('w1', 'worker', 'exited'), agent('w2', 'worker', 'exited'), agent('lead', 'lead'));
  data.agents.w1!.reason = 'claude exited with code 137';
  dispatch(data, 't1', 'anyone', { role: 'worker' });
  const at = Date.parse(data.agents.w1!.updated_at);
  schedule(data, at + 5000);
  assert.equal(data.tasks!.t1!.state, 'queued', 'within the grace time it waits');
  data.agents.w2!.status = 'starting';
  schedule(data, at + 20_000);
  assert.equal(data.tasks!.t1!.state, 'queued', 'w2 is coming back: it waits for it');
  data.agents.w2!.status = 'exited';
  schedule(data, at + 20_000);
  assert.equal(data.tasks!.t1!.state, 'failed');
  assert.match(
    data.tasks!.t1!.error!,
    /every agent that could take it exited and did not come back \(w1: claude exited with code 137; w2: /,
  );
});

test('a retry that finds the agent still in an earlier turn does not use up an attempt, up to a limit', () => {
  const data = store(agent('w1'));
  dispatch(data, 't1', 'hello', { agent: 'w1' });
  schedule(data, 0);
  const task = data.tasks!.t1!;
  let now = 0;
  for (let i = 0; i < MAX_TURN_WAITS; i++) {
    now += 10_000;
    assert.deepEqual(schedule(data, now).effects, [{ kind: 'resubmit', task: 't1', agent: 'w1', attempt: 2 }]);
    assert.equal(waitForTurn(task, now), true, 'the screen showed a turn running');
    assert.equal(task.attempts, 1);
  }
  now += 10_000;
  schedule(data, now);
  assert.equal(waitForTurn(task, now), false, 'waited long enough: attempts count again');
  assert.equal(task.attempts, 2);
  schedule(data, now + 200_000);
  assert.equal(task.state, 'delivering');
  schedule(data, now + 400_000);
  assert.equal(task.state, 'failed');
});
