// Start-up dialogs on screens captured from the real claude 2.1.197 in tmux (test/fixtures/screens/):
// each dialog is named with its fix, and screens of a working agent are never taken for one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { detectDialog } from '../../../src/drivers/claude/dialogs.js';
import { fixtures } from '../../helpers/paths.js';

const screen = (name: string): string => readFileSync(join(fixtures, 'screens', `${name}.txt`), 'utf8');

test('each start-up dialog is recognised and named with its fix', () => {
  const expected: [string, RegExp][] = [
    ['trust', /^folder trust dialog: attach and choose "Yes, I trust this folder".*orchestrate doctor/],
    ['api-key', /^API key dialog: attach and choose "Yes" \(its default is No\)/],
    ['bypass-warning', /^bypass-permissions warning: attach and accept it \(its default is "No, exit"\)/],
    ['onboarding-theme', /^first-run onboarding/],
    ['onboarding-security-notes', /^first-run onboarding/],
  ];
  for (const [name, reason] of expected) assert.match(detectDialog(screen(name)) ?? 'nothing', reason, name);
});

test('the onboarding connectivity failure (offline, ignores ANTHROPIC_BASE_URL)', () => {
  assert.match(
    detectDialog(
      'Welcome to Claude Code\n\nUnable to connect to Anthropic services\n\nFailed to connect to api.anthropic.com: ERR_BAD_REQUEST\n',
    ) ?? '',
    /connectivity check failed/,
  );
});

test('screens of an agent that is running are not dialogs', () => {
  for (const name of ['ready', 'busy', 'bypass-ready', 'api-error', 'permission'])
    assert.equal(detectDialog(screen(name)), undefined, name);
  assert.equal(detectDialog(''), undefined);
});
