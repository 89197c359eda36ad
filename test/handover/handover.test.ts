// Handovers from a store written by hand: every task under the heading of its state with its
// result or reason, workflow runs (and their absence), cost, git working directories, the resume
// commands; files under handovers/ and the newest one of a layout; the lead's context.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { emptyStore, type AgentRecord, type StoreData, type TaskRecord } from '../../src/store/types.js';
import { handoverMeta, renderHandover } from '../../src/handover/render.js';
import { handoverContext, handoverName, latestHandover, writeHandover } from '../../src/handover/files.js';
import { gitRepos } from '../../src/handover/repos.js';
import { isHandoverName } from '../../src/handover/read.js';
import { tempDir } from '../helpers/tmux.js';

const agent = (name: string, role: string, cwd: string, cost = 0): AgentRecord => ({
  name,
  role,
  mode: 'interactive',
  pane: '%1',
  window: '@1',
  cwd,
  session_id: `0000-${name}`,
  launch_script: '',
  status: 'idle',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: cost,
  updated_at: new Date(0).toISOString(),
});
let seq = 0;
const task = (id: string, state: TaskRecord['state'], fields: Partial<TaskRecord> = {}): TaskRecord => ({
  id,
  seq: ++seq,
  target: { agent: 'w1' },
  agent: 'w1',
  prompt: `prompt of ${id}`,
  state,
  created_at: '2026-01-01T00:00:00.000Z',
  delivered_at: null,
  started_at: '2026-01-01T00:00:01.000Z',
  ended_at: '2026-01-01T00:00:03.500Z',
  result: null,
  error: null,
  attempts: 1,
  cost_usd: 0.01,
  ...fields,
});

function store(cwd: string): StoreData {
  return {
    ...emptyStore(),
    session: {
      name: 'shop',
      socket: 'priv',
      tmux_id: '$1',
      layout_file: '/l/shop.yaml',
      root: cwd,
      state_dir: '/s',
      created_at: '2026-01-01T00:00:00.000Z',
      ended_at: null,
      windows: [],
    },
    agents: { lead: agent('lead', 'lead', cwd, 0.5), w1: agent('w1', 'worker', cwd, 0.25) },
    tasks: Object.fromEntries(
      [
        task('t-done', 'done', { result: `answer ${'x'.repeat(2000)}` }),
        task('t-failed', 'failed', { error: 'API request failed: server_error' }),
        task('t-run', 'running', { ended_at: null }),
        task('t-queue', 'queued', { started_at: null, ended_at: null, prompt: 'a | pipe\nand a newline' }),
        task('t-int', 'interrupted', {
          error: 'w1 stopped',
          interruptions: [{ at: '2026-01-01T00:01:00.000Z', reason: 'its tmux session was lost' }],
        }),
        task('t-summary', 'done', { result: 'the summary' }),
      ].map((t) => [t.id, t]),
    ),
  };
}

/** The part under a "### Title (n)" heading. */
const section = (text: string, title: string): string =>
  text.split(/^### /m).find((s) => s.startsWith(`${title} (`)) ?? '';

test('every task is under the heading of its state, with its result or reason; cost and resume commands', () => {
  const data = store('/p');
  const text = renderHandover({
    data,
    stateDir: '/s',
    now: new Date('2026-01-02T00:00:00.000Z'),
    running: true,
    repos: [],
    exclude: ['t-summary'],
  });
  assert.match(
    section(text, 'Done'),
    /^Done \(1\)\n\n- `t-done` \(w1, 2.5 s, \$0.0100\): prompt of t-done\n {2}- result: answer x+…\n/,
  );
  assert.ok(section(text, 'Done').length < 900, 'a long result is trimmed');
  assert.match(section(text, 'Failed'), /`t-failed`.*\n {2}- reason: API request failed: server_error/);
  assert.match(section(text, 'Running'), /`t-run` \(w1, since 2026-01-01T00:00:01.000Z, \$0.0100\): prompt of t-run\n/);
  assert.match(section(text, 'Queued'), /`t-queue` \(w1, \$0.0100\): a \| pipe and a newline\n {2}- waiting for w1/);
  assert.match(
    section(text, 'Interrupted'),
    /`t-int`[\s\S]*reason: w1 stopped\n {2}- interrupted at 2026-01-01T00:01:00.000Z: its tmux session was lost/,
  );
  assert.ok(!text.includes('t-summary'), "the summary's own task is not listed");
  assert.match(text, /\| lead \| lead \| idle \| `0000-lead` \| `\/p` \| \$0.5000 \|/);
  assert.match(text, /- total: \$0.7500/);
  assert.ok(!text.includes('## Workflow runs'), 'no runs in the store: no section');
  assert.match(text, /tmux -L priv attach -t shop/);
  assert.match(text, /orchestrate.mts session end --state \/s/);
  assert.match(text, /cd \/p && claude --resume 0000-w1 {3}# w1/);
  assert.deepEqual(handoverMeta(text), {
    session: 'shop',
    layout: '/l/shop.yaml',
    state_dir: '/s',
    written_at: '2026-01-02T00:00:00.000Z',
  });
});

test('workflow runs of any recorded shape, a lost session, a summary from the lead or why there is none', () => {
  const data = store('/p');
  (data as { runs?: unknown }).runs = {
    'r-1': {
      id: 'r-1',
      name: 'build',
      state: 'running',
      tasks: {
        plan: { name: 'plan', state: 'done', agent: 'lead', tries: ['t-done'] },
        impl: { state: 'queued', task: 't-queue' },
      },
    },
    'r-2': { state: 'done', tasks: {} },
    junk: 42,
  };
  const text = renderHandover({
    data,
    stateDir: '/s',
    now: new Date(),
    running: false,
    repos: [],
    summary: { agent: 'lead', task: 't-summary', text: 'We built the cart.' },
  });
  assert.match(
    text,
    /- `r-1` build: running; 2 tasks \(1 done, 1 queued\)\n {2}- plan: done on lead \(task `t-done`\)\n {2}- impl: queued \(task `t-queue`\)/,
  );
  assert.match(text, /- `r-2`: done; 0 tasks \(none\)/);
  assert.match(text, /not running \(its tmux session is gone; it was never ended\)/);
  assert.match(text, /start\.mts --layout \/l\/shop\.yaml --socket priv --state \/s --resume/);
  assert.match(
    text,
    /## Summary written by the lead \(lead, task `t-summary`; its own words, not checked against the records above\)\n\nWe built the cart\./,
  );
  const none = renderHandover({
    data,
    stateDir: '/s',
    now: new Date(),
    running: true,
    repos: [],
    summary: { agent: 'lead', error: 'the lead was busy, not idle' },
  });
  assert.match(none, /## Summary by the lead\n\nNone: the lead was busy, not idle/);
});

test('git: branch and short status per repository, directories outside git left out', async (t) => {
  const dir = tempDir(t);
  const repo = join(dir, 'repo');
  mkdirSync(join(repo, 'sub'), { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', repo, ...args], {
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@t',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@t',
      },
    });
  git('init', '-q', '-b', 'feature/cart');
  writeFileSync(join(repo, 'a.txt'), 'a\n');
  git('add', 'a.txt');
  git('commit', '-q', '-m', 'a');
  writeFileSync(join(repo, 'a.txt'), 'changed\n');
  writeFileSync(join(repo, 'sub', 'new.txt'), 'new\n');
  const plain = join(dir, 'plain');
  mkdirSync(plain);
  const repos = await gitRepos([
    { name: 'lead', cwd: repo },
    { name: 'w1', cwd: join(repo, 'sub') },
    { name: 'w2', cwd: plain },
  ]);
  assert.equal(repos.length, 1);
  assert.equal(repos[0]!.branch, 'feature/cart');
  assert.deepEqual(repos[0]!.changes, [' M a.txt', '?? sub/'], 'paths from the repository root');
  assert.deepEqual(
    repos[0]!.agents.map((a) => a.name),
    ['lead', 'w1'],
  );
  const text = renderHandover({ data: store(repo), stateDir: '/s', now: new Date(), running: true, repos });
  assert.match(
    text,
    /- Agents: lead, w1 \(`[^`]+\/sub`\)\n- Branch: `feature\/cart`\n- Uncommitted changes: 2\n\n```\n M a.txt\n\?\? sub\/\n```/,
  );
  git('checkout', '-q', '--detach');
  assert.match((await gitRepos([{ name: 'lead', cwd: repo }]))[0]!.branch ?? '', /^detached at [0-9a-f]{7,}$/);
});

test("handover files: written under handovers/, named so the dashboard lists them; the newest of this layout is the lead's", async (t) => {
  const state = tempDir(t);
  const data = store(state);
  data.session!.socket = `none_${process.pid}`;
  writeFileSync(join(state, 'store.json'), JSON.stringify(data));
  const first = await writeHandover({ stateDir: state, by: 'test', now: () => new Date('2026-01-01T10:00:00.000Z') });
  assert.equal(first.file, join(state, 'handovers', '2026-01-01T10-00-00.000Z.md'));
  assert.ok(isHandoverName(handoverName(new Date())), 'the dashboard accepts the name');
  assert.match(first.text, /not running/, 'its tmux session is not there');
  const second = await writeHandover({ stateDir: state, now: () => new Date('2026-01-01T11:00:00.000Z') });
  // A newer handover of another layout in the same folder is not this layout's.
  data.session!.layout_file = '/l/other.yaml';
  writeFileSync(join(state, 'store.json'), JSON.stringify(data));
  const other = await writeHandover({ stateDir: state, now: () => new Date('2026-01-01T12:00:00.000Z') });
  for (const [file, h] of [
    [first.file, 10],
    [second.file, 11],
    [other.file, 12],
  ] as const)
    utimesSync(file, new Date(), new Date(Date.UTC(2026, 0, 1, h)));
  assert.equal(latestHandover(state, '/l/shop.yaml')?.file, second.file);
  assert.equal(latestHandover(state, '/l/other.yaml')?.file, other.file);
  assert.equal(latestHandover(join(state, 'nowhere'), '/l/shop.yaml'), undefined);
  const out = join(state, 'elsewhere.md');
  assert.equal((await writeHandover({ stateDir: state, out })).file, out);

  const context = handoverContext({ file: second.file, text: second.text });
  assert.match(context, /^# Handover from the previous session of this team\n/);
  assert.ok(context.includes(second.text) && context.includes(second.file));
  const long = handoverContext({ file: '/h.md', text: 'y'.repeat(100_000) });
  assert.ok(long.length < 61_000 && long.endsWith('(The handover is longer; the rest is in /h.md.)'));
});
