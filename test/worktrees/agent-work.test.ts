// What an agent writes in its worktree is never hidden from git or deleted, tried on purpose with
// real git and our real commands: with copy: [".env*", "config"], the agent's new .env.example, its
// edit of a copied config file and a new file in the copied folder are its work (git status shows
// them, `worktrees` lists them, `merge --check --commit-all` does not call it merged, `session end`
// keeps the worktree and says why), while our unchanged copies are not; a file hidden by an exclude
// file is work, one hidden by the project's .gitignore is the project's choice; the lines earlier
// versions wrote into info/exclude that hid more than the worktrees are taken out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { git, GIT_ENV, makeRepo, writeFiles } from '../helpers/git.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { privateServer, tempDir } from '../helpers/tmux.js';
import { loadLayout } from '../../src/layout/load.js';
import type { AgentRecord, StoreData } from '../../src/store/types.js';
import { prepareWorktrees } from '../../src/worktrees/prepare.js';
import { judge, removeWorktree } from '../../src/worktrees/cleanup.js';
import { inspectWork } from '../../src/worktrees/work.js';
import { mergeAgent } from '../../src/worktrees/merge.js';

Object.assign(process.env, GIT_ENV);

/** A project with an untracked .env and config/ folder, and worktrees made by start's own code for w1 and w2. */
async function teamWithCopies(t: Parameters<typeof tempDir>[0], gitignore = '') {
  const repo = makeRepo(t, {
    'README.md': 'hi\n',
    'src/app.ts': 'app\n',
    ...(gitignore ? { '.gitignore': gitignore } : {}),
  });
  writeFiles(repo, { '.env': 'SECRET=1\n', 'config/x.json': '{"a":1}\n', 'config/y.json': '{"b":2}\n' });
  const file = join(tempDir(t), 'layout.yaml');
  writeFileSync(
    file,
    `session: team\nroot: ${JSON.stringify(repo)}\nworktrees:\n  copy: [".env*", "config"]\ndefaults:\n  worktree: true\nwindows:\n  - panes:\n      - agent: lead\n        worktree: false\n      - agent: w1\n      - agent: w2\n`,
  );
  const { layout, problems } = loadLayout(file);
  assert.deepEqual(problems, []);
  const state = tempDir(t);
  const made = await prepareWorktrees(layout!, state);
  const agents: Record<string, AgentRecord> = {};
  for (const [name, wt] of made.worktrees)
    agents[name] = {
      name,
      role: 'worker',
      status: 'exited',
      session_id: `id-${name}`,
      cwd: wt.path,
      worktree: wt,
    } as AgentRecord;
  return { repo, state, layout: layout!, agents, w1: made.worktrees.get('w1')!, w2: made.worktrees.get('w2')! };
}

/** A store of an ended-by-loss session (its tmux server is not there), so session end closes it and removes what is safe. */
function writeStore(
  t: Parameters<typeof tempDir>[0],
  state: string,
  repo: string,
  agents: Record<string, AgentRecord>,
): void {
  const socket = privateServer(t).socket!;
  const data = {
    version: 1,
    session: {
      name: 'team',
      socket,
      tmux_id: '$9',
      layout_file: '/x',
      root: repo,
      state_dir: state,
      created_at: '',
      ended_at: null,
      windows: [],
    },
    agents,
  } as unknown as StoreData;
  writeFileSync(join(state, 'store.json'), JSON.stringify(data));
}

test('copy [".env*", "config"]: the agent\'s new .env.example, its edit of config/x.json and its new config/new.json are its work everywhere; session end keeps them and says why', async (t) => {
  const { repo, state, agents, w1, w2 } = await teamWithCopies(t);
  writeStore(t, state, repo, agents);
  const orch = (...args: string[]) => run(orchestrateScript, [...args, '--state', state], { env: GIT_ENV });
  // What the agent does: a new file the copy glob would match, an edit of a copied file, a new file in the copied folder.
  writeFiles(w1.path, { '.env.example': 'SECRET=\n', 'config/x.json': '{"a":2}\n', 'config/new.json': '{"n":1}\n' });

  // The worktrees listing names each of them, and says the worktree must stay.
  const listed = await orch('worktrees');
  assert.equal(listed.exitCode, 0, listed.stderr);
  assert.match(
    listed.stdout,
    /w1 {2}team\/w1 .*\n {2}0 ahead, 0 behind; 2 files changed, 3 uncommitted\n {2}kept: 3 uncommitted files \(\.env\.example, config\/new\.json, config\/x\.json: copied, then changed\), in no commit/,
  );
  assert.match(
    listed.stdout,
    /w2 {2}team\/w2 .*\n {2}0 ahead, 0 behind; 0 files changed, 0 uncommitted\n {2}could be removed: nothing uncommitted/,
  );
  // The diff is the agent's work, never our copied secret.
  const diff = await orch('diff', 'w1', '--name-only');
  assert.equal(diff.stdout.trim(), 'A\t.env.example\nA\tconfig/new.json');

  const head = git(w1.path, 'rev-parse', 'HEAD');
  const check = await orch('merge', 'w1', '--check', '--commit-all', 'w1 work');
  assert.equal(check.exitCode, 0, check.stderr);
  assert.doesNotMatch(check.stdout, /already has everything/);
  assert.match(
    check.stdout,
    /team\/w1 merges cleanly into main \(1 commit\)\. 1 uncommitted file is left .* --commit-all never commits config\/x\.json \(copied, then changed\)/,
  );
  assert.equal(git(w1.path, 'rev-parse', 'HEAD'), head, '--check commits nothing');

  const ended = await orch('session', 'end');
  assert.equal(ended.exitCode, 0, ended.stderr);
  assert.match(
    ended.stdout,
    /Worktree of w1: kept .*3 uncommitted files \(\.env\.example, config\/new\.json, config\/x\.json: copied, then changed\), in no commit: removing the worktree would lose them/,
  );
  assert.match(ended.stdout, /Worktree of w2: removed .*; deleted branch team\/w2/);
  for (const [path, text] of [
    ['.env.example', 'SECRET=\n'],
    ['config/x.json', '{"a":2}\n'],
    ['config/new.json', '{"n":1}\n'],
  ])
    assert.equal(readFileSync(join(w1.path, path!), 'utf8'), text);
  assert.equal(existsSync(w2.path), false);
  assert.equal(readFileSync(join(repo, '.env'), 'utf8'), 'SECRET=1\n', "the project's own files stay");

  // git itself shows all of it (and our copies, which are not hidden either).
  assert.equal(
    git(w1.path, 'status', '--porcelain', '--untracked-files=all'),
    '?? .env\n?? .env.example\n?? config/new.json\n?? config/x.json\n?? config/y.json',
  );
  const work = await inspectWork(agents.w1!);
  assert.deepEqual(
    work.work.map((w) => `${w.path}: ${w.what}`),
    ['.env.example: new', 'config/new.json: new', 'config/x.json: copied, then changed'],
  );
  assert.deepEqual(work.ours, ['.env', 'config/y.json']);

  // --commit-all commits the new files, never a copy (changed or not); the changed copy still keeps the worktree.
  const merged = await orch('merge', 'w1', '--commit-all', 'w1 work');
  assert.equal(merged.exitCode, 0, merged.stderr);
  assert.equal(git(repo, 'show', '--name-only', '--format=', 'main'), '.env.example\nconfig/new.json');
  assert.match(
    (await orch('worktrees', 'prune')).stdout,
    /^w1: kept .*1 uncommitted file \(config\/x\.json: copied, then changed\)/,
  );
  assert.ok(existsSync(join(w1.path, 'config/x.json')));
});

test("hidden files: one an exclude file hides is work that keeps the worktree; one the project's .gitignore hides is not", async (t) => {
  const { repo, state, agents, w1 } = await teamWithCopies(t, 'build/\n');
  const a = agents.w1!;
  writeFiles(w1.path, { 'build/out.js': 'built\n' });
  assert.equal((await judge(a, state)).removable, true, "a build output the project ignores is the project's choice");

  // A person's (or an old version's) exclude line hides a file and a folder the agent wrote.
  writeFileSync(
    join(repo, '.git', 'info', 'exclude'),
    `${readFileSync(join(repo, '.git', 'info', 'exclude'), 'utf8')}/notes.txt\n/scratch/\n`,
  );
  writeFiles(w1.path, { 'notes.txt': 'mine\n', 'scratch/a.txt': 'a\n' });
  assert.equal(git(w1.path, 'status', '--porcelain'), '?? .env\n?? config/');
  const verdict = await judge(a, state);
  assert.equal(verdict.removable, false);
  assert.match(
    verdict.why,
    /2 uncommitted files \(notes\.txt: hidden from git status by .*info\/exclude, scratch\/a\.txt: hidden from git status by .*info\/exclude\)/,
  );
  assert.match((await removeWorktree(a, state)).text, /^kept /);
  assert.equal(readFileSync(join(w1.path, 'notes.txt'), 'utf8'), 'mine\n');
  assert.ok(existsSync(join(w1.path, '.env')), 'our copies stay while the worktree is kept');

  // Once the agent's hidden files are gone, it goes: our unchanged copies and the build output with it.
  rmSync(join(w1.path, 'notes.txt'));
  rmSync(join(w1.path, 'scratch'), { recursive: true });
  assert.match((await removeWorktree(a, state)).text, /^removed .*; deleted branch team\/w1/);
  assert.equal(existsSync(w1.path), false);
  assert.equal(readFileSync(join(repo, '.env'), 'utf8'), 'SECRET=1\n');
});

test('an old exclude block of ours that hid copies, "//" and a tracked folder is cleaned; a person\'s lines stay; a person\'s new file in src shows in git status', async (t) => {
  const repo = makeRepo(t, { 'README.md': 'hi\n', 'src/app.ts': 'app\n' });
  const exclude = join(repo, '.git', 'info', 'exclude');
  writeFileSync(
    exclude,
    `# a person's line\n/.env*\n# claude-orchestrator: agents' worktrees and the files linked into them\n/src/\n//\n/.env*\n/config\n/.worktrees/\n`,
  );
  writeFiles(repo, { 'src/new.ts': "a person's new file\n", '.env': 'S=1\n' });
  assert.equal(git(repo, 'status', '--porcelain'), '');
  const file = join(tempDir(t), 'layout.yaml');
  writeFileSync(
    file,
    `session: s\nroot: ${JSON.stringify(repo)}\nworktrees:\n  copy: [".env*", "config"]\nwindows:\n  - panes:\n      - agent: w1\n        worktree: true\n`,
  );
  const { layout } = loadLayout(file);
  await prepareWorktrees(layout!, tempDir(t));
  assert.equal(
    readFileSync(exclude, 'utf8'),
    `# a person's line\n/.env*\n# claude-orchestrator: agents' worktrees and the files linked into them\n/.worktrees/\n`,
  );
  assert.equal(git(repo, 'status', '--porcelain'), '?? src/new.ts');
});

test('--commit-all never commits a copy: one the agent staged is refused before anything is staged or committed', async (t) => {
  const { agents, w1 } = await teamWithCopies(t);
  writeFiles(w1.path, { 'feature.ts': 'x\n' });
  git(w1.path, 'add', '.env');
  const head = git(w1.path, 'rev-parse', 'HEAD');
  const index = git(w1.path, 'ls-files', '-s');
  await assert.rejects(
    mergeAgent({ agent: agents.w1!, mode: 'merge', commitAll: 'w1 work' }),
    /--commit-all committed nothing: \.env in .* is staged, and copied there from the project .*reset -q -- \.env; the files stay/,
  );
  assert.equal(git(w1.path, 'rev-parse', 'HEAD'), head);
  assert.equal(git(w1.path, 'ls-files', '-s'), index);
  git(w1.path, 'reset', '-q', '--', '.env');
  const merged = await mergeAgent({ agent: agents.w1!, mode: 'merge', commitAll: 'w1 work' });
  assert.equal(merged.result, 'merged', merged.message);
  assert.equal(git(w1.path, 'show', '--name-only', '--format=', 'HEAD'), 'feature.ts');
});

test("a copy the project's .gitignore hides (.env): --commit-all and diff go through (git refuses a pathspec naming an ignored path), and the copy stays out of the commit", async (t) => {
  const { agents, w1 } = await teamWithCopies(t, '.env\n');
  writeFiles(w1.path, { 'feature.ts': 'x\n' });
  const { agentDiff } = await import('../../src/worktrees/ops.js');
  assert.match(await agentDiff(agents.w1!, { nameOnly: true }), /feature\.ts/);
  const merged = await mergeAgent({ agent: agents.w1!, mode: 'merge', commitAll: 'w1 work' });
  assert.equal(merged.result, 'merged', merged.message);
  assert.equal(git(w1.path, 'show', '--name-only', '--format=', 'HEAD'), 'feature.ts');
});
