// ANSI SGR (as `capture-pane -e` prints it) to safe runs of text and to HTML.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ansiToHtml, ansiToSegments, ansiToText, escapeHtml } from '../../src/dashboard/ansi.js';

const E = '\x1b[';

const cases: { name: string; input: string; segments: ReturnType<typeof ansiToSegments> }[] = [
  { name: 'plain text stays one run', input: 'hello\nworld', segments: [{ t: 'hello\nworld' }] },
  {
    name: 'basic foreground and reset',
    input: `${E}31mred${E}0m plain`,
    segments: [{ t: 'red', c: 'f1' }, { t: ' plain' }],
  },
  { name: 'empty SGR resets', input: `${E}1mbold${E}m plain`, segments: [{ t: 'bold', c: 'bo' }, { t: ' plain' }] },
  { name: 'bright colours and backgrounds', input: `${E}92;104mx`, segments: [{ t: 'x', c: 'f10 b12' }] },
  { name: '256 colours: basic range as classes', input: `${E}38;5;3my`, segments: [{ t: 'y', c: 'f3' }] },
  { name: '256 colours: cube', input: `${E}38;5;196mr`, segments: [{ t: 'r', f: '#ff0000' }] },
  { name: '256 colours: grey ramp', input: `${E}48;5;232mg`, segments: [{ t: 'g', b: '#080808' }] },
  { name: 'RGB with semicolons', input: `${E}38;2;1;2;255mz`, segments: [{ t: 'z', f: '#0102ff' }] },
  {
    name: 'RGB with colons and an empty colour space',
    input: `${E}38:2::10:20:30mz`,
    segments: [{ t: 'z', f: '#0a141e' }],
  },
  { name: 'RGB values are clamped to bytes', input: `${E}48;2;999;300;16mz`, segments: [{ t: 'z', b: '#ffff10' }] },
  {
    name: 'parameters after an extended colour still apply',
    input: `${E}38;5;9;1mw`,
    segments: [{ t: 'w', c: 'f9 bo' }],
  },
  { name: 'reverse video swaps colours', input: `${E}31;42;7mr`, segments: [{ t: 'r', c: 'f2 b1' }] },
  { name: 'reverse with default colours', input: `${E}7mr`, segments: [{ t: 'r', c: 'fgd-rev bgd-rev' }] },
  {
    name: 'attributes on and off',
    input: `${E}1;3;4;9ma${E}22;23;24;29mb`,
    segments: [{ t: 'a', c: 'bo it ul st' }, { t: 'b' }],
  },
  {
    name: 'default colour codes',
    input: `${E}31;41ma${E}39mb${E}49mc`,
    segments: [{ t: 'a', c: 'f1 b1' }, { t: 'b', c: 'b1' }, { t: 'c' }],
  },
  { name: 'same look merges across escapes', input: `${E}31ma${E}31mb`, segments: [{ t: 'ab', c: 'f1' }] },
  {
    name: 'cursor moves, OSC titles, charset and controls are dropped',
    input: `a${E}2K${E}10;5Hb\x1b]0;title\x07c\x1b(Bd\x07e\r\x00f\tg`,
    segments: [{ t: 'abcdef\tg' }],
  },
  {
    name: 'OSC 8 links are dropped, their text kept',
    input: '\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\',
    segments: [{ t: 'link' }],
  },
];

for (const c of cases) {
  test(`ansi: ${c.name}`, () => {
    assert.deepEqual(ansiToSegments(c.input), c.segments);
  });
}

test('ansi: markup in the text stays text (HTML escapes every special character)', () => {
  const html = ansiToHtml(`${E}31m<script>alert("x")</script>${E}0m & 'q' <img src=x onerror=alert(1)>`);
  assert.equal(
    html,
    '<span class="f1">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</span> &amp; &#39;q&#39; &lt;img src=x onerror=alert(1)&gt;',
  );
  assert.doesNotMatch(html, /<(?!\/?span)/, 'the only tags are our spans');
});

test('ansi: RGB colours become style attributes made of hex digits only', () => {
  assert.equal(
    ansiToHtml(`${E}38;2;255;0;0;48;5;21mx`),
    '<span style="color:#ff0000;background-color:#0000ff">x</span>',
  );
});

test('ansi: escapeHtml and ansiToText', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(ansiToText(`${E}1;31mA${E}0m\x1b]0;t\x07B`), 'AB');
});
