// The script a delivery to another host runs there (src/hosts/deliver.ts), run here with sh on a
// private tmux server (ssh only carries it): the paste arrives byte for byte and is submitted once
// the box shows it, a box that never shows it gets its Enter after the wait, a missing pane fails
// as tmux says. The whole path over a real sshd is test/hosts/hosts.e2e.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PASTE_AND_SUBMIT } from '../../src/hosts/deliver.js';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { fixtures } from '../helpers/paths.js';
import { quoteArgv } from '../../src/util/shell-quote.js';

const run = (socket: string, pane: string, text: string, waitMs: number) =>
  spawnSync('sh', ['-c', PASTE_AND_SUBMIT, 'sh', socket, pane, 'orch-test', String(waitMs)], {
    input: text,
    encoding: 'utf8',
    timeout: 20_000,
  });

test('pasted, then submitted once the box shows it: the prompt arrives byte for byte', {
  timeout: 30_000,
}, async (t) => {
  const dir = tempDir(t);
  const prompts = join(dir, 'prompts.jsonl');
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({
      hooks: {
        UserPromptSubmit: [
          { hooks: [{ type: 'command', command: quoteArgv(['sh', '-c', 'cat >> "$0"; echo >> "$0"', prompts]) }] },
        ],
      },
    }),
  );
  const server = privateServer(t);
  const pane = (
    await server.cmd([
      'new-session',
      '-d',
      '-s',
      'd',
      '-x',
      '200',
      '-y',
      '30',
      '-P',
      '-F',
      '#{pane_id}',
      quoteArgv([
        process.execPath,
        join(fixtures, 'bin', 'fake-claude-repl'),
        '--settings',
        join(dir, 'settings.json'),
      ]),
    ])
  ).trim();
  await retryUntil(async () => (await server.pane(pane).capture()).includes('❯'), 10_000, 'the box');
  const hostile = `it's "quoted" $(touch ${dir}/pwned) \`id\` ; rm -rf ~ & | > x \\ #{pane_id} ~/ %s ÿ 日本語 end;`;
  const r = run(server.socket!, pane, hostile, 3000);
  assert.equal(r.status, 0, r.stderr);
  const got = await retryUntil(
    () => {
      try {
        return readFileSync(prompts, 'utf8').trim();
      } catch {
        return '';
      }
    },
    10_000,
    'its UserPromptSubmit',
  );
  assert.equal((JSON.parse(got) as { prompt: string }).prompt, hostile);
});

test('a box that never shows the text gets its Enter after the wait; a pane that is not there fails as tmux says', {
  timeout: 30_000,
}, async (t) => {
  const server = privateServer(t);
  const pane = (
    await server.cmd([
      'new-session',
      '-d',
      '-s',
      'd',
      '-x',
      '100',
      '-y',
      '10',
      '-P',
      '-F',
      '#{pane_id}',
      'sleep 100000',
    ])
  ).trim();
  const t0 = Date.now();
  const r = run(server.socket!, pane, 'no box here', 400);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(Date.now() - t0 >= 400, `waited ${Date.now() - t0} ms`);
  const gone = run(server.socket!, '%999', 'x', 400);
  assert.notEqual(gone.status, 0);
  assert.match(gone.stderr, /can't find pane/);
});
