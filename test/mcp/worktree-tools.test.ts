// The lead's worktree tools (diff_agent, merge_agent, conflicts) on real git worktrees and a store
// in a temp dir: the answers a model reads, and a conflict that changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { callTool } from '../../src/mcp/handlers.js';
import type { AgentRecord, StoreData } from '../../src/store/types.js';
import { commitAll, git, GIT_ENV, makeRepo, writeFiles } from '../helpers/git.js';
import { tempDir } from '../helpers/tmux.js';

Object.assign(process.env, GIT_ENV);

test('diff_agent, conflicts and merge_agent answer the lead; a conflicting merge is a tool error that changed nothing', async (t) => {
  const repo = makeRepo(t, { 'api.ts': 'a\nb\nc\n' });
  writeFileSync(join(repo, '.git', 'info', 'exclude'), '/.worktrees/\n');
  const agents: Record<string, AgentRecord> = {};
  for (const name of ['w1', 'w2']) {
    const path = join(repo, '.worktrees', name);
    git(repo, 'worktree', 'add', '-q', '-b', `t/${name}`, path, 'main');
    agents[name] = {
      name,
      role: 'worker',
      status: 'idle',
      worktree: {
        repo,
        path,
        branch: `t/${name}`,
        base: 'main',
        base_commit: git(repo, 'rev-parse', 'main'),
        created_at: '',
        setup: 'none',
        setup_log: null,
      },
    } as AgentRecord;
  }
  agents.lead = { name: 'lead', role: 'lead', status: 'idle' } as AgentRecord;
  const dir = tempDir(t);
  const data: StoreData = {
    version: 1,
    session: {
      name: 's',
      socket: null,
      tmux_id: '$1',
      layout_file: '/x',
      root: repo,
      state_dir: dir,
      created_at: '',
      ended_at: null,
      windows: [],
    },
    agents,
  };
  writeFileSync(join(dir, 'store.json'), JSON.stringify(data));
  const ctx = { stateDir: dir, caller: 'lead' };

  assert.deepEqual(await callTool(ctx, 'conflicts', {}), {
    text: "No conflicts: every agent's work merges cleanly with its base and with each other's.",
    isError: false,
  });
  writeFiles(agents.w1!.worktree!.path, { 'api.ts': 'a\nB1\nc\n' });
  writeFiles(agents.w2!.worktree!.path, { 'api.ts': 'a\nB2\nc\n' });
  const found = await callTool(ctx, 'conflicts', {});
  assert.equal(found.text, '- w1 and w2 both change api.ts: conflict in line 2 (as w1 has it)');
  const diff = await callTool(ctx, 'diff_agent', { agent: 'w2' });
  assert.match(diff.text, /^-b\n\+B2$/m);
  assert.match(
    (await callTool(ctx, 'diff_agent', { agent: 'lead' })).text,
    /lead has no worktree of its own .*agents with one: w1, w2/,
  );

  const first = await callTool(ctx, 'merge_agent', { agent: 'w1', commit_all: 'w1 work' });
  assert.equal(first.isError, false, first.text);
  assert.match(first.text, /fast-forwarded 1 commit of t\/w1 into main/);
  commitAll(agents.w2!.worktree!.path, 'w2 work');
  const before = git(repo, 'for-each-ref');
  const second = await callTool(ctx, 'merge_agent', { agent: 'w2', mode: 'squash' });
  assert.equal(second.isError, true);
  assert.match(
    second.text,
    /does not merge cleanly into main: conflicts in api.ts\. Nothing was changed.*\n- api.ts \(contents, lines 2 of main\)/s,
  );
  assert.equal(git(repo, 'for-each-ref'), before);
  assert.match(
    (await callTool(ctx, 'merge_agent', { agent: 'w2', mode: 'octopus' })).text,
    /mode is "octopus" \(expected merge, squash or rebase\)/,
  );
});
