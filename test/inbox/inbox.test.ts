// The inbox: requests are taken in the order one process made them, even many in one millisecond.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pending, submit } from '../../src/inbox/inbox.js';
import { tempDir } from '../helpers/tmux.js';

test('requests of one process are taken in the order they were made, many in the same millisecond', (t) => {
  const dir = tempDir(t);
  const ids = Array.from({ length: 200 }, (_, i) => `c-${i}-${Math.random().toString(36).slice(2, 8)}`);
  for (const id of ids) submit(dir, { kind: 'cancel', id, at: new Date().toISOString(), task: 'x' });
  assert.deepEqual(
    pending(dir).map((p) => p.request?.id),
    ids,
  );
});
