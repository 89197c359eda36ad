// The lead with the real claude CLI in real tmux: scripted by the API stand-in to call our MCP
// tools, it lists the agents and dispatches to a worker through `orchestrate mcp`, with no
// permission prompt, and gets the worker's answer back as the tool's result. And fork_from: a
// worker started from the lead's conversation sends that conversation with its first request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { run, orchestrateScript } from '../helpers/cli.js';
import { retryUntil } from '../helpers/tmux.js';
import type { StandinRequest } from '../../src/standin/server.js';
import { resultText, systemText, type ApiMessage, type MessagesBody } from '../../src/standin/conversation.js';

const messagesOf = (r: StandinRequest): ApiMessage[] =>
  ((r.body as MessagesBody | undefined)?.messages ?? []) as ApiMessage[];
const blocks = (
  m: ApiMessage,
): {
  type: string;
  text?: string;
  content?: unknown;
  is_error?: boolean;
  tool_use_id?: string;
  name?: string;
  id?: string;
}[] => (typeof m.content === 'string' ? [{ type: 'text', text: m.content }] : m.content);
const text = (r: StandinRequest): string => JSON.stringify(messagesOf(r));

/** The tool_result a request carries for the tool_use named `tool`, if any. */
function toolResult(r: StandinRequest, tool: string): { text: string; isError: boolean } | undefined {
  const messages = messagesOf(r);
  const use = messages.flatMap(blocks).find((b) => b.type === 'tool_use' && b.name === tool);
  const result = use && messages.flatMap(blocks).find((b) => b.type === 'tool_result' && b.tool_use_id === use.id);
  return result ? { text: resultText(result.content), isError: result.is_error === true } : undefined;
}

test('the lead dispatches to a worker through our MCP server and gets its answer back', {
  timeout: 300_000,
}, async (t) => {
  const layout = writeLayout(
    t,
    'windows:\n  - name: agents\n    panes:\n      - agent: lead\n      - agent: worker-1\n        permission_mode: acceptEdits\n',
  );
  const live = await startLiveSession(t, { layout });
  const orch = (args: string[]) =>
    run(orchestrateScript, [args[0]!, '--state', live.state, ...args.slice(1)], { env: live.env });
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    90_000,
    'lead and worker idle',
  );

  const workerPrompt = 'count the files in src and report';
  const dispatch = JSON.stringify({ agent: 'worker-1', prompt: workerPrompt, wait: true, timeout: 120 });
  // WaitForMcpServers first, as a model does when our server is still connecting (when it is
  // connected already, that tool is gone and the call is a harmless error).
  const leadPrompt = `[[tool WaitForMcpServers {}]] [[tool mcp__orchestrator__list_agents {}]] [[tool mcp__orchestrator__dispatch ${dispatch}]]`;
  const r = await orch(['dispatch', 'lead', leadPrompt, '--wait', '--timeout', '180']);
  assert.equal(r.exitCode, 0, `lead's task: ${r.stdout} ${r.stderr}`);

  // The worker's task: given by the lead, through the MCP server, and answered.
  const store = live.store();
  const workerTasks = Object.values(store.tasks ?? {}).filter((x) => x.agent === 'worker-1');
  assert.equal(workerTasks.length, 1, 'one task for the worker');
  const task = workerTasks[0]!;
  assert.equal(task.by, 'lead', 'the task says the lead gave it (ORCH_AGENT of the MCP server)');
  assert.deepEqual(task.target, { agent: 'worker-1' });
  assert.equal(task.prompt, workerPrompt);
  assert.equal(task.state, 'done');
  assert.equal(task.result, `OK: ${workerPrompt}`);

  // The lead's requests: our tools offered, the role prompt appended, and the results it got.
  const leadId = store.agents.lead!.session_id;
  const leadRequests = live.standin.requests.filter((x) => x.headers['x-claude-code-session-id'] === leadId && !x.side);
  const last = leadRequests.at(-1)!;
  const tools = ((last.body as MessagesBody).tools as { name: string }[]).map((x) => x.name);
  for (const name of [
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
  ])
    assert.ok(tools.includes(`mcp__orchestrator__${name}`), `${name} offered to the lead`);
  assert.match(
    systemText(last.body as MessagesBody),
    /Your role: lead/,
    "prompts/lead.md is appended to the lead's system prompt",
  );
  const listed = toolResult(last, 'mcp__orchestrator__list_agents');
  assert.ok(listed && !listed.isError, `list_agents answered: ${listed?.text}`);
  const agents = (JSON.parse(listed.text) as { agents: { name: string; you?: boolean }[] }).agents;
  assert.deepEqual(
    agents.map((a) => [a.name, a.you ?? false]),
    [
      ['lead', true],
      ['worker-1', false],
    ],
  );
  const dispatched = toolResult(last, 'mcp__orchestrator__dispatch');
  assert.ok(dispatched && !dispatched.isError, `dispatch answered: ${dispatched?.text}`);
  assert.match(
    dispatched.text,
    new RegExp(`^task ${task.id} done on worker-1 in [\\d.]+ s .*Its answer:\\n\\nOK: ${workerPrompt}$`, 's'),
  );
  // No permission prompt stopped the lead: it never waited, and its own answer carries the worker's.
  const leadTask = Object.values(store.tasks ?? {}).find((x) => x.agent === 'lead')!;
  assert.equal(leadTask.state, 'done');
  assert.match(leadTask.result ?? '', new RegExp(`tool result: task ${task.id} done on worker-1`));
  assert.ok(
    !readFileSync(join(live.state, 'agents', 'lead', 'status.jsonl'), 'utf8').includes('"PermissionRequest"'),
    'no permission dialog',
  );

  const workerId = store.agents['worker-1']!.session_id;
  const workerRequest = live.standin.requests.find(
    (x) => x.headers['x-claude-code-session-id'] === workerId && x.prompt === workerPrompt,
  )!;
  assert.match(
    systemText(workerRequest.body as MessagesBody),
    /Your role: worker/,
    "prompts/worker.md is appended to the worker's",
  );
  assert.ok(
    !((workerRequest.body as MessagesBody).tools as { name: string }[]).some((x) =>
      x.name.startsWith('mcp__orchestrator__'),
    ),
    'workers have no MCP tools by default',
  );
});

test("fork_from: a worker starts from the lead's conversation; a fork of an agent without one starts fresh", {
  timeout: 300_000,
}, async (t) => {
  const secret = 'the secret word is PINEAPPLE-7';
  const layout = writeLayout(
    t,
    `windows:
  - name: agents
    panes:
      - agent: lead
        prompt: "[[say I will remember that ${secret}]] remember: ${secret}"
      - agent: worker-1
        fork_from: lead
      - agent: worker-2
        fork_from: worker-3
      - agent: worker-3
`,
  );
  const live = await startLiveSession(t, { layout });
  const orch = (args: string[]) =>
    run(orchestrateScript, [args[0]!, '--state', live.state, ...args.slice(1)], { env: live.env });
  await retryUntil(
    async () => (await live.status()).agents.every((a) => a.status === 'idle'),
    120_000,
    'all four agents idle',
  );
  const store = live.store();
  const id = (name: string): string => store.agents[name]!.session_id;

  const asked = await orch(['dispatch', 'worker-1', 'what was the word?', '--wait', '--timeout', '60']);
  assert.equal(asked.exitCode, 0, asked.stderr);
  const forkRequests = live.standin.requests.filter(
    (x) => x.headers['x-claude-code-session-id'] === id('worker-1') && !x.side,
  );
  const first = forkRequests[0]!;
  assert.equal(first.prompt, 'what was the word?', "the fork's first request is its own first prompt");
  assert.ok(text(first).includes(`remember: ${secret}`), "it carries the lead's earlier prompt");
  assert.ok(text(first).includes(`I will remember that ${secret}`), "and the lead's answer");
  assert.ok(
    messagesOf(first).some((m) => m.role === 'assistant'),
    'an earlier assistant turn comes before its prompt',
  );
  assert.match(
    readFileSync(join(live.state, 'agents', 'worker-1', 'launch.log'), 'utf8'),
    /starting worker-1 from lead's conversation/,
  );

  // The lead goes on in its own session: the fork's question is not in it.
  const own = await orch(['dispatch', 'lead', 'and now?', '--wait', '--timeout', '60']);
  assert.equal(own.exitCode, 0, own.stderr);
  const leadLast = live.standin.requests
    .filter((x) => x.headers['x-claude-code-session-id'] === id('lead') && !x.side)
    .at(-1)!;
  assert.equal(leadLast.prompt, 'and now?');
  assert.ok(text(leadLast).includes(`remember: ${secret}`));
  assert.ok(!text(leadLast).includes('what was the word?'), "the fork did not write into the lead's conversation");

  // worker-3 had no conversation when worker-2 started: worker-2 started fresh and said so.
  const fresh = await orch(['dispatch', 'worker-2', 'hello', '--wait', '--timeout', '60']);
  assert.equal(fresh.exitCode, 0, fresh.stderr);
  const freshFirst = live.standin.requests.find(
    (x) => x.headers['x-claude-code-session-id'] === id('worker-2') && !x.side,
  )!;
  assert.equal(freshFirst.prompt, 'hello');
  assert.ok(!messagesOf(freshFirst).some((m) => m.role === 'assistant'), 'no earlier turn before its own prompt');
  assert.ok(!text(freshFirst).includes(secret));
  assert.match(
    readFileSync(join(live.state, 'agents', 'worker-2', 'launch.log'), 'utf8'),
    /fork_from worker-3: worker-3 has no conversation yet .* starting worker-2 fresh/,
  );
});
