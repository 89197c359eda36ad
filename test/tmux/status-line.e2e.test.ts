// Agent states shown by tmux itself: the session's status line and each agent pane's border,
// checked on a real private server, and as a real client draws them (a tmux client attached
// inside a pane of a second private server, whose screen is captured with its colours).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { privateServer, retryUntil } from '../helpers/tmux.js';
import {
  applyTmuxStatus as applyToTmux,
  paneState,
  statusRight as right,
  tmuxStatusCommands as commandsOf,
} from '../../src/tmux/status-line.js';
import { tmuxPicture } from '../../src/recorder/recorder.js';
import { emptyStore, type AgentRecord, type AgentStatus, type StoreData } from '../../src/store/types.js';
import { ansiToSegments } from '../../src/dashboard/ansi.js';
import type { Server } from '../../src/tmux/objects.js';

// The store as the recorder shows it (tmuxPicture), so these read as before.
const statusRight = (data: StoreData): string => right(tmuxPicture(data));
const tmuxStatusCommands = (data: StoreData) => commandsOf(tmuxPicture(data));
const applyTmuxStatus = (server: Server, data: StoreData): Promise<boolean> => applyToTmux(server, tmuxPicture(data));

const agent = (name: string, pane: string, status: AgentStatus, cost = 0): AgentRecord => ({
  name,
  role: 'worker',
  mode: 'interactive',
  pane,
  window: '@0',
  cwd: '/',
  session_id: 'x',
  launch_script: '/x',
  status,
  reason: null,
  task: null,
  last_result: null,
  cost_usd: cost,
  updated_at: new Date().toISOString(),
});

function store(sessionId: string, agents: AgentRecord[]): StoreData {
  return {
    ...emptyStore(),
    session: {
      name: 's',
      socket: null,
      tmux_id: sessionId,
      layout_file: '/l.yaml',
      root: '/',
      state_dir: '/s',
      created_at: '',
      ended_at: null,
      windows: [],
    },
    agents: Object.fromEntries(agents.map((a) => [a.name, a])),
  };
}

test('status line: one coloured symbol per agent and the cost; pane states; nothing for an ended session', () => {
  const data = store('$1', [agent('lead', '%1', 'busy', 0.5), agent('w-1', '%2', 'error', 0.25)]);
  assert.equal(statusRight(data), '#[fg=black,bg=yellow] ▶ lead #[default] #[fg=white,bg=red] ✗ w-1 #[default] $0.75 ');
  assert.equal(paneState('idle'), '#[fg=green]● idle#[default]');
  assert.equal(paneState('made-up'), '#[fg=default]· made-up#[default]');
  const commands = tmuxStatusCommands(data);
  assert.deepEqual(
    commands.map((c) => c.slice(0, 4)),
    [
      ['set-option', '-t', '$1', 'status-right-length'],
      ['set-option', '-t', '$1', 'status-right'],
      ['set-option', '-p', '-t', '%1'],
      ['set-option', '-p', '-t', '%2'],
    ],
  );
  // '#' in a name would start a tmux format: it is doubled.
  assert.match(statusRight(store('$1', [agent('a#b', '%1', 'idle')])), / ● a##b /);
  assert.deepEqual(tmuxStatusCommands({ ...data, session: { ...data.session!, ended_at: 'then' } }), []);
  assert.deepEqual(tmuxStatusCommands(emptyStore()), []);
});

async function twoAgentSession(server: Server): Promise<{ session: string; panes: string[] }> {
  const out = await server.cmd(
    [
      'new-session',
      '-d',
      '-s',
      'team',
      '-x',
      '120',
      '-y',
      '20',
      '-P',
      '-F',
      '#{session_id} #{pane_id}',
      'sleep',
      '600',
    ],
    ['split-window', '-P', '-F', '#{pane_id}', 'sleep', '600'],
  );
  const [first = '', second = ''] = out.trim().split('\n');
  const [session = '', pane1 = ''] = first.split(' ');
  // The lead's pane is the active one (its border line is green, the other's the default colour).
  // The builder's border options, so that the border shows @state as in a real session.
  await server.cmd(
    ['set-option', '-w', '-t', session, 'pane-border-status', 'top'],
    ['set-option', '-w', '-t', session, 'pane-border-format', ' #{@agent} #{?#{@state},[#{@state}] ,}'],
    ['set-option', '-p', '-t', pane1, '@agent', 'lead'],
    ['set-option', '-p', '-t', second, '@agent', 'w-1'],
    ['select-pane', '-t', pane1],
  );
  return { session, panes: [pane1, second] };
}

test('status line: applied to a real session in one call, redrawn for an attached client, skipped when unchanged', async (t) => {
  const inner = privateServer(t);
  const { session, panes } = await twoAgentSession(inner);
  const [lead = '', worker = ''] = panes;
  const data = store(session, [agent('lead', lead, 'busy'), agent('w-1', worker, 'idle')]);
  assert.equal(await applyTmuxStatus(inner, data), true);
  assert.equal(
    (await inner.cmd(['show-options', '-v', '-t', session, 'status-right'])).replace(/\n$/, ''),
    statusRight(data),
  );
  assert.equal((await inner.cmd(['display-message', '-p', '-t', lead, '#{@state}'])).trim(), paneState('busy'));
  assert.equal(await applyTmuxStatus(inner, data), false, 'an unchanged picture makes no tmux call');
  // Calls made in quick succession land in order: tmux ends with the last picture asked for.
  const burst = ['starting', 'waiting', 'busy'].map((status) =>
    applyTmuxStatus(inner, store(session, [agent('lead', lead, status as AgentStatus), agent('w-1', worker, 'idle')])),
  );
  assert.deepEqual(await Promise.all(burst), [true, true, true]);
  assert.equal((await inner.cmd(['display-message', '-p', '-t', lead, '#{@state}'])).trim(), paneState('busy'));

  // A real client, attached inside a pane of a second server, draws the borders and status line;
  // its screen, captured with colours, is read with the dashboard's own SGR parser.
  const outer = privateServer(t);
  await outer.cmd([
    'new-session',
    '-d',
    '-s',
    'view',
    '-x',
    '120',
    '-y',
    '20',
    'env',
    '-u',
    'TMUX',
    'tmux',
    '-L',
    inner.socket!,
    'attach',
    '-t',
    session,
  ]);
  const drawn = async (text: string): Promise<string | undefined> => {
    const segments = ansiToSegments(await outer.cmd(['capture-pane', '-e', '-p', '-t', 'view']));
    return segments.find((s) => s.t.includes(text))?.c;
  };
  // The lead's border says "▶ busy" in yellow (f3), the worker's "● idle" in green (f2); the
  // status line has a yellow badge for the lead (b3) and a green one for the worker (b2).
  await retryUntil(
    async () =>
      (await drawn('▶ busy'))?.includes('f3') &&
      (await drawn('● idle'))?.includes('f2') &&
      (await drawn(' ▶ lead '))?.includes('b3') &&
      (await drawn(' ● w-1 '))?.includes('b2'),
    10_000,
    "the client to draw the agents' states",
  );

  // A change is drawn at once, without a poll: the lead finishes, the worker fails.
  const next = store(session, [agent('lead', lead, 'idle'), agent('w-1', worker, 'error', 1.5)]);
  assert.equal(await applyTmuxStatus(inner, next), true);
  await retryUntil(
    async () =>
      (await drawn('● idle'))?.includes('f2') &&
      (await drawn('✗ error'))?.includes('f1') &&
      (await drawn(' ● lead '))?.includes('b2') &&
      (await drawn(' ✗ w-1 '))?.includes('b1') &&
      (await drawn('$1.50')) !== undefined &&
      (await drawn('busy')) === undefined,
    10_000,
    'the client to draw the new states',
  );
});

test('status line: a pane that went away does not stop the others from being updated', async (t) => {
  const server = privateServer(t);
  const { session, panes } = await twoAgentSession(server);
  const [lead = '', worker = ''] = panes;
  await server.cmd(['kill-pane', '-t', worker]);
  const data = store(session, [agent('lead', lead, 'waiting'), agent('w-1', worker, 'exited')]);
  assert.equal(await applyTmuxStatus(server, data), true);
  assert.equal((await server.cmd(['display-message', '-p', '-t', lead, '#{@state}'])).trim(), paneState('waiting'));
  assert.match((await server.cmd(['show-options', '-v', '-t', session, 'status-right'])).trim(), / \? lead .* ○ w-1 /);
});
