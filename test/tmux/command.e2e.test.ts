// The tmux layer: errors that name the subcommand, text that ends in ";", format parsing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chainArgs, escapeArg, TmuxError, tmuxDoubleQuoted } from '../../src/tmux/command.js';
import { formatOf, parseRows, SEP } from '../../src/tmux/format.js';
import { privateServer, tempDir } from '../helpers/tmux.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { quote } from '../../src/util/shell-quote.js';

test('a failing tmux call names the subcommand and carries its stderr', async (t) => {
  const server = privateServer(t);
  await server.cmd(['new-session', '-d', '-s', 'one', 'sleep 30']);
  await assert.rejects(server.cmd(['split-window', '-t', '%999', 'true']), (error: unknown) => {
    assert.ok(error instanceof TmuxError);
    assert.equal(error.subcommand, 'split-window');
    assert.match(error.stderr, /can't find pane/);
    assert.match(error.message, /^tmux split-window failed \(exit 1\): can't find pane/);
    return true;
  });
});

test('text ending in ";" reaches tmux intact, alone and in a chain', async (t) => {
  assert.equal(escapeArg('echo hi;'), 'echo hi\\;');
  assert.equal(escapeArg('a\\;'), 'a\\\\;');
  assert.deepEqual(chainArgs([['a', 'x;'], ['b']]), ['a', 'x\\;', ';', 'b']);
  const server = privateServer(t);
  await server.cmd(
    ['new-session', '-d', '-s', 's', 'sleep 30'],
    ['set-option', '@one', 'val;'],
    ['set-option', '@two', 'back\\;'],
    ['set-option', '@three', ';'],
  );
  assert.equal((await server.cmd(['show-options', '-v', '@one'])).trim(), 'val;');
  assert.equal((await server.cmd(['show-options', '-v', '@two'])).trim(), 'back\\;');
  assert.equal((await server.cmd(['show-options', '-v', '@three'])).trim(), ';');
});

test('format rows zip back onto field names and a mismatch fails loudly', () => {
  assert.equal(formatOf(['pane_id', 'pane_pid']), `#{pane_id}${SEP}#{pane_pid}`);
  assert.deepEqual(parseRows(['a', 'b'], `%1${SEP}42\n%2${SEP}43\n`), [
    { a: '%1', b: '42' },
    { a: '%2', b: '43' },
  ]);
  assert.throws(() => parseRows(['a', 'b'], 'only-one\n'), /printed 1 fields where 2 were asked for/);
});

test('findSession and panes() report nothing (not an error) when no server runs', async (t) => {
  const server = privateServer(t);
  assert.equal(await server.findSession('nope'), undefined);
  assert.deepEqual(await server.panes(), []);
});

test('a server that is exiting while we ask counts as no server: findSession, panes and running never throw', {
  timeout: 60_000,
}, async (t) => {
  // A session whose tmux server was just killed is looked up at once (./start.mts after a kill:
  // what made bench/layout crash with "server exited unexpectedly").
  for (let i = 0; i < 40; i++) {
    const server = privateServer(t);
    await server.cmd(['new-session', '-d', '-s', 'x', 'sleep 100']);
    const killing = server.cmd(['kill-server']).catch(() => undefined);
    const [found, panes, running] = await Promise.all([server.findSession('x'), server.panes(), server.running()]);
    await killing;
    assert.ok(found === undefined || found.name === 'x');
    assert.ok(Array.isArray(panes));
    assert.equal(typeof running, 'boolean');
  }
});

test('a command quoted for tmux to parse later (a hook\'s run-shell) keeps its text: $, ", \\, # and spaces', async (t) => {
  const server = privateServer(t);
  await server.cmd(['new-session', '-d', '-s', 'q', 'sleep 30']);
  const file = join(tempDir(t), 'out put #1 $x');
  const text = `a "b" $HOME \\ #{pane_id} ## 'q'`;
  // if-shell parses its command argument as tmux does a hook's; run-shell then expands formats.
  await server.cmd([
    'if-shell',
    'true',
    `run-shell ${tmuxDoubleQuoted(`printf '%s' ${quote(text)} > ${quote(file)}`)}`,
  ]);
  assert.equal(readFileSync(file, 'utf8'), text);
});
