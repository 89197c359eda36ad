// A task that meets API limits and goes on after them, with the real claude CLI against the API
// stand-in, in both transports (a pane, and `claude -p` stream-json): the CLI keeps the refused
// prompt in its conversation, so the request that finally goes through must hold the task's text
// once (the retries add only a short note), whether the limits came before the first answer or
// after a tool call, and the task ends done with its answer.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { startLiveSession, writeLayout, type LiveSession } from '../helpers/session.js';
import { orchestrateScript, run } from '../helpers/cli.js';
import { retryUntil } from '../helpers/tmux.js';
import type { StandinRequest } from '../../src/standin/server.js';
import { RETRY_NOTE } from '../../src/drivers/claude/retry.js';

const RATE_LIMIT = { status: 429, retryAfterS: 1, message: 'Number of requests has exceeded your rate limit' };

/** The user messages' texts of a request to the model (tool results and the CLI's reminders left out). */
function userTexts(request: StandinRequest): string[] {
  const messages = (
    request.body as { messages: { role: string; content: string | { type: string; text?: string }[] }[] }
  ).messages;
  return messages
    .filter((m) => m.role === 'user')
    .flatMap((m) =>
      typeof m.content === 'string' ? [m.content] : m.content.filter((b) => b.type === 'text').map((b) => b.text ?? ''),
    );
}
const count = (texts: string[], needle: string): number => texts.reduce((n, t) => n + t.split(needle).length - 1, 0);

/** A one-agent session whose claude does not retry a refused request itself (the team's pause is what is tested). */
async function oneAgent(t: TestContext, mode: 'interactive' | 'headless'): Promise<LiveSession> {
  const layout = writeLayout(
    t,
    `session: retry
on_limit:
  backoff: 1
  max_backoff: 2
windows:
  - panes:
      - agent: w1
        mode: ${mode}
`,
  );
  const live = await startLiveSession(t, { layout, env: { CLAUDE_CODE_MAX_RETRIES: '0' } });
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  return live;
}

/**
 * Dispatches prompt to w1; the stand-in refuses its requests (from the first one, or from the first
 * after a tool call) until `limits` were refused, then answers. Returns the task's outcome and the
 * requests that carried the task.
 */
async function throughLimits(
  live: LiveSession,
  prompt: string,
  limits: number,
  afterTool: boolean,
): Promise<{ id: string; answer: string; requests: StandinRequest[] }> {
  const refused = (): number => live.standin.requests.filter((r) => r.reply === 'refused:429').length;
  if (!afterTool) live.standin.refuse({ ...RATE_LIMIT, match: /task text/ });
  const id = (
    await run(orchestrateScript, ['dispatch', 'w1', prompt, '--state', live.state], { env: live.env })
  ).stdout.trim();
  if (afterTool) {
    await retryUntil(() => live.standin.requests.some((r) => r.reply?.startsWith('tool_use')), 60_000, 'a tool call');
    live.standin.refuse({ ...RATE_LIMIT, match: /task text/ });
  }
  await retryUntil(() => refused() >= limits, 60_000, `${limits} refused requests`);
  live.standin.refuse(null);
  const waited = await run(orchestrateScript, ['wait', id, '--timeout', '90', '--state', live.state], {
    env: live.env,
  });
  assert.equal(waited.exitCode, 0, waited.stderr);
  assert.equal(refused(), limits);
  const task = live.store().tasks![id]!;
  assert.equal(task.state, 'done');
  assert.equal(task.limited?.length, limits, 'each refused request sent the task back once');
  return {
    id,
    answer: waited.stdout.trim(),
    requests: live.standin.requests.filter((r) => r.side === false && r.prompt?.includes('task text')),
  };
}

for (const mode of ['interactive', 'headless'] as const) {
  test(`${mode}: a task refused twice by a rate limit goes on with its text once in the conversation, and ends done`, {
    timeout: 240_000,
  }, async (t) => {
    const live = await oneAgent(t, mode);
    const prompt = 'the task text [[say the answer]]';
    const { answer, requests } = await throughLimits(live, prompt, 2, false);
    assert.equal(answer, 'the answer');
    const last = userTexts(requests.at(-1)!);
    assert.equal(count(last, prompt), 1, `the task once in the request that went through: ${JSON.stringify(last)}`);
    assert.equal(count(last, RETRY_NOTE), 2, 'a short note per retry');
    // Each request the stand-in saw held it once too.
    for (const r of requests) assert.equal(count(userTexts(r), prompt), 1);
  });
}

test('interactive: a rate limit after a tool call: the task goes on from its tool result, its text once, its tools run once each', {
  timeout: 240_000,
}, async (t) => {
  const live = await oneAgent(t, 'interactive');
  const prompt = 'the task text [[bash echo one]][[bash echo two]][[say both ran]]';
  const { answer, requests } = await throughLimits(live, prompt, 1, true);
  assert.equal(answer, 'both ran');
  const last = userTexts(requests.at(-1)!);
  assert.equal(count(last, prompt), 1, JSON.stringify(last));
  assert.equal(count(last, RETRY_NOTE), 1);
  const tools = requests.filter((r) => r.reply?.startsWith('tool_use')).length;
  assert.equal(tools, 2, 'echo one before the limit, echo two after it: no step ran twice');
});
