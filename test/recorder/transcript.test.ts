// Tokens and cost from transcripts shaped like the CLI's: one line per content block, each with its
// message's usage (so a message is counted once, with its last usage), subagents in their own
// files next to the session's, synthetic error messages with zero usage, lines being written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prices, promptsCost, transcriptUsage } from '../../src/recorder/transcript.js';
import { tempDir } from '../helpers/tmux.js';

type U = {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
  cache_creation?: Record<string, number>;
};
/** One transcript line of an assistant message (the shape the CLI writes). */
const assistant = (
  id: string,
  model: string,
  usage: U,
  block: Record<string, unknown> = { type: 'text', text: 'hi' },
): string =>
  JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type: 'assistant',
    uuid: `${id}-${Math.random()}`,
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model,
      content: [block],
      stop_reason: null,
      usage: {
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        service_tier: 'standard',
        cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: 0 },
        ...usage,
      },
    },
  });
const user = JSON.stringify({ type: 'user', message: { role: 'user', content: 'the word "usage" in a prompt' } });
const close = (a: number, b: number): void => assert.ok(Math.abs(a - b) < 1e-9, `${a} ≈ ${b}`);

test('each message counts once, with the usage of its last line', (t) => {
  const file = join(tempDir(t), 'session.jsonl');
  writeFileSync(
    file,
    [
      user,
      // One message written as two blocks (text, then tool_use): output grows on the later line.
      assistant('msg_1', 'claude-sonnet-4-5', { input_tokens: 1000, output_tokens: 1 }),
      assistant(
        'msg_1',
        'claude-sonnet-4-5',
        { input_tokens: 1000, output_tokens: 200 },
        { type: 'tool_use', id: 'toolu_1', name: 'Write', input: {} },
      ),
      assistant('msg_2', 'claude-sonnet-4-5', {
        input_tokens: 50,
        output_tokens: 100,
        cache_read_input_tokens: 10_000,
        cache_creation_input_tokens: 2000,
      }),
      // The CLI's own error message: no model call, zero usage.
      assistant('synthetic-uuid', '<synthetic>', { input_tokens: 0, output_tokens: 0 }),
      '{"type":"assistant","message":{"id":"msg_3","usage":{"input_tok', // being written
    ].join('\n'),
  );
  const u = transcriptUsage(file);
  assert.deepEqual(
    { ...u, cost_usd: 0 },
    { input: 1050, output: 300, cache_read: 10_000, cache_write: 2000, cost_usd: 0 },
  );
  // Sonnet: $3 in, $15 out per million; cache reads 0.1x input, 5-minute cache writes 1.25x.
  close(u.cost_usd, (1050 * 3 + 300 * 15 + 10_000 * 0.3 + 2000 * 3.75) / 1e6);
});

test('subagent transcripts are counted too, a message seen twice once', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'abc.jsonl');
  writeFileSync(file, assistant('msg_main', 'claude-opus-4-8', { input_tokens: 100, output_tokens: 10 }));
  mkdirSync(join(dir, 'abc', 'subagents', 'workflows', 'run1'), { recursive: true });
  writeFileSync(
    join(dir, 'abc', 'subagents', 'agent-x.jsonl'),
    [
      assistant('msg_sub', 'claude-haiku-4-5-20251001', { input_tokens: 1000, output_tokens: 100 }),
      assistant('msg_main', 'claude-opus-4-8', { input_tokens: 100, output_tokens: 10 }),
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'abc', 'subagents', 'workflows', 'run1', 'agent-y.jsonl'),
    assistant('msg_deep', 'claude-haiku-4-5-20251001', { input_tokens: 1, output_tokens: 1 }),
  );
  const u = transcriptUsage(file);
  assert.equal(u.input, 1101);
  assert.equal(u.output, 111);
  close(u.cost_usd, (100 * 5 + 10 * 25 + 1001 * 1 + 101 * 5) / 1e6);
});

test('one-hour cache writes cost 2x input', (t) => {
  const file = join(tempDir(t), 's.jsonl');
  writeFileSync(
    file,
    assistant('m', 'claude-sonnet-4-5', {
      input_tokens: 0,
      output_tokens: 0,
      cache_creation_input_tokens: 3000,
      cache_creation: { ephemeral_1h_input_tokens: 1000, ephemeral_5m_input_tokens: 2000 },
    }),
  );
  close(transcriptUsage(file).cost_usd, (1000 * 3 * 2 + 2000 * 3 * 1.25) / 1e6);
});

test('prices by model id', () => {
  const table: [string, number, number][] = [
    ['claude-opus-4-20250514', 15, 75],
    ['claude-opus-4-0', 15, 75],
    ['claude-opus-4-1-20250805', 15, 75],
    ['claude-opus-4-1', 15, 75],
    ['claude-3-opus-20240229', 15, 75],
    ['claude-opus-4-5-20251101', 5, 25],
    ['claude-opus-4-8', 5, 25],
    ['claude-opus-4-8[1m]', 5, 25],
    ['claude-sonnet-4-5-20250929', 3, 15],
    ['claude-3-7-sonnet-20250219', 3, 15],
    ['claude-3-haiku-20240307', 0.25, 1.25],
    ['claude-3-5-haiku-20241022', 0.8, 4],
    ['claude-haiku-4-5-20251001', 1, 5],
    ['something-else', 3, 15],
  ];
  for (const [model, input, output] of table) assert.deepEqual(prices(model), { input, output }, model);
});

test('no transcript yet, or none at all, counts as zero', (t) => {
  const zero = { input: 0, output: 0, cache_read: 0, cache_write: 0, cost_usd: 0 };
  assert.deepEqual(transcriptUsage(null), zero);
  assert.deepEqual(transcriptUsage(undefined), zero);
  assert.deepEqual(transcriptUsage(join(tempDir(t), 'not-yet.jsonl')), zero);
});

test('later calls read only what was appended; a replaced file is read again from its start', (t) => {
  const file = join(tempDir(t), 'grow.jsonl');
  const first = `${assistant('msg_a', 'claude-sonnet-4-5', { input_tokens: 10, output_tokens: 1 })}\n`;
  writeFileSync(file, first);
  assert.equal(transcriptUsage(file).input, 10);
  // The bytes already read are not read again: changing them in place (same size) changes nothing.
  writeFileSync(file, first.replace('"input_tokens":10', '"input_tokens":90'));
  const half = assistant('msg_b', 'claude-sonnet-4-5', { input_tokens: 5, output_tokens: 5 });
  appendFileSync(file, half.slice(0, 40));
  assert.equal(transcriptUsage(file).input, 10, 'a line being written does not count yet');
  appendFileSync(
    file,
    `${half.slice(40)}\n${assistant('msg_b', 'claude-sonnet-4-5', { input_tokens: 5, output_tokens: 50 })}\n`,
  );
  assert.deepEqual(
    [transcriptUsage(file).input, transcriptUsage(file).output],
    [15, 51],
    'msg_b once, with its last usage',
  );
  writeFileSync(file, `${assistant('msg_c', 'claude-sonnet-4-5', { input_tokens: 7, output_tokens: 7 })}\n`);
  assert.equal(transcriptUsage(file).input, 7, 'a shorter file was replaced: read anew');
});

test('each message counts for the prompt whose turn it is of (the promptId of the user entry before it), a line written late included', (t) => {
  const dir = tempDir(t);
  const file = join(dir, 's.jsonl');
  const prompt = (promptId: string, content: unknown): string =>
    JSON.stringify({ type: 'user', promptId, message: { role: 'user', content } });
  const sonnet = (id: string, input: number): string =>
    assistant(id, 'claude-sonnet-4-5', { input_tokens: input, output_tokens: 0 });
  writeFileSync(
    file,
    `${[
      prompt('p1', 'the first task'),
      sonnet('m1', 1_000_000),
      prompt('p1', [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'one' }]),
      sonnet('m2', 2_000_000),
    ].join('\n')}\n`,
  );
  transcriptUsage(file);
  assert.deepEqual([...promptsCost(file, ['p1', 'p2'])], [['p1', 9]], 'p1: $3 + $6; p2 has no turn yet');
  // The turn's last message comes after its Stop, then the next prompt; a subagent's file without promptIds goes with the turn of its time.
  appendFileSync(
    file,
    `${[sonnet('m3', 1_000_000), prompt('p2', 'the second task'), sonnet('m4', 3_000_000)].join('\n')}\n`,
  );
  mkdirSync(join(dir, 's', 'subagents'), { recursive: true });
  writeFileSync(join(dir, 's', 'subagents', 'agent-a.jsonl'), `${sonnet('m5', 1_000_000)}\n`);
  assert.equal(transcriptUsage(file).input, 8_000_000);
  assert.deepEqual(
    [...promptsCost(file, ['p1', 'p2'])],
    [
      ['p1', 12],
      ['p2', 12],
    ],
  );
  // A message written again (its last usage) stays with its turn.
  appendFileSync(file, `${sonnet('m1', 2_000_000)}\n`);
  transcriptUsage(file);
  assert.deepEqual(
    [...promptsCost(file, ['p1', 'p2'])],
    [
      ['p1', 15],
      ['p2', 12],
    ],
  );
  assert.deepEqual([...promptsCost(join(dir, 'other.jsonl'), ['p1'])], [], 'a transcript not read: nothing');
});
