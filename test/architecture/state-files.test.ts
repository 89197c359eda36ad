// Every file and folder under a session's state directory is named in src/store/paths.ts: no other
// module builds such a path by hand (a join from the state directory or one of its folders, or a
// state file's name spelled out), so the map of the directory stays in one place.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/paths.js';

const PATHS = 'src/store/paths.ts';
// A join whose first part is the state directory or a folder of it (local or on a host).
const HAND_JOIN = /\bjoin\(\s*(?:(?:opts\.|ctx\.|this\.)?stateDir\b|remoteState\b|[\w.]*state_dir\b|(?:inbox|agents|handovers|archive|panes|prompts)Dir\(|agentFiles\(|agentDir\()/;
// State files' names, which only the map may spell.
const NAMES = /['"`](?:store\.json|dashboard\.json|tmux-events|session-end\.log|hook\.sh|recorder\.sh|approve\.sh|tmux-env\.conf|status\.jsonl|launch\.sh|headless\.json|setup\.done)['"`]|\.cancel`|\.claim`|store\.damaged-/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

/** Lines outside src/store/paths.ts that build a state path by hand, as file:line: text. */
export function handBuiltStatePaths(root: string): string[] {
  return sources(join(root, 'src')).flatMap((file) => {
    const rel = relative(root, file);
    if (rel === PATHS) return [];
    return readFileSync(file, 'utf8').split('\n').flatMap((line, i) =>
      !/^\s*(?:\/\/|\/?\*)/.test(line) && (HAND_JOIN.test(line) || NAMES.test(line)) ? [`${rel}:${i + 1}: ${line.trim().slice(0, 140)}`] : []);
  });
}

test('the scanner finds a state path built by hand', () => {
  assert.ok(HAND_JOIN.test("join(stateDir, 'inbox', name)") && HAND_JOIN.test("join(promptsDir(dir, a), `t.cancel`)") && HAND_JOIN.test('posix.join(host.state_dir, "agents")'));
  assert.ok(NAMES.test("code(join(x, 'store.json'))") && !NAMES.test("join(configDir, 'settings.json')"));
});

test('every state file is named in src/store/paths.ts, and built nowhere else', () => {
  assert.deepEqual(handBuiltStatePaths(repoRoot), []);
});
