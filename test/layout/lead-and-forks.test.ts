// The lead's MCP server and role prompts in layouts, and fork_from: what the loader makes of them,
// the claude flags they give, the files written next to the launch script, every fork_from problem
// as file:line:col, and what a fork's launch script really does (run with a fake claude).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadLayout } from '../../src/layout/load.js';
import type { Layout } from '../../src/layout/types.js';
import { claudeArgs } from '../../src/agents/launch.js';
import { projectKey } from '../../src/agents/claude-files.js';
import { agentDir } from '../../src/store/paths.js';
import { launchContext, planSession, writeAgentFiles as writeLaunchScript } from '../../src/session/plan.js';
import { MCP_TOOL_NAMES } from '../../src/mcp/config.js';
import { onCleanup, retryUntil, tempDir } from '../helpers/tmux.js';
import { repoRoot } from '../helpers/paths.js';
import { orchestrateScript, run } from '../helpers/cli.js';

function load(t: TestContext, yaml: string): { layout: Layout; dir: string } {
  const dir = tempDir(t);
  const file = join(dir, 'layout.yaml');
  writeFileSync(file, yaml);
  const { layout, problems } = loadLayout(file, { cwd: dir });
  assert.deepEqual(problems, []);
  return { layout: layout!, dir };
}

test('role prompts: lead and worker get the shipped prompt files unless the layout sets its own', (t) => {
  const mine = join(tempDir(t), 'mine.md');
  writeFileSync(mine, 'My own prompt.');
  const { layout, dir } = load(
    t,
    `windows:
  - panes:
      - agent: lead
      - agent: w1
      - agent: rev
        role: reviewer
      - agent: own
        append_system_prompt_file: ${mine}
      - agent: none
        append_system_prompt: ""
`,
  );
  const [lead, w1, rev, own, none] = layout.agents;
  assert.equal(lead?.appendSystemPromptFile, join(repoRoot, 'prompts', 'lead.md'));
  assert.equal(w1?.appendSystemPromptFile, join(repoRoot, 'prompts', 'worker.md'));
  assert.equal(rev?.appendSystemPromptFile, undefined, 'no shipped prompt for other roles');
  assert.equal(own?.appendSystemPromptFile, undefined);
  assert.equal(own?.appendSystemPrompt, 'My own prompt.');
  assert.equal(none?.appendSystemPromptFile, undefined);
  const args = (i: number): string[] =>
    claudeArgs(layout.agents[i]!, { sessionId: 'S', settingsFile: join(dir, 'a', 'settings.json') });
  assert.deepEqual(args(1).slice(-2), ['--append-system-prompt-file', join(repoRoot, 'prompts', 'worker.md')]);
  assert.ok(!args(2).some((a) => a.startsWith('--append-system-prompt')));
  assert.deepEqual(args(3).slice(-2), ['--append-system-prompt', 'My own prompt.']);
  assert.ok(!args(4).some((a) => a.startsWith('--append-system-prompt')), 'an empty prompt passes nothing');
  for (const role of ['lead', 'worker']) {
    const text = readFileSync(join(repoRoot, 'prompts', `${role}.md`), 'utf8');
    assert.match(text, /last message/, `${role}.md says the result is the last answer`);
  }
  assert.match(readFileSync(join(repoRoot, 'prompts', 'lead.md'), 'utf8'), /dispatch[\s\S]*wait_task/);
});

test('mcp: the lead gets --mcp-config and our tools allowed; mcp: false turns it off, mcp: true turns it on', (t) => {
  const { layout, dir } = load(
    t,
    `windows:
  - panes:
      - agent: lead
        allowed_tools: [Read]
      - agent: boss
        role: lead
        mcp: false
      - agent: w1
      - agent: w2
        mcp: true
`,
  );
  assert.deepEqual(
    layout.agents.map((a) => a.mcp),
    [true, false, false, true],
  );
  const state = join(dir, 'state');
  const plan = planSession(layout, { claudeBin: '/bin/true', stateDir: state, width: 80, height: 24 });
  const lead = plan.agents[0]!.argv;
  const mcpConfig = join(agentDir(state, 'lead'), 'mcp.json');
  assert.deepEqual(lead.slice(lead.indexOf('--mcp-config'), lead.indexOf('--mcp-config') + 2), [
    '--mcp-config',
    mcpConfig,
  ]);
  const allowed = lead.slice(lead.indexOf('--allowedTools') + 1, lead.indexOf('--append-system-prompt-file'));
  assert.deepEqual(allowed, ['Read', ...MCP_TOOL_NAMES]);
  assert.deepEqual(
    MCP_TOOL_NAMES,
    [
      'list_agents',
      'dispatch',
      'wait_task',
      'task_result',
      'list_tasks',
      'cancel_task',
      'diff_agent',
      'merge_agent',
      'conflicts',
      'pending_approvals',
      'decide',
    ].map((n) => `mcp__orchestrator__${n}`),
  );
  assert.ok(!plan.agents[1]!.argv.includes('--mcp-config'));
  assert.ok(!plan.agents[2]!.argv.includes('--mcp-config'));
  assert.ok(plan.agents[3]!.argv.includes('--mcp-config'));

  writeLaunchScript(layout.agents[0]!, launchContext(layout, plan, 'lead', '/bin/true', state));
  const config = JSON.parse(readFileSync(mcpConfig, 'utf8'));
  assert.deepEqual(config, {
    mcpServers: {
      orchestrator: {
        command: process.execPath,
        args: [join(repoRoot, 'dist', 'bin', 'orchestrate.mjs'), 'mcp', '--state', state],
        env: { ORCH_AGENT: 'lead', ORCH_NO_REBUILD: '1' },
      },
    },
  });
  writeLaunchScript(layout.agents[2]!, launchContext(layout, plan, 'w1', '/bin/true', state));
  assert.equal(existsSync(join(agentDir(state, 'w1'), 'mcp.json')), false);
});

test("fork_from: the fork resumes its parent's session as a fork with its own id; dry-run shows it", async (t) => {
  const { layout, dir } = load(
    t,
    'windows:\n  - panes:\n      - agent: lead\n      - agent: w1\n        fork_from: lead\n      - agent: w2\n        fork_from: w1\n',
  );
  assert.equal(layout.agents[1]?.forkFrom, 'lead');
  const plan = planSession(layout, { claudeBin: '/bin/true', stateDir: join(dir, 'state'), width: 80, height: 24 });
  const [lead, w1, w2] = plan.agents;
  assert.deepEqual(w1!.argv.slice(1, 6), [
    '--resume',
    lead!.sessionId,
    '--fork-session',
    '--session-id',
    w1!.sessionId,
  ]);
  assert.deepEqual(w2!.argv.slice(1, 6), ['--resume', w1!.sessionId, '--fork-session', '--session-id', w2!.sessionId]);
  assert.equal(
    claudeArgs(layout.agents[1]!, { sessionId: 'OWN', resume: true })[1],
    'OWN',
    "a restart resumes the fork's own conversation",
  );
  const ctx = launchContext(layout, plan, 'w1', '/bin/true', join(dir, 'state'));
  assert.deepEqual(ctx.forkFrom, {
    name: 'lead',
    sessionId: lead!.sessionId,
    waitForFirstAnswer: false,
    cwd: layout.agents[0]!.cwd,
  });
  const dry = await run(
    orchestrateScript,
    ['session', 'start', '--dry-run', '--layout', join(dir, 'layout.yaml'), '--state', join(dir, 'state')],
    { cwd: dir },
  );
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.match(dry.stdout, /fake-claude --resume \S+ --fork-session --session-id \S+ --settings \S+w1\/settings\.json/);
});

/** A launch script for a fork with a fake claude that writes its argv to a file and exits. */
function forkLaunch(t: TestContext, parentPrompt: boolean) {
  const dir = tempDir(t);
  const home = join(dir, 'home');
  const project = join(dir, 'project');
  mkdirSync(project, { recursive: true });
  const argvFile = join(dir, 'argv');
  const fake = join(dir, 'claude');
  writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > ${argvFile}\n`);
  chmodSync(fake, 0o755);
  const file = join(dir, 'layout.yaml');
  writeFileSync(
    file,
    `windows:\n  - panes:\n      - agent: lead\n${parentPrompt ? '        prompt: read the code\n' : ''}      - agent: w1\n        fork_from: lead\n`,
  );
  const { layout } = loadLayout(file, { cwd: project });
  const state = join(dir, 'state');
  const plan = planSession(layout!, { claudeBin: fake, stateDir: state, width: 80, height: 24 });
  const [launch] = writeLaunchScript(layout!.agents[1]!, launchContext(layout!, plan, 'w1', fake, state)).slice(1);
  const [parent, own] = [plan.agents[0]!.sessionId, plan.agents[1]!.sessionId];
  const transcripts = join(home, '.claude', 'projects', projectKey(project));
  return {
    parent,
    own,
    state,
    start: () => {
      const child = execa('/bin/sh', [launch!], {
        env: { HOME: home, PATH: process.env.PATH ?? '' },
        extendEnv: false,
        reject: false,
      });
      onCleanup(t, () => {
        child.kill('SIGKILL');
        return child;
      });
      return child;
    },
    argv: (): string[] => (existsSync(argvFile) ? readFileSync(argvFile, 'utf8').trim().split('\n') : []),
    log: (): string => readFileSync(join(agentDir(state, 'w1'), 'launch.log'), 'utf8'),
    parentTranscript: () => {
      mkdirSync(transcripts, { recursive: true });
      writeFileSync(
        join(transcripts, `${parent}.jsonl`),
        '{"type":"user","message":{"role":"user","content":"read the code"}}\n',
      );
    },
    parentEvent: (name: string) => {
      mkdirSync(agentDir(state, 'lead'), { recursive: true });
      appendFileSync(
        join(agentDir(state, 'lead'), 'status.jsonl'),
        `{"at":1,"event":{"session_id":"${parent}","hook_event_name":"${name}"}}\n`,
      );
    },
  };
}

test('a fork whose parent has no conversation yet starts fresh and says so in its pane and launch.log', async (t) => {
  const f = forkLaunch(t, false);
  const result = await f.start();
  assert.equal(result.exitCode, 0, result.stderr);
  assert.deepEqual(f.argv().slice(0, 2), ['--session-id', f.own]);
  assert.match(result.stdout, /orchestrator: fork_from lead: lead has no conversation yet .* starting w1 fresh/);
  assert.match(f.log(), /^\d{4}-\d\d-\d\dT\S+Z fork_from lead: lead has no conversation yet/);
});

test('a fork whose parent has a transcript starts from it', async (t) => {
  const f = forkLaunch(t, false);
  f.parentTranscript();
  const result = await f.start();
  assert.equal(result.exitCode, 0, result.stderr);
  assert.deepEqual(f.argv().slice(0, 5), ['--resume', f.parent, '--fork-session', '--session-id', f.own]);
  assert.match(f.log(), /starting w1 from lead's conversation/);
});

test("a fork of a parent with a first prompt waits for the parent's first answer, then forks", async (t) => {
  const f = forkLaunch(t, true);
  const running = f.start();
  await retryUntil(
    () => existsSync(join(agentDir(f.state, 'w1'), 'launch.log')) && /waiting for lead's first answer/.test(f.log()),
    10_000,
    'the fork to wait',
  );
  f.parentTranscript();
  f.parentEvent('UserPromptSubmit');
  await new Promise((r) => setTimeout(r, 1200));
  assert.deepEqual(f.argv(), [], 'still waiting: the parent has not answered');
  f.parentEvent('Stop');
  const result = await running;
  assert.equal(result.exitCode, 0, result.stderr);
  assert.deepEqual(f.argv().slice(0, 5), ['--resume', f.parent, '--fork-session', '--session-id', f.own]);
});

test("a fork stops waiting when its parent's claude exits, and starts fresh without a transcript", async (t) => {
  const f = forkLaunch(t, true);
  const running = f.start();
  await retryUntil(() => existsSync(join(agentDir(f.state, 'w1'), 'launch.log')), 10_000, 'the fork to wait');
  f.parentEvent('SessionStart');
  appendFileSync(
    join(agentDir(f.state, 'lead'), 'status.jsonl'),
    '{"at":2,"event":{"hook_event_name":"ProcessExit","exit_code":1,"restarts":0}}\n',
  );
  const result = await running;
  assert.equal(result.exitCode, 0, result.stderr);
  assert.deepEqual(f.argv().slice(0, 2), ['--session-id', f.own]);
  assert.match(f.log(), /starting w1 fresh/);
});

/** Bad fork_from values: each a file:line:col problem from `layout validate` (exit 2). */
const bad: { name: string; panes: string; expect: string | RegExp }[] = [
  {
    name: 'unknown agent',
    panes: '      - agent: lead\n      - agent: w1\n        fork_from: nobody\n',
    expect: ':6:20 windows[0].panes[1].fork_from: no agent named "nobody" (agents: lead, w1)',
  },
  {
    name: 'itself',
    panes: '      - agent: lead\n      - agent: w1\n        fork_from: w1\n',
    expect: ':6:20 windows[0].panes[1].fork_from: an agent cannot fork from itself',
  },
  {
    name: 'a cycle',
    panes:
      '      - agent: a\n        fork_from: b\n      - agent: b\n        fork_from: c\n      - agent: c\n        fork_from: a\n',
    expect: ':5:20 windows[0].panes[0].fork_from: fork_from makes a cycle: a -> b -> c -> a',
  },
  {
    name: 'another directory',
    panes: '      - agent: lead\n      - agent: w1\n        cwd: sub\n        fork_from: lead\n',
    expect:
      /:7:20 windows\[0\]\.panes\[1\]\.fork_from: "lead" runs in \S+ but "w1" in \S+\/sub; claude resumes a conversation only from the directory it was started in/,
  },
  {
    name: 'a headless fork',
    panes: '      - agent: lead\n      - agent: w1\n        mode: headless\n        fork_from: lead\n',
    expect: ':7:20 windows[0].panes[1].fork_from: fork_from is not supported for headless agents yet',
  },
  {
    name: 'not a name',
    panes: '      - agent: lead\n      - agent: w1\n        fork_from: "le ad"\n',
    expect: ':6:20 windows[0].panes[1].fork_from: is "le ad" (expected letters, digits',
  },
  {
    name: 'mcp is not a boolean',
    panes: '      - agent: lead\n        mcp: yes please\n',
    expect: ':5:14 windows[0].panes[0].mcp: is the text "yes please" (expected true or false)',
  },
];

for (const c of bad) {
  test(`bad layout: fork_from / mcp: ${c.name}`, async (t) => {
    const dir = tempDir(t);
    mkdirSync(join(dir, 'sub'));
    const file = join(dir, 'layout.yaml');
    writeFileSync(file, `windows:\n  - name: agents\n    panes:\n${c.panes}`);
    const result = await run(orchestrateScript, ['layout', 'validate', file], { cwd: dir });
    assert.equal(result.exitCode, 2, result.stderr);
    if (typeof c.expect === 'string')
      assert.ok(
        result.stderr.includes(`layout.yaml${c.expect}`),
        `stderr should contain ${c.expect}:\n${result.stderr}`,
      );
    else assert.match(result.stderr, c.expect);
    assert.equal(
      result.stderr.split('\n').filter((l) => /layout\.yaml:\d+:\d+ /.test(l)).length,
      1,
      `one problem:\n${result.stderr}`,
    );
  });
}
