// The headless pane's renderer on event lines recorded from the real claude CLI (2.1.197, against
// the API stand-in): test/fixtures/headless/*.jsonl.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StreamRenderer, formatDuration } from '../../src/headless/render.js';
import { textWidth, truncate, wrap } from '../../src/headless/wrap.js';
import { fixtures } from '../helpers/paths.js';

const recorded = (name: string): string[] =>
  readFileSync(join(fixtures, 'headless', `${name}.jsonl`), 'utf8').split('\n');
const render = (name: string, width = 60, color = false): string[] => {
  const r = new StreamRenderer({ width, color });
  return recorded(name).flatMap((l) => r.line(l));
};
const plain = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

test('a run with a Write and a Bash call: init, tool calls with short inputs, trimmed results, the answer, the result line', () => {
  const out = render('write-and-bash');
  assert.equal(out[0], '· session 11111111 · claude-opus-4-8[1m] · acceptEdits · /t…');
  assert.ok(out.includes('⏺ Write hello.txt'), 'the path is shown relative to the session cwd');
  assert.ok(out.some((l) => l.startsWith('  ⎿ File created successfully at: /tmp/hx/proj/hello.txt')));
  assert.ok(out.includes('⏺ Bash ls -la'));
  const bashResult = out.slice(out.indexOf('⏺ Bash ls -la') + 1, out.indexOf('⏺ Bash ls -la') + 5);
  assert.deepEqual(
    bashResult.map((l) => l.slice(0, 6)),
    ['  ⎿ to', '    dr', '    dr', '    -r'],
  );
  assert.ok(out.includes('total 12'), 'the assistant text');
  assert.equal(out.at(-1), '✓ done · 3 turns · $0.2872 · 0.6 s');
  assert.ok(!out.some((l) => /hook/i.test(l)), 'successful hook events are not shown');
  for (const l of out) assert.ok(textWidth(l) <= 60, `fits 60 columns: ${l}`);
});

test('long and wide text wraps to the pane width; a permission denial is called out', () => {
  const out = render('denied-read-long-text', 40);
  for (const l of out) assert.ok(textWidth(l) <= 40, `fits 40 columns (${textWidth(l)}): ${l}`);
  assert.ok(
    out.some((l) => l.startsWith('  ⎿ Claude requested permissions')),
    'the denied read as a tool result',
  );
  const text = out.slice(
    out.findIndex((l) => l.startsWith('Line one')),
    out.indexOf('- a list item') + 1,
  );
  assert.equal(
    text.join(' ').replace(/ {2,}/g, ' '),
    'Line one of a long answer that goes on and on, well past the width of a narrow tmux pane, so that wrapping matters. Second line: 日本語のテキスト and emoji 🎉. - a list item',
  );
  assert.ok(text.includes(''), 'the blank line between paragraphs is kept');
  assert.match(
    out.join(' ').replace(/\s+/g, ' '),
    /⚠ 1 permission denial: Read\(\/nonexistent\/file\.txt\) \(set permission_mode or allowed_tools in the layout\)/,
  );
});

test('an API error after a retry is shown in red, with the retry and a failed result line', () => {
  const coloured = render('api-error-retry', 80, true);
  const out = coloured.map(plain);
  assert.ok(out.includes('↻ API retry 1/1: 529 overloaded (in 0.6 s)'));
  const error = coloured.find((l) => plain(l).startsWith('✗ API Error: 529'));
  assert.ok(error?.includes('\x1b[31m'), 'in red');
  assert.equal(out.at(-1), '✗ failed (API error 529) · 1 turn · $0.0000 · 1.0 s');
});

test('an interrupted run says so', () => {
  const out = render('interrupted');
  assert.ok(out.includes('· [Request interrupted by user]'));
  assert.match(out.at(-1)!, /^✗ failed \(interrupted\) · 2 turns/);
});

test('the task heading, long prompts, subagent events, odd lines and the exit line', () => {
  const r = new StreamRenderer({ width: 50, color: false });
  const heading = r.task(
    't-7',
    Array.from({ length: 20 }, (_, i) => `line ${i + 1}`).join('\n'),
    new Date(2026, 0, 1, 9, 5, 7),
  );
  assert.equal(heading[1], `━━ task t-7 · 09:05:07 ${'━'.repeat(27)}`);
  assert.equal(heading[2], '› line 1');
  assert.equal(heading.length, 2 + 12 + 1);
  assert.equal(heading.at(-1), '  … 8 more lines');

  const sub = r.line(
    JSON.stringify({
      type: 'assistant',
      parent_tool_use_id: 'toolu_1',
      message: { content: [{ type: 'tool_use', id: 'x', name: 'Grep', input: { pattern: 'TODO', path: 'src' } }] },
    }),
  );
  assert.deepEqual(sub, ['  ⏺ Grep TODO in src'], "a subagent's events are indented");
  const many = r.line(
    JSON.stringify({
      type: 'user',
      message: {
        content: [{ type: 'tool_result', tool_use_id: 'x', content: [{ type: 'text', text: 'a\nb\nc\nd\ne\nf' }] }],
      },
    }),
  );
  assert.deepEqual(many, ['  ⎿ a', '    b', '    c', '    d', '    … 2 more lines']);
  const custom = r.line(
    JSON.stringify({
      type: 'assistant',
      message: {
        content: [{ type: 'tool_use', name: 'mcp__orch__dispatch', input: { agent: 'w1', prompt: 'go\nnow' } }],
      },
    }),
  );
  assert.deepEqual(
    custom,
    ['⏺ mcp__orch__dispatch {"agent":"w1","prompt":"go\\…'],
    'other tools show their input as JSON, cut to the width',
  );

  assert.deepEqual(r.line(''), []);
  assert.deepEqual(r.line(JSON.stringify({ type: 'stream_event', event: {} })), [], 'unknown events are skipped');
  assert.deepEqual(r.line('not json \x1b[2J here'), ['not json [2J here'], 'escape sequences never reach the pane');

  const exited = { cancelled: false, exited: true };
  assert.deepEqual(
    r.turnEnd(0, 'ignored', { cancelled: false, exited: false }),
    [],
    'a turn that ended with its result needs no more',
  );
  assert.deepEqual(
    r.turnEnd(1, 'ignored', { cancelled: false, exited: false }),
    [],
    'its result line said that it failed',
  );
  assert.deepEqual(r.turnEnd(1, 'a\nNo conversation found with session ID: x\n', exited), [
    '✗ claude exited with code 1 during the task',
    '  a',
    '  No conversation found with session ID: x',
  ]);
  assert.deepEqual(r.turnEnd(0, '', { cancelled: true, exited: false }), ['■ cancelled']);
  assert.deepEqual(r.turnEnd(143, '', { cancelled: true, exited: true }), [
    '■ cancelled (claude exited with code 143)',
  ]);
});

test('wrap, truncate and durations', () => {
  assert.deepEqual(wrap('aaaa bbbb cccc', 9), ['aaaa bbbb', 'cccc']);
  assert.deepEqual(wrap('x'.repeat(20), 8), ['xxxxxxxx', 'xxxxxxxx', 'xxxx'], 'a word longer than a line is cut');
  assert.deepEqual(wrap('日本語日本語', 8), ['日本語日', '本語'], 'wide characters take two columns');
  assert.deepEqual(wrap('a\n\nb\tc', 20), ['a', '', 'b    c']);
  assert.equal(truncate('abcdefgh', 5), 'abcd…');
  assert.equal(truncate('abc', 5), 'abc');
  assert.equal(formatDuration(640), '0.6 s');
  assert.equal(formatDuration(125_000), '2 m 05 s');
});
