// The view the page is sent: whitelisted and clipped, workflow runs read tolerantly (their shape in
// the store is not final), and sections re-sent only when they change.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildView, runsView, ViewDiffer } from '../../src/dashboard/view.js';
import { emptyStore, type AgentRecord, type StoreData, type TaskRecord } from '../../src/store/types.js';

const agent = (name: string, over: Partial<AgentRecord> = {}): AgentRecord => ({
  name,
  role: 'worker',
  mode: 'interactive',
  pane: '%1',
  window: '@1',
  cwd: '/',
  session_id: 's',
  launch_script: '/l.sh',
  status: 'idle',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0.5,
  updated_at: '2026-01-01T00:00:00Z',
  ...over,
});
const task = (id: string, seq: number, over: Partial<TaskRecord> = {}): TaskRecord => ({
  id,
  seq,
  target: { agent: 'a' },
  agent: 'a',
  prompt: 'p',
  state: 'done',
  created_at: 'c',
  delivered_at: null,
  started_at: null,
  ended_at: null,
  result: null,
  error: null,
  attempts: 1,
  cost_usd: 0.25,
  ...over,
});

test('view: agents whitelisted and clipped, tasks newest first, totals', () => {
  const data: StoreData = {
    ...emptyStore(),
    agents: { a: agent('a', { last_result: 'x'.repeat(5000), status: 'busy' }), b: agent('b') },
    tasks: { t1: task('t1', 1), t2: task('t2', 2, { state: 'running', target: { role: 'worker' }, agent: null }) },
  };
  const view = buildView(data, []);
  assert.equal(view.agents[0]!.last_result!.length, 4001);
  assert.ok(!('launch_script' in view.agents[0]!), 'store internals stay on the server');
  assert.deepEqual(
    view.tasks.map((t) => [t.id, t.target]),
    [
      ['t2', 'role worker'],
      ['t1', 'a'],
    ],
  );
  assert.deepEqual(view.totals, {
    cost_usd: 1,
    agents: 2,
    by_status: { busy: 1, idle: 1 },
    tasks: { done: 1, running: 1 },
  });
});

test('view: workflow runs in any of the shapes the store may give them, junk ignored', () => {
  const data = {
    ...emptyStore(),
    tasks: { 't-9': task('t-9', 9, { state: 'running', agent: 'w1' }) },
    runs: {
      'r-1': {
        workflow: { name: 'feature' },
        state: 'running',
        tasks: {
          plan: { state: 'done', agent: 'lead' },
          api: { needs: ['plan'], task: 't-9' },
          ui: { needs: 'plan', status: 'queued' },
          review: { needs: ['api', 'ui'] },
        },
      },
    },
  } as unknown as StoreData;
  assert.deepEqual(runsView(data), [
    {
      id: 'r-1',
      name: 'feature',
      state: 'running',
      created_at: null,
      tasks: [
        { id: 'plan', state: 'done', agent: 'lead', needs: [], task: null },
        { id: 'api', state: 'running', agent: 'w1', needs: ['plan'], task: 't-9' },
        { id: 'ui', state: 'queued', agent: null, needs: ['plan'], task: null },
        { id: 'review', state: 'pending', agent: null, needs: ['api', 'ui'], task: null },
      ],
    },
  ]);
  const listed = {
    ...emptyStore(),
    runs: [
      {
        id: 'r-2',
        name: 'n',
        status: 'done',
        steps: [{ name: 's1' }, { id: 's2', depends_on: ['s1'], state: 'failed' }],
      },
      null,
      7,
    ],
  } as unknown as StoreData;
  const runs = runsView(listed);
  assert.deepEqual(
    runs[0]!.tasks.map((t) => [t.id, t.state, t.needs]),
    [
      ['s1', 'pending', []],
      ['s2', 'failed', ['s1']],
    ],
  );
  assert.deepEqual(
    runs.slice(1).map((r) => [r.id, r.tasks.length]),
    [
      ['1', 0],
      ['2', 0],
    ],
  );
  assert.deepEqual(runsView(emptyStore()), []);
  assert.deepEqual(runsView({ ...emptyStore(), runs: 'nonsense' } as unknown as StoreData), []);
});

test('view: the differ sends every section first, then only what changed', () => {
  const differ = new ViewDiffer();
  const data: StoreData = { ...emptyStore(), agents: { a: agent('a') } };
  assert.deepEqual(Object.keys(differ.changed(buildView(data, []))).sort(), [
    'agents',
    'alerts',
    'approvals',
    'archived',
    'conflicts',
    'events',
    'handovers',
    'runs',
    'session',
    'tasks',
    'totals',
  ]);
  assert.deepEqual(differ.changed(buildView(data, [])), {});
  data.agents.a!.status = 'busy';
  assert.deepEqual(Object.keys(differ.changed(buildView(data, []))).sort(), ['agents', 'totals']);
  assert.deepEqual(Object.keys(differ.changed(buildView(data, [{ name: 'h.md', size: 1, modified_at: 'now' }]))), [
    'handovers',
  ]);
});

test("view: an agent's worktree in one line and its ports; conflicts in words; no worktree, no line", () => {
  const data: StoreData = {
    ...emptyStore(),
    agents: {
      a: agent('a', {
        ports: [20010, 20011, 20012],
        worktree: {
          repo: '/r',
          path: '/r/.worktrees/s/a',
          branch: 's/a',
          base: 'main',
          base_commit: 'x',
          created_at: '',
          setup: 'done',
          setup_log: null,
        },
      }),
      b: agent('b'),
    },
    worktrees: {
      checked_at: '',
      agents: {
        a: {
          head: 'h',
          ahead: 2,
          behind: 1,
          changed: ['x.ts', 'y.ts'],
          uncommitted: ['?? y.ts'],
          snapshot: 's',
          checked_at: '',
        },
      },
      conflicts: [
        {
          agents: ['a', 'b'],
          with: 'agent',
          files: [{ path: 'x.ts', kind: 'contents', lines: [[3, 5]] }],
          found_at: '',
        },
      ],
    },
  };
  const view = buildView(data, []);
  assert.equal(view.agents[0]!.worktree, 's/a: 2 ahead, 1 behind main; 2 files changed, 1 uncommitted');
  assert.equal(view.agents[0]!.ports, '20010-20012');
  assert.equal(view.agents[1]!.worktree, null);
  assert.equal(view.agents[1]!.ports, null);
  assert.deepEqual(view.conflicts, ['a and b both change x.ts: conflict in lines 3-5 (as a has it)']);
});

test('view: an agent on another host says which; its pane is the local one that shows it; unreachable is a state of its own', () => {
  const data: StoreData = {
    ...emptyStore(),
    agents: {
      w1: agent('w1', {
        host: 'gpu',
        pane: '%7',
        view_pane: '%2',
        status: 'unreachable',
        reason: 'host gpu does not answer: Connection refused',
      }),
      lead: agent('lead'),
    },
  };
  const view = buildView(data, []);
  const w1 = view.agents.find((a) => a.name === 'w1')!;
  assert.deepEqual([w1.host, w1.pane, w1.status], ['gpu', '%2', 'unreachable']);
  assert.equal(view.agents.find((a) => a.name === 'lead')!.host, undefined);
  assert.deepEqual(view.totals.by_status, { unreachable: 1, idle: 1 });
});
