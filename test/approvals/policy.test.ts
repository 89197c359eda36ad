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

// Bash lines as Claude Code reads them (docs/approvals.md): every command in a line must be allowed,
// any command a deny rule matches denies the line, what cannot be read for certain goes to a person.
const echoOk = { allow: ['Bash(echo ok:*)'], deny: [], ask: [] };
const denyRm = { allow: ['Bash(echo:*)'], deny: ['Bash(rm -rf:*)'], ask: [] };
const dev = {
  allow: ['Bash(npm test:*)', 'Bash(git status)', 'Bash(git log *)', 'Bash(echo:*)'],
  deny: [],
  ask: ['Bash(git push:*)'],
};
const bashCases: {
  name: string;
  rules: { allow: string[]; deny: string[]; ask: string[] };
  command: string;
  expected: [string, string] | null;
}[] = [
  {
    name: 'issue: an allowed prefix does not allow what follows &&',
    rules: echoOk,
    command: 'echo ok && touch F',
    expected: null,
  },
  {
    name: 'issue: a denied part denies the line',
    rules: denyRm,
    command: 'echo bye; rm -rf DIR',
    expected: ['deny', 'Bash(rm -rf:*)'],
  },
  { name: 'prefix on a word boundary', rules: echoOk, command: 'echo ok then', expected: ['allow', 'Bash(echo ok:*)'] },
  { name: 'prefix is not part of a word', rules: echoOk, command: 'echo okay', expected: null },
  { name: 'npm test', rules: dev, command: 'npm test', expected: ['allow', 'Bash(npm test:*)'] },
  { name: 'npm test --watch', rules: dev, command: 'npm  test --watch', expected: ['allow', 'Bash(npm test:*)'] },
  { name: 'npm testing', rules: dev, command: 'npm testing', expected: null },
  { name: 'an exact rule is one command', rules: dev, command: 'git status --short', expected: null },
  {
    name: 'an exact rule within a line',
    rules: dev,
    command: 'git status; npm test',
    expected: ['allow', 'Bash(git status) + Bash(npm test:*)'],
  },
  {
    name: 'a trailing * matches the bare command',
    rules: dev,
    command: 'git log',
    expected: ['allow', 'Bash(git log *)'],
  },
  { name: 'a trailing * matches on a word boundary', rules: dev, command: 'git logx', expected: null },
  { name: 'pipe: each side', rules: dev, command: 'git log --oneline | head -3', expected: null },
  {
    name: 'pipe: both allowed',
    rules: dev,
    command: 'git log --oneline | echo',
    expected: ['allow', 'Bash(git log *) + Bash(echo:*)'],
  },
  {
    name: 'ask in any part',
    rules: dev,
    command: 'git status && git push origin',
    expected: ['ask', 'Bash(git push:*)'],
  },
  { name: '||', rules: denyRm, command: 'echo a || rm -rf DIR', expected: ['deny', 'Bash(rm -rf:*)'] },
  { name: 'newline', rules: denyRm, command: 'echo a\nrm -rf DIR', expected: ['deny', 'Bash(rm -rf:*)'] },
  { name: '|&', rules: denyRm, command: 'echo a |& rm -rf DIR', expected: ['deny', 'Bash(rm -rf:*)'] },
  { name: 'inside $( )', rules: denyRm, command: 'echo $(rm -rf x)', expected: ['deny', 'Bash(rm -rf:*)'] },
  { name: 'inside backticks', rules: denyRm, command: 'echo `rm -rf x`', expected: ['deny', 'Bash(rm -rf:*)'] },
  {
    name: 'inside a parameter expansion',
    rules: denyRm,
    command: ['echo $', '{X:-$(rm -rf x)}'].join(''),
    expected: ['deny', 'Bash(rm -rf:*)'],
  },
  {
    name: "a wrapper's later argument is not a command",
    rules: { ...denyRm, allow: ['Bash(sudo apt:*)'] },
    command: 'sudo apt install rm -rf',
    expected: ['allow', 'Bash(sudo apt:*)'],
  },
  {
    name: 'inside a subshell',
    rules: denyRm,
    command: 'echo a; (cd /tmp && rm -rf x)',
    expected: ['deny', 'Bash(rm -rf:*)'],
  },
  {
    name: 'behind sudo and an assignment',
    rules: denyRm,
    command: 'FOO=1 sudo -u root rm -rf /',
    expected: ['deny', 'Bash(rm -rf:*)'],
  },
  {
    name: 'with a path or quotes',
    rules: denyRm,
    command: "/bin/rm -rf x; 'rm' -rf y",
    expected: ['deny', 'Bash(rm -rf:*)'],
  },
  {
    name: 'after a keyword',
    rules: denyRm,
    command: 'if true; then rm -rf x; fi',
    expected: ['deny', 'Bash(rm -rf:*)'],
  },
  { name: 'a quoted ; is text', rules: denyRm, command: 'echo "a; b"', expected: ['allow', 'Bash(echo:*)'] },
  {
    name: 'a quoted rm is text',
    rules: denyRm,
    command: 'echo \'rm -rf x\' "; rm -rf y"',
    expected: ['allow', 'Bash(echo:*)'],
  },
  {
    name: 'a subshell of allowed commands',
    rules: denyRm,
    command: '(echo a; echo b) | echo',
    expected: ['allow', 'Bash(echo:*)'],
  },
  {
    name: 'command substitution',
    rules: denyRm,
    command: 'echo $(date)',
    expected: ['ask', 'uncertain: command substitution'],
  },
  { name: 'backticks', rules: denyRm, command: 'echo `date`', expected: ['ask', 'uncertain: backticks'] },
  {
    name: 'process substitution',
    rules: denyRm,
    command: 'echo <(echo a)',
    expected: ['ask', 'uncertain: process substitution'],
  },
  { name: '> writes', rules: denyRm, command: 'echo a > out.txt', expected: ['ask', 'uncertain: writes to out.txt'] },
  {
    name: '>> and 2> write',
    rules: denyRm,
    command: 'echo a >>log 2> err',
    expected: ['ask', 'uncertain: writes to log, writes to err'],
  },
  {
    name: '/dev/null and fd copies do not',
    rules: denyRm,
    command: 'echo a 2>/dev/null >&2 2>&1',
    expected: ['allow', 'Bash(echo:*)'],
  },
  { name: 'heredoc', rules: denyRm, command: 'echo <<EOF\nrm -rf x\nEOF', expected: ['ask', 'uncertain: heredoc'] },
  {
    name: 'unterminated quote',
    rules: denyRm,
    command: "echo 'a; rm b",
    expected: ['ask', 'uncertain: unterminated quote'],
  },
  {
    name: 'eval',
    rules: { ...denyRm, allow: ['Bash(eval:*)'] },
    command: 'eval "echo a"',
    expected: ['ask', 'uncertain: eval'],
  },
  {
    name: 'a variable in command position',
    rules: denyRm,
    command: 'echo a; $CMD x',
    expected: ['ask', 'uncertain: expansion in command position ($CMD)'],
  },
  { name: 'background &', rules: denyRm, command: 'echo a & echo b', expected: ['ask', 'uncertain: background &'] },
  { name: 'an assignment is part of the command', rules: dev, command: 'FOO=1 npm test', expected: null },
];

test('Bash lines: every command must be allowed, any denied one denies, what cannot be read goes to a person', () => {
  const failures = bashCases.flatMap(({ name, rules, command, expected }) => {
    const got = decide(rules, 'Bash', { command });
    const actual = got && [got.behavior, got.rule];
    return JSON.stringify(actual) === JSON.stringify(expected)
      ? []
      : [`${name}: ${JSON.stringify(command)} gave ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`];
  });
  assert.deepEqual(failures, []);
});

test('approve --always: the rule allows that one line again and nothing more', () => {
  const allowed = (rule: string, command: string): string | undefined =>
    decide({ allow: [rule], deny: [], ask: [] }, 'Bash', { command })?.behavior;
  const compound = ruleFor('Bash', { command: 'echo a && rm x' })!;
  assert.equal(compound, 'Bash(echo a && rm x)');
  assert.equal(allowed(compound, 'echo a && rm x'), 'allow');
  for (const other of ['echo a && rm -rf /', 'echo a', 'rm x', 'echo a && rm x; rm -rf /', 'echo a && rm x > y'])
    assert.notEqual(allowed(compound, other), 'allow', other);
  const substituted = ruleFor('Bash', { command: 'echo $(date)' })!;
  assert.equal(substituted, 'Bash(echo $\\(date\\))');
  assert.equal(allowed(substituted, 'echo $(date)'), 'allow');
  assert.notEqual(allowed(substituted, 'echo $(date); rm -rf /'), 'allow');
  assert.equal(
    decide({ allow: [compound], deny: ['Bash(rm:*)'], ask: [] }, 'Bash', { command: 'echo a && rm x' })?.behavior,
    'deny',
    'a deny rule still wins',
  );
  assert.equal(ruleFor('Bash', { command: 'rm *.tmp' }), null, 'a * would read as a wildcard');
  assert.equal(ruleFor('WebFetch', { url: 'https://example.com/a' }), 'WebFetch(domain:example.com)');
  assert.equal(ruleFor('Edit', { file_path: '/p/a?.ts' }), null);
});

test('decisions: the first one wins, the hook gets its answer, a request is found by agent or id', (t) => {
  const dir = tempDir(t);
  assert.equal(writeDecision(dir, 'w1', 'q1', { behavior: 'deny', by: 'cli', message: 'no' }), true);
  assert.equal(writeDecision(dir, 'w1', 'q1', { behavior: 'allow', by: 'dashboard' }), false);
  assert.equal(readClaim(dir, 'w1', 'q1')!.by, 'cli');
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'agents', 'w1', 'approvals', 'q1.json'), 'utf8')), {
    hookSpecificOutput: { hookEventName: 'PermissionRequest', decision: { behavior: 'deny', message: 'no' } },
  });
  const data: StoreData = {
    ...emptyStore(),
    agents: { w1: { name: 'w1' } as StoreData['agents'][string] },
    approvals: {
      q2: {
        id: 'q2',
        agent: 'w1',
        tool: 'Bash',
        input: {},
        summary: 'Bash',
        at: '2026-01-01T00:00:00Z',
        timeout_at: '2099-01-01T00:00:00Z',
        state: 'pending',
        by: null,
        rule: null,
        message: null,
        decided_at: null,
      },
    },
  };
  assert.equal(findRequest(data, 'w1').id, 'q2');
  assert.equal(findRequest(data, 'q2').id, 'q2');
  assert.throws(() => findRequest(data, 'nobody'), /no pending permission request and no agent named "nobody"/);
});

const agentRecord = (name: string): StoreData['agents'][string] => ({
  name,
  role: 'worker',
  mode: 'interactive',
  pane: '%1',
  window: '@1',
  cwd: '/tmp',
  session_id: name,
  launch_script: '/x',
  status: 'waiting',
  reason: null,
  task: null,
  last_result: null,
  cost_usd: 0,
  updated_at: new Date(0).toISOString(),
});

test('the lead: pending_approvals lists requests; decide works only with approvals: { by: lead }, and never on its own request', async (t) => {
  const { callTool } = await import('../../src/mcp/handlers.js');
  const { writeFileSync } = await import('node:fs');
  const dir = tempDir(t);
  const request = (id: string, agent: string) => ({
    id,
    agent,
    tool: 'Bash',
    input: { command: 'npm i' },
    summary: 'Bash(npm i)',
    at: `2026-01-01T00:00:0${id.length}Z`,
    timeout_at: '2099-01-01T00:00:00Z',
    state: 'pending' as const,
    by: null,
    rule: null,
    message: null,
    decided_at: null,
  });
  const data: StoreData = {
    ...emptyStore(),
    session: {
      name: 's',
      socket: null,
      tmux_id: '$1',
      layout_file: '/x',
      root: '/tmp',
      state_dir: dir,
      created_at: '',
      ended_at: null,
      windows: [],
    },
    agents: { lead: agentRecord('lead'), w1: agentRecord('w1') },
    approvals: { q1: request('q1', 'w1'), q22: request('q22', 'lead') },
    approval_settings: { timeout_s: 300, by: 'person' },
  };
  const write = (): void => writeFileSync(join(dir, 'store.json'), JSON.stringify(data));
  write();
  const ctx = { stateDir: dir, caller: 'lead' };
  const listed = JSON.parse((await callTool(ctx, 'pending_approvals', {})).text) as {
    pending: { id: string; input: unknown }[];
  };
  assert.deepEqual(
    listed.pending.map((p) => [p.id, p.input]),
    [
      ['q1', { command: 'npm i' }],
      ['q22', { command: 'npm i' }],
    ],
  );
  assert.match(
    (await callTool(ctx, 'decide', { request: 'w1', behavior: 'allow' })).text,
    /does not let the lead decide/,
  );
  data.approval_settings = { timeout_s: 300, by: 'lead' };
  write();
  assert.match(
    (await callTool(ctx, 'decide', { request: 'q22', behavior: 'allow' })).text,
    /is your own; a person decides it/,
  );
  const allowed = await callTool(ctx, 'decide', { request: 'w1', behavior: 'deny', message: 'use npm ci' });
  assert.deepEqual(allowed, { text: 'denied Bash(npm i) for w1 (request q1)', isError: false });
  assert.deepEqual([readClaim(dir, 'w1', 'q1')!.by, readClaim(dir, 'w1', 'q1')!.message], ['lead', 'use npm ci']);
});
