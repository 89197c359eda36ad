// Every file and folder under a session's state directory is named in src/store/paths.ts: no other
// module builds such a path by hand (a join from the state directory or one of its folders, or a
// state file's name spelled out), so the map of the directory stays in one place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmux.js';

const PATHS = 'src/store/paths.ts';
// A join whose first part is the state directory or a folder of it (local or on a host).
const HAND_JOIN =
  /\bjoin\(\s*(?:(?:opts\.|ctx\.|this\.)?stateDir\b|remoteState\b|[\w.]*state_dir\b|(?:inbox|agents|handovers|archive|panes|prompts)Dir\(|agentFiles\(|agentDir\()/;
// State files' names, which only the map may spell.
const NAMES =
  /['"`](?:store\.json|dashboard\.json|tmux-events|session-end\.log|hook\.sh|recorder\.sh|approve\.sh|tmux-env\.conf|status\.jsonl|launch\.sh|headless\.json|setup\.done)['"`]|\.cancel`|\.claim`|store\.damaged-/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Lines outside src/store/paths.ts that build a state path by hand, as file:line: text. */
export function handBuiltStatePaths(root: string): string[] {
  return sources(join(root, 'src')).flatMap((file) => {
    const rel = relative(root, file);
    if (rel === PATHS) return [];
    // A call the formatter broke over lines (join(\n  stateDir, ...)) is read as one line.
    const lines = readFileSync(file, 'utf8').split('\n');
    return lines.flatMap((line, i) => {
      const joined = /\($/.test(line.trimEnd()) ? `${line.trimEnd()}${(lines[i + 1] ?? '').trim()}` : line;
      return !/^\s*(?:\/\/|\/?\*)/.test(line) && (HAND_JOIN.test(joined) || NAMES.test(line))
        ? [`${rel}:${i + 1}: ${line.trim().slice(0, 140)}`]
        : [];
    });
  });
}

test('the scanner finds a state path built by hand', () => {
  assert.ok(
    HAND_JOIN.test("join(stateDir, 'inbox', name)") &&
      HAND_JOIN.test('join(promptsDir(dir, a), `t.cancel`)') &&
      HAND_JOIN.test('posix.join(host.state_dir, "agents")'),
  );
  assert.ok(NAMES.test("code(join(x, 'store.json'))") && !NAMES.test("join(configDir, 'settings.json')"));
});

test('the scanner finds a state path built by hand over two lines, as the formatter writes a long call', (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'src'));
  writeFileSync(join(root, 'src', 'a.ts'), "const f = join(\n  stateDir,\n  'inbox',\n  name,\n);\n");
  assert.deepEqual(handBuiltStatePaths(root), ['src/a.ts:1: const f = join(']);
});

test('every state file is named in src/store/paths.ts, and built nowhere else', () => {
  assert.deepEqual(handBuiltStatePaths(repoRoot), []);
});
