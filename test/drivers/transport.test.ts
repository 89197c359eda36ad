// What the transports tell the task rules (src/tasks/tasks.ts) and what they send: how a delivered
// prompt is reported once submitted, how long a delivery may wait for it, whether it is retried,
// and a task resumed after a limit sent as the note only when the transcript ends at its refused prompt.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { headlessTransport, paneTransport, promptToSend, transportOf } from '../../src/drivers/transport.js';
import { RETRY_NOTE } from '../../src/drivers/claude/retry.js';
import type { AgentRecord, TaskRecord } from '../../src/store/types.js';
import { tempDir } from '../helpers/tmux.js';

const P = 'fix the parser [[say done]]';
const prompt = (text: string): object => ({ type: 'user', promptId: 'p', message: { role: 'user', content: text } });
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

test('the transport follows the mode', () => {
  assert.equal(transportOf({ mode: 'headless' }), headlessTransport);
  assert.equal(transportOf({ mode: 'interactive' }), paneTransport);
});

test("what each transport's delivery is reported as once submitted, how long it may wait, whether it is retried", () => {
  assert.equal(paneTransport.submittedText('a\tb\r\nc  \n'), 'a    b\nc');
  assert.equal(headlessTransport.submittedText('a\tb\n'), 'a\tb\n');
  assert.equal(
    paneTransport.isSubmissionOf('/exit', '/exit'),
    false,
    'Claude reports the leading space it was sent with',
  );
  assert.equal(paneTransport.isSubmissionOf(' /exit\r\n', '/exit'), true);
  assert.equal(headlessTransport.isSubmissionOf('a\tb\n', 'a\tb\n'), true);
  assert.equal(headlessTransport.isSubmissionOf('a\tb', 'a\tb\n'), false);
  assert.deepEqual(
    [
      paneTransport.confirmWithinMs('x', false),
      paneTransport.confirmWithinMs('x'.repeat(25_000), false),
      paneTransport.confirmWithinMs('x', true),
    ],
    [5000, 7000, 20_000],
  );
  assert.equal(headlessTransport.confirmWithinMs('x', false), 60_000);
  assert.deepEqual([paneTransport.retries, headlessTransport.retries], [true, false]);
});

test('promptToSend: the prompt for a task that met no limit; after a limit, the note or the prompt as the transcript says', (t) => {
  const file = join(tempDir(t), 's.jsonl');
  writeFileSync(file, [prompt(P), refused].map((e) => `${JSON.stringify(e)}\n`).join(''));
  const agent = { mode: 'interactive', transcript_path: file } as AgentRecord;
  const task = { prompt: P, limited: [] } as unknown as TaskRecord;
  assert.equal(promptToSend(task, agent), P);
  task.limited = [{ at: '', reason: '429' }];
  assert.equal(promptToSend(task, agent), RETRY_NOTE);
  assert.equal(promptToSend(task, { ...agent, mode: 'headless' }), RETRY_NOTE);
  assert.equal(promptToSend(task, { ...agent, transcript_path: null }), P);
  assert.equal(promptToSend({ ...task, prompt: 'another task' }, agent), 'another task');
});
