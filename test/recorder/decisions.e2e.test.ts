// A layout rule's decision on a permission request: the recorder's pass records it in the store
// and writes no file; the effect after the store write writes the decision files, and the next pass
// settles the request from its claim. A recorder killed between its store write and the effect
// leaves the decision in the store only: the next recorder writes it out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { Store } from '../../src/store/store.js';
import { readStore } from '../../src/store/state-dir.js';
import { emptyStore, type AgentRecord, type StoreData } from '../../src/store/types.js';
import { agentFiles, approvalAnswerFile, approvalClaimFile } from '../../src/store/paths.js';
import { recordPass } from '../../src/recorder/pass.js';
import { performDecisions } from '../../src/recorder/effects.js';
import { startRecorder } from '../../src/recorder/recorder.js';
import { readClaim, writeDecision } from '../../src/approvals/approvals.js';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';

const agent = (name: string, pane = '%1'): AgentRecord => ({
  name,
  role: 'worker',
  mode: 'interactive',
  pane,
  window: '@1',
  cwd: '/',
  session_id: 's',
  launch_script: '',
  status: 'busy',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: new Date().toISOString(),
});
const asks = (state: string, request: string, command: string): void => {
  mkdirSync(agentFiles(state, 'w1').dir, { recursive: true });
  appendFileSync(
    agentFiles(state, 'w1').status,
    `${JSON.stringify({ at: Date.now(), request, event: { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command }, cwd: '/' } })}\n`,
  );
};
const filesOf = (state: string): string[] => {
  try {
    return readdirSync(agentFiles(state, 'w1').approvals).sort();
  } catch {
    return [];
  }
};
const withRules = (data: StoreData): StoreData =>
  Object.assign(data, {
    agents: { w1: agent('w1') },
    policy: { w1: { allow: ['Bash(ls:*)'], deny: ['Bash(rm:*)'], ask: [] } },
  });

test("the pass records a rule's decision and writes no file; the effect writes it, a claim made first stays, the next pass settles from the claim", (t) => {
  const state = tempDir(t);
  const data = withRules(emptyStore());
  asks(state, 'q1', 'ls -la');
  asks(state, 'q2', 'rm -rf x');
  const pass = recordPass(data, state, ['w1'], () => {});
  assert.deepEqual(filesOf(state), [], 'no decision file written inside the pass');
  assert.deepEqual(
    pass.decisions.map((d) => [d.id, d.decision.behavior, d.decision.by, d.decision.rule]),
    [
      ['q1', 'allow', 'policy', 'Bash(ls:*)'],
      ['q2', 'deny', 'policy', 'Bash(rm:*)'],
    ],
  );
  assert.deepEqual(
    [data.approvals!.q1!.state, data.approvals!.q2!.state],
    ['pending', 'pending'],
    'settled only from a claim',
  );

  // Someone decided q2 between the store write and the effect: theirs stays.
  assert.equal(writeDecision(state, 'w1', 'q2', { behavior: 'allow', by: 'cli' }), true);
  let again = 0;
  performDecisions(
    {
      stateDir: state,
      store: undefined as unknown as Store,
      log: () => {},
      again: () => {
        again++;
      },
      look: () => {},
      hostSilent: () => {},
    },
    pass.decisions,
  );
  assert.equal(again, 1, 'the recorder looks again');
  assert.ok(existsSync(approvalAnswerFile(state, 'w1', 'q1')), 'the hook gets its answer');
  assert.equal(readClaim(state, 'w1', 'q2')?.by, 'cli');

  const next = recordPass(data, state, ['w1'], () => {});
  assert.deepEqual(next.decisions, [], 'nothing left to write');
  const q = data.approvals!;
  assert.deepEqual([q.q1!.state, q.q1!.by, q.q1!.rule], ['allowed', 'policy', 'Bash(ls:*)']);
  assert.deepEqual([q.q2!.state, q.q2!.by], ['allowed', 'cli']);
});

test("a rule's decision recorded by a recorder killed before it wrote the files is written by the next recorder", async (t) => {
  const state = tempDir(t);
  const server = privateServer(t);
  const pane = (await server.cmd(['new-session', '-d', '-s', 'dec', '-P', '-F', '#{pane_id}', 'sleep 100'])).trim();
  const tmuxId = (await server.cmd(['display-message', '-p', '-t', 'dec', '#{session_id}'])).trim();
  // What the killed recorder's pass wrote: the request, its rule's decision, and no file.
  const killed = withRules(emptyStore());
  asks(state, 'q1', 'ls');
  recordPass(killed, state, ['w1'], () => {});
  assert.deepEqual(filesOf(state), []);
  const store = await Store.open(state);
  await store.mutate((data) => {
    Object.assign(data, killed, {
      session: {
        name: 'dec',
        socket: server.socket,
        tmux_id: tmuxId,
        layout_file: '/l.yaml',
        root: '/',
        state_dir: state,
        created_at: new Date().toISOString(),
        ended_at: null,
        windows: [],
      },
      agents: { w1: { ...killed.agents.w1!, pane } },
    });
  });

  const recorder = await startRecorder({ stateDir: state, paneCheckMs: 200 });
  t.after(() => recorder.stop());
  await retryUntil(
    () => existsSync(approvalClaimFile(state, 'w1', 'q1')) && existsSync(approvalAnswerFile(state, 'w1', 'q1')),
    5000,
    'the decision files',
  );
  const settled = await retryUntil(
    () => {
      const r = readStore(state).approvals?.q1;
      return r?.state !== 'pending' && r;
    },
    5000,
    'the request settled',
  );
  assert.deepEqual([settled.state, settled.by, settled.rule], ['allowed', 'policy', 'Bash(ls:*)']);
});
