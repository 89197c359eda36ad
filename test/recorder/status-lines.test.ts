// Reading a status file as it grows: only complete lines, a cursor that resumes exactly where the
// last read ended, bad lines skipped and counted, and what our real hook script writes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readNewLines } from '../../src/recorder/status-lines.js';
import { writeHookScript } from '../../src/agents/hooks.js';
import { tempDir } from '../helpers/tmux.js';

const ev = (name: string, at: number): string => `${JSON.stringify({ at, event: { hook_event_name: name } })}\n`;

test('a partial last line is left for the next read, and the cursor resumes after the last whole line', (t) => {
  const file = join(tempDir(t), 'status.jsonl');
  const first = ev('SessionStart', 1);
  const second = ev('UserPromptSubmit', 2);
  writeFileSync(file, first + second.slice(0, 10));
  const a = readNewLines(file, 0);
  assert.deepEqual(
    a.lines.map((l) => l.event.hook_event_name),
    ['SessionStart'],
  );
  assert.equal(a.next, Buffer.byteLength(first));
  assert.equal(a.bad, 0, 'a line being written is not bad');

  // Nothing new and still no newline: nothing read, same cursor.
  assert.deepEqual(readNewLines(file, a.next), { lines: [], next: a.next, bad: 0 });

  appendFileSync(file, second.slice(10) + ev('Stop', 3));
  const b = readNewLines(file, a.next);
  assert.deepEqual(
    b.lines.map((l) => [l.event.hook_event_name, l.at]),
    [
      ['UserPromptSubmit', 2],
      ['Stop', 3],
    ],
  );
  assert.equal(b.next, Buffer.byteLength(first + second + ev('Stop', 3)));
  assert.deepEqual(readNewLines(file, b.next), { lines: [], next: b.next, bad: 0 });

  // Resuming from any recorded cursor gives exactly the lines after it.
  assert.deepEqual(
    readNewLines(file, Buffer.byteLength(first + second)).lines.map((l) => l.event.hook_event_name),
    ['Stop'],
  );
});

test('bad lines are skipped, counted and not read again; blank lines are neither', (t) => {
  const file = join(tempDir(t), 'status.jsonl');
  writeFileSync(
    file,
    [
      ev('SessionStart', 1),
      'not json\n',
      '\n',
      '{"at":2,"event":null}\n',
      '{"at":"x","event":{}}\n',
      '[1,2]\n',
      ev('Stop', 3),
    ].join(''),
  );
  const r = readNewLines(file, 0);
  assert.deepEqual(
    r.lines.map((l) => l.event.hook_event_name),
    ['SessionStart', 'Stop'],
  );
  assert.equal(r.bad, 4);
  assert.deepEqual(readNewLines(file, r.next), { lines: [], next: r.next, bad: 0 });
});

test('a missing file reads as nothing; a file shorter than the cursor was replaced and is read from the start', (t) => {
  const dir = tempDir(t);
  assert.deepEqual(readNewLines(join(dir, 'none.jsonl'), 42), { lines: [], next: 42, bad: 0 });
  const file = join(dir, 'status.jsonl');
  writeFileSync(file, ev('SessionStart', 1) + ev('Stop', 2) + ev('Stop', 3));
  const old = readNewLines(file, 0).next;
  writeFileSync(file, ev('ProcessRestart', 4));
  const r = readNewLines(file, old);
  assert.deepEqual(
    r.lines.map((l) => l.event.hook_event_name),
    ['ProcessRestart'],
  );
  assert.equal(r.next, Buffer.byteLength(ev('ProcessRestart', 4)));
});

test('what the real hook script appends: one line per event, even from multi-line JSON; no input is a bad line, not a crash', (t) => {
  const dir = tempDir(t);
  const hook = writeHookScript(dir);
  const file = join(dir, 'status.jsonl');
  const run = (input: string): void => {
    execFileSync('/bin/sh', [hook, file], { input });
  };
  run(JSON.stringify({ hook_event_name: 'UserPromptSubmit', prompt: 'two\nlines and "quotes"' }));
  run(JSON.stringify({ hook_event_name: 'Stop', last_assistant_message: 'ok' }, null, 2));
  run('');
  const before = Date.now();
  const r = readNewLines(file, 0);
  assert.deepEqual(
    r.lines.map((l) => l.event.hook_event_name),
    ['UserPromptSubmit', 'Stop'],
  );
  assert.equal(r.lines[0]!.event.prompt, 'two\nlines and "quotes"');
  assert.equal(r.bad, 1, 'the empty event');
  for (const l of r.lines) assert.ok(Math.abs(l.at - before) < 60_000, `arrival time in ms (${l.at})`);
});
