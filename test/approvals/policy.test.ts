// Permission rules in Claude Code's syntax, and decisions as files where the first one wins.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decide, describeCall, ruleFor, ruleMatches } from '../../src/approvals/policy.js';
import { readClaim, writeDecision } from '../../src/approvals/approvals.js';
import { findRequest } from '../../src/approvals/decide.js';
import { emptyStore, type StoreData } from '../../src/store/types.js';
import { tempDir } from '../helpers/tmux.js';

test('rules: whole tools, command prefixes and exact commands, path globs, domains; deny over ask over allow', () => {
  const bash = (command: string) => ({ command });
  assert.equal(ruleMatches('Bash(npm test:*)', 'Bash', bash('npm test -- --watch')), true);
  assert.equal(ruleMatches('Bash(npm test:*)', 'Bash', bash('npm test')), true);
  assert.equal(ruleMatches('Bash(npm test:*)', 'Bash', bash('npm install')), false);
  assert.equal(ruleMatches('Bash(git status)', 'Bash', bash('git status')), true);
  assert.equal(ruleMatches('Bash(git status)', 'Bash', bash('git status; rm -rf /')), false);
  assert.equal(ruleMatches('Edit', 'Edit', { file_path: '/p/x.ts' }), true);
  assert.equal(ruleMatches('Edit(src/**)', 'Edit', { file_path: '/p/src/a/b.ts' }, '/p'), true);
  assert.equal(ruleMatches('Edit(src/**)', 'Edit', { file_path: '/p/test/b.ts' }, '/p'), false);
  assert.equal(ruleMatches('Edit(*.md)', 'Edit', { file_path: '/p/README.md' }, '/p'), true);
  assert.equal(ruleMatches('WebFetch(domain:example.com)', 'WebFetch', { url: 'https://example.com/x' }), true);
  assert.equal(ruleMatches('mcp__orchestrator__*', 'mcp__orchestrator__dispatch', {}), true);
  const rules = { allow: ['Bash(rm:*)', 'Bash'], deny: ['Bash(rm -rf:*)'], ask: ['Bash(rm -i:*)'] };
  assert.deepEqual(decide(rules, 'Bash', bash('rm -rf /')), { behavior: 'deny', rule: 'Bash(rm -rf:*)' });
  assert.deepEqual(decide(rules, 'Bash', bash('rm -i x')), { behavior: 'ask', rule: 'Bash(rm -i:*)' });
  assert.deepEqual(decide(rules, 'Bash', bash('ls')), { behavior: 'allow', rule: 'Bash' });
  assert.equal(decide(rules, 'Edit', { file_path: '/x' }), null);
  assert.equal(ruleFor('Bash', bash('npm i')), 'Bash(npm i)');
  assert.equal(describeCall('Write', { file_path: '/p/a.ts', content: 'x' }), 'Write(/p/a.ts)');
});

test('decisions: the first one wins, the hook gets its answer, a request is found by agent or id', (t) => {
  const dir = tempDir(t);
  assert.equal(writeDecision(dir, 'w1', 'q1', { behavior: 'deny', by: 'cli', message: 'no' }), true);
  assert.equal(writeDecision(dir, 'w1', 'q1', { behavior: 'allow', by: 'dashboard' }), false);
  assert.equal(readClaim(dir, 'w1', 'q1')!.by, 'cli');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'agents', 'w1', 'approvals', 'q1.json'), 'utf8')),
    { hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'no' } } });
  const data: StoreData = { ...emptyStore(), agents: { w1: { name: 'w1' } as StoreData['agents'][string] },
    approvals: { q2: { id: 'q2', agent: 'w1', tool: 'Bash', input: {}, summary: 'Bash', at: '2026-01-01T00:00:00Z', timeout_at: '2099-01-01T00:00:00Z', state: 'pending', by: null, rule: null, message: null, decided_at: null } } };
  assert.equal(findRequest(data, 'w1').id, 'q2');
  assert.equal(findRequest(data, 'q2').id, 'q2');
  assert.throws(() => findRequest(data, 'nobody'), /no pending permission request and no agent named "nobody"/);
});

const agentRecord = (name: string): StoreData['agents'][string] => ({
  name, role: 'worker', mode: 'interactive', pane: '%1', window: '@1', cwd: '/tmp', session_id: name, launch_script: '/x',
  status: 'waiting', reason: null, task: null, last_result: null, cost_usd: 0, updated_at: new Date(0).toISOString(),
});

test('the lead: pending_approvals lists requests; decide works only with approvals: { by: lead }, and never on its own request', async (t) => {
  const { callTool } = await import('../../src/mcp/handlers.js');
  const { writeFileSync } = await import('node:fs');
  const dir = tempDir(t);
  const request = (id: string, agent: string) => ({ id, agent, tool: 'Bash', input: { command: 'npm i' }, summary: 'Bash(npm i)', at: `2026-01-01T00:00:0${id.length}Z`, timeout_at: '2099-01-01T00:00:00Z', state: 'pending' as const, by: null, rule: null, message: null, decided_at: null });
  const data: StoreData = { ...emptyStore(), session: { name: 's', socket: null, tmux_id: '$1', layout_file: '/x', root: '/tmp', state_dir: dir, created_at: '', ended_at: null, windows: [] }, agents: { lead: agentRecord('lead'), w1: agentRecord('w1') },
    approvals: { q1: request('q1', 'w1'), q22: request('q22', 'lead') }, approval_settings: { timeout_s: 300, by: 'person' } };
  const write = (): void => writeFileSync(join(dir, 'store.json'), JSON.stringify(data));
  write();
  const ctx = { stateDir: dir, caller: 'lead' };
  const listed = JSON.parse((await callTool(ctx, 'pending_approvals', {})).text) as { pending: { id: string; input: unknown }[] };
  assert.deepEqual(listed.pending.map((p) => [p.id, p.input]), [['q1', { command: 'npm i' }], ['q22', { command: 'npm i' }]]);
  assert.match((await callTool(ctx, 'decide', { request: 'w1', behavior: 'allow' })).text, /does not let the lead decide/);
  data.approval_settings = { timeout_s: 300, by: 'lead' };
  write();
  assert.match((await callTool(ctx, 'decide', { request: 'q22', behavior: 'allow' })).text, /is your own; a person decides it/);
  const allowed = await callTool(ctx, 'decide', { request: 'w1', behavior: 'deny', message: 'use npm ci' });
  assert.deepEqual(allowed, { text: 'denied Bash(npm i) for w1 (request q1)', isError: false });
  assert.deepEqual([readClaim(dir, 'w1', 'q1')!.by, readClaim(dir, 'w1', 'q1')!.message], ['lead', 'use npm ci']);
});
