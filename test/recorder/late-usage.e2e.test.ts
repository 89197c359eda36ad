// Claude writes a turn's last transcript line a moment after its Stop hook (about 0.3 s). The real
// recorder must count that line for the task whose turn it is, also when the agent's next task has
// started meanwhile, and the agent's total must end equal to the transcript's. First with fake
// agents (tmux, the real recorder and delivery; the late line written exactly 300 ms after Stop),
// then with the real claude CLI against the API stand-in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { orchestrateScript, run, startScript } from '../helpers/cli.js';
import { fixtures } from '../helpers/paths.js';
import { startLiveSession, writeLayout } from '../helpers/session.js';
import { prices } from '../../src/recorder/transcript.js';
import type { StoreData } from '../../src/store/types.js';

const round = (n: number): number => Math.round(n * 1e6) / 1e6;

/** What a transcript says each prompt's turn cost (by the prompt's text), and the whole: each message once, with its last usage. */
function transcriptCosts(file: string): { byPrompt: Map<string, number>; total: number } {
  const messages = new Map<string, { prompt: string; usd: number }>();
  let prompt = '';
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(line) as {
      type: string;
      message?: {
        id?: string;
        model?: string;
        content?: unknown;
        usage?: { input_tokens: number; output_tokens: number };
      };
    };
    if (e.type === 'user' && typeof e.message?.content === 'string') prompt = e.message.content;
    const u = e.message?.usage;
    if (e.type !== 'assistant' || !u || !e.message?.id) continue;
    const price = prices(e.message.model ?? '');
    messages.set(e.message.id, {
      prompt: messages.get(e.message.id)?.prompt ?? prompt,
      usd: (u.input_tokens * price.input + u.output_tokens * price.output) / 1e6,
    });
  }
  const byPrompt = new Map<string, number>();
  for (const m of messages.values()) byPrompt.set(m.prompt, (byPrompt.get(m.prompt) ?? 0) + m.usd);
  return { byPrompt, total: [...messages.values()].reduce((s, m) => s + m.usd, 0) };
}

/** Two tasks given at once to w1 (the second starts while the first's last line is still to come); waits for both. */
async function twoTasks(state: string, env: Record<string, string>, prompts: [string, string]): Promise<string[]> {
  const ids: string[] = [];
  for (const p of prompts)
    ids.push((await run(orchestrateScript, ['dispatch', 'w1', p, '--state', state], { env })).stdout.trim());
  for (const id of ids)
    assert.equal(
      (await run(orchestrateScript, ['wait', id, '--timeout', '60', '--state', state], { env })).exitCode,
      0,
      id,
    );
  return ids;
}

/** Waits until each task's cost is its turn's in the transcript, and the agent's total the transcript's. */
async function costsMatch(store: () => StoreData, ids: string[], prompts: string[]): Promise<void> {
  let last = '';
  await retryUntil(
    () => {
      const data = store();
      const agent = data.agents.w1!;
      const expected = transcriptCosts(agent.transcript_path!);
      const tasks = ids.map((id) => data.tasks![id]!.cost_usd);
      const wanted = prompts.map((p) => round(expected.byPrompt.get(p) ?? -1));
      last = `tasks ${JSON.stringify(tasks)} (transcript ${JSON.stringify(wanted)}); agent ${agent.cost_usd} (transcript ${round(expected.total)})`;
      return tasks.every((c, i) => c === wanted[i] && c > 0) && agent.cost_usd === round(expected.total);
    },
    8000,
    'the costs the transcript says',
  ).catch((error: Error) => {
    throw new Error(`${error.message}: ${last}`);
  });
}

test("fake agents: the line written 300 ms after Stop counts for its own task, not for the next one; the agent total is the transcript's", {
  timeout: 120_000,
}, async (t) => {
  const project = join(tempDir(t), 'project');
  mkdirSync(project);
  const state = join(tempDir(t), 'state');
  const server = privateServer(t);
  const layout = writeLayout(t, 'session: late\nwindows:\n  - panes:\n      - agent: w1\n');
  const env = {
    CLAUDE_BIN: join(fixtures, 'bin', 'fake-claude-repl'),
    FAKE_TRANSCRIPT_DIR: join(tempDir(t), 'transcripts'),
    FAKE_LATE_MS: '300',
  };
  const started = await run(
    startScript,
    ['--socket', server.socket!, '--state', state, '--layout', layout, '--no-attach'],
    { cwd: project, env },
  );
  assert.equal(started.exitCode, 0, started.stderr);
  const store = (): StoreData => JSON.parse(readFileSync(join(state, 'store.json'), 'utf8')) as StoreData;
  await retryUntil(() => store().agents.w1?.status === 'idle', 30_000, 'w1 idle');
  const prompts: [string, string] = ['the first task', 'the second task'];
  const ids = await twoTasks(state, env, prompts);
  await costsMatch(store, ids, prompts);
});

test("the real claude CLI: each task costs its own turns, the last line written after Stop included; the agent total is the transcript's", {
  timeout: 240_000,
}, async (t) => {
  const live = await startLiveSession(t, {
    layout: writeLayout(t, 'session: late\nwindows:\n  - panes:\n      - agent: w1\n'),
  });
  await live.waitFor('w1', (a) => a.status === 'idle', 'idle', 120_000);
  const prompts: [string, string] = ['the first task [[say one]]', 'the second task [[bash echo two]]'];
  const ids = await twoTasks(live.state, live.env, prompts);
  await costsMatch(() => live.store(), ids, prompts);
});
