// Whether a task resumed after an API limit is sent as the short note: only when the agent's
// transcript (entries shaped as Claude Code 2.1.197 writes them) shows the conversation still ends
// at the refused prompt; the whole prompt in every other case, so that no task is lost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { endsAtRefusedPrompt, RETRY_NOTE } from '../../../src/drivers/claude/retry.js';
import { tempDir } from '../../helpers/tmux.js';

const P = 'fix the parser [[say done]]';
const prompt = (text: string): object => ({ type: 'user', promptId: 'p', message: { role: 'user', content: text } });
const toolUse = {
  type: 'assistant',
  message: {
    id: 'msg_1',
    role: 'assistant',
    content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: {} }],
    usage: { input_tokens: 1, output_tokens: 1 },
  },
};
const toolResult = {
  type: 'user',
  promptId: 'p',
  message: {
    role: 'user',
    content: [{ tool_use_id: 'toolu_1', type: 'tool_result', content: 'one', is_error: false }],
  },
};
const refused = {
  type: 'assistant',
  isApiErrorMessage: true,
  message: {
    id: 'e',
    role: 'assistant',
    model: '<synthetic>',
    content: [
      { type: 'text', text: 'API Error: Request rejected (429) · Number of requests has exceeded your rate limit' },
    ],
  },
};
const answer = {
  type: 'assistant',
  message: {
    id: 'msg_2',
    role: 'assistant',
    content: [{ type: 'text', text: 'done' }],
    usage: { input_tokens: 1, output_tokens: 1 },
  },
};
const system = { type: 'system', subtype: 'turn_duration' };
const attachment = { type: 'attachment' };

const cases: { name: string; entries: object[]; note: boolean }[] = [
  { name: 'refused before any answer', entries: [prompt(P), attachment, refused, system], note: true },
  {
    name: 'refused again after a note',
    entries: [prompt(P), refused, system, prompt(RETRY_NOTE), refused, system],
    note: true,
  },
  { name: 'refused after a tool call', entries: [prompt(P), toolUse, toolResult, refused, system], note: true },
  {
    name: 'blocks instead of a string',
    entries: [{ type: 'user', message: { role: 'user', content: [{ type: 'text', text: P }] } }, refused],
    note: true,
  },
  { name: 'empty transcript (the prompt was never recorded)', entries: [], note: false },
  { name: 'the refusal not written yet', entries: [prompt(P)], note: false },
  { name: 'the turn went through after all', entries: [prompt(P), refused, prompt(RETRY_NOTE), answer], note: false },
  {
    name: 'another prompt typed in meanwhile',
    entries: [prompt(P), refused, prompt('what time is it'), refused],
    note: false,
  },
  {
    name: 'an interrupted turn',
    entries: [
      prompt(P),
      toolUse,
      { type: 'user', message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] } },
      refused,
    ],
    note: false,
  },
  { name: 'an earlier task refused, not this one', entries: [prompt('another task'), refused], note: false },
];

test("the note only when the conversation ends at this task's refused prompt", (t) => {
  const dir = tempDir(t);
  for (const [i, c] of cases.entries()) {
    const file = join(dir, `${i}.jsonl`);
    writeFileSync(file, c.entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
    assert.equal(endsAtRefusedPrompt(file, P), c.note, c.name);
  }
  assert.equal(endsAtRefusedPrompt(join(dir, 'missing.jsonl'), P), false, 'no transcript');
  assert.equal(endsAtRefusedPrompt(null, P), false, 'no transcript path');
});

test('a long transcript is read from its end, lines across chunk boundaries whole', (t) => {
  const file = join(tempDir(t), 'long.jsonl');
  const big = {
    ...toolResult,
    message: {
      role: 'user',
      content: [{ tool_use_id: 'toolu_1', type: 'tool_result', content: 'x'.repeat(700_000), is_error: false }],
    },
  };
  const filler = Array.from({ length: 3000 }, (_, i) =>
    JSON.stringify({ type: 'progress', data: `line ${i} ${'y'.repeat(100)}` }),
  );
  const long = `${P} ${'z'.repeat(600_000)}`;
  const entries = [prompt('an earlier task'), answer, prompt(long), ...filler, toolUse, big, ...filler, refused];
  writeFileSync(file, entries.map((e) => `${typeof e === 'string' ? e : JSON.stringify(e)}\n`).join(''));
  assert.equal(endsAtRefusedPrompt(file, long), true);
});
