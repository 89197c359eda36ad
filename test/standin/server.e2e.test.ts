// The API stand-in: its wire format and scripted scenarios over fetch, its CLI entry point, and
// the real claude CLI driven against it in print mode and interactively in a private tmux server.
import { describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { claudeBin, claudeEnv, runClaudePrint, startStandinForTest } from '../helpers/claude-env.js';
import { repoRoot } from '../helpers/paths.js';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';

// biome-ignore lint/suspicious/noExplicitAny: request and event bodies of any shape, read field by field
type Json = Record<string, any>;
const TOOLS = [{ name: 'Write', input_schema: { type: 'object' } }];
const SESSION = '11111111-2222-3333-4444-555555555555';
const userText = (text: string): Json => ({
  role: 'user',
  content: [
    { type: 'text', text: '<system-reminder>\nctx\n</system-reminder>\n' },
    { type: 'text', text },
  ],
});
const body = (messages: Json[], extra: Json = {}): Json => ({
  model: 'claude-test',
  max_tokens: 1000,
  stream: true,
  tools: TOOLS,
  system: [{ type: 'text', text: 'You are Claude Code.\n - Primary working directory: /work/dir\n' }],
  messages,
  ...extra,
});
const post = (url: string, payload: Json, path = '/v1/messages?beta=true'): Promise<Response> =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-claude-code-session-id': SESSION },
    body: JSON.stringify(payload),
  });
const parseSse = (text: string): { event: string; data: Json }[] =>
  text
    .split('\n\n')
    .filter((c) => c.trim())
    .map((c) => ({ event: /^event: (.*)$/m.exec(c)![1]!, data: JSON.parse(/^data: (.*)$/m.exec(c)![1]!) }));

/** Whether a process is still running. */
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Reassembles a streamed reply into its content blocks and stop reason. */
async function streamed(res: Response): Promise<{ events: string[]; content: Json[]; stop: string; usage: Json }> {
  const events = parseSse(await res.text());
  const content: Json[] = [];
  const json: string[] = [];
  for (const { data } of events) {
    if (data.type === 'content_block_start') {
      content[data.index] = { ...data.content_block };
      json[data.index] = '';
    }
    if (data.delta?.type === 'text_delta') content[data.index]!.text += data.delta.text;
    if (data.delta?.type === 'input_json_delta') json[data.index] += data.delta.partial_json;
    if (data.type === 'content_block_stop' && content[data.index]!.type === 'tool_use')
      content[data.index]!.input = JSON.parse(json[data.index]!);
  }
  const start = events[0]!.data.message;
  const delta = events.find((e) => e.event === 'message_delta')!.data;
  return {
    events: events.map((e) => e.event),
    content,
    stop: delta.delta.stop_reason,
    usage: { ...start.usage, ...delta.usage },
  };
}

/** The follow-up request after a tool_use: the assistant turn plus its tool_result (and the mid-conversation system message the CLI adds). */
const after = (messages: Json[], toolUse: Json, result: string, isError = false): Json[] => [
  ...messages,
  { role: 'assistant', content: [toolUse] },
  { role: 'user', content: [{ type: 'tool_result', tool_use_id: toolUse.id, content: result, is_error: isError }] },
  { role: 'system', content: 'Available agent types ...' },
];

describe('stand-in over HTTP', { concurrency: true }, () => {
  it('streams a default text reply in the real event order, with usage, and logs the request', async (t) => {
    const standin = await startStandinForTest(t);
    const res = await post(standin.url, body([userText('hello there')]));
    assert.equal(res.headers.get('content-type'), 'text/event-stream');
    const reply = await streamed(res);
    assert.deepEqual(reply.events, [
      'message_start',
      'content_block_start',
      'content_block_delta',
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    assert.deepEqual(reply.content, [{ type: 'text', text: 'OK: hello there' }]);
    assert.equal(reply.stop, 'end_turn');
    assert.ok(reply.usage.input_tokens > 0 && reply.usage.output_tokens > 0);
    const logged = standin.requests.at(-1)!;
    assert.equal(logged.path, '/v1/messages?beta=true');
    assert.equal(logged.headers['x-claude-code-session-id'], SESSION);
    assert.deepEqual(
      [logged.messageCount, logged.prompt, logged.step, logged.side, logged.reply],
      [1, 'hello there', 0, false, 'text'],
    );
    assert.equal((logged.body as Json).model, 'claude-test');
  });

  it('scripts write (cwd-relative), edit (Read first), bash and any tool, step by step', async (t) => {
    const { url } = await startStandinForTest(t);
    const run = async (prompt: string, results: string[]): Promise<Json[]> => {
      let messages = [userText(prompt)];
      const replies: Json[] = [];
      for (let i = 0; i <= results.length; i++) {
        const reply = await streamed(await post(url, body(messages)));
        replies.push(...reply.content);
        if (i < results.length) assert.equal(reply.stop, 'tool_use');
        if (i < results.length) messages = after(messages, reply.content[0]!, results[i]!);
      }
      return replies.map(({ id: _id, ...rest }) => rest);
    };
    assert.deepEqual(await run('[[write notes/a.txt hello world]]', ['File created']), [
      { type: 'tool_use', name: 'Write', input: { file_path: '/work/dir/notes/a.txt', content: 'hello world' } },
      { type: 'text', text: 'wrote /work/dir/notes/a.txt' },
    ]);
    assert.deepEqual(await run('[[edit /x.txt "old text" new]]', ['1\told text', 'updated']), [
      { type: 'tool_use', name: 'Read', input: { file_path: '/x.txt' } },
      {
        type: 'tool_use',
        name: 'Edit',
        input: { file_path: '/x.txt', old_string: 'old text', new_string: 'new', replace_all: false },
      },
      { type: 'text', text: 'edited /x.txt' },
    ]);
    const [bash, bashText] = await run('[[bash echo hi; pwd]]', ['hi\n/work/dir']);
    assert.deepEqual([bash!.input.command, bashText!.text], ['echo hi; pwd', 'hi']);
    assert.deepEqual(await run('go [[tool mcp__orchestrator__dispatch {"agent":"w1","task":"x"}]]', ['queued']), [
      { type: 'tool_use', name: 'mcp__orchestrator__dispatch', input: { agent: 'w1', task: 'x' } },
      { type: 'text', text: 'tool result: queued' },
    ]);
  });

  it('composes slow with say, answers non-streaming requests, and keeps side requests out of scenarios', async (t) => {
    const standin = await startStandinForTest(t);
    const { url } = standin;
    const started = Date.now();
    const slow = await streamed(await post(url, body([userText('[[slow 300]] [[say exactly this]]')])));
    assert.ok(Date.now() - started >= 290);
    assert.equal(slow.content[0]!.text, 'exactly this');
    const plain = (await (await post(url, body([userText('[[write /a b]]')], { stream: false }))).json()) as Json;
    assert.deepEqual([plain.type, plain.stop_reason, plain.content[0].name], ['message', 'tool_use', 'Write']);
    assert.ok(plain.usage.input_tokens > 0 && plain.usage.output_tokens > 0);
    const side = await post(url, body([userText('<session>[[error 500]]</session> title?')], { tools: undefined }));
    assert.equal(side.status, 200);
    assert.equal(standin.requests.at(-1)!.side, true);
    assert.equal((await streamed(side)).stop, 'end_turn');
    const counted = (await (await post(url, body([userText('hi')]), '/v1/messages/count_tokens')).json()) as Json;
    assert.ok(counted.input_tokens > 0);
    assert.ok([200, 404].includes((await fetch(url, { method: 'HEAD' })).status));
  });

  it("takes the prompt after an interrupt notice as the prompt (the interrupted one's markers do not count)", async (t) => {
    const standin = await startStandinForTest(t);
    const interrupted = {
      role: 'user',
      content: [
        { type: 'text', text: '[[slow 30000]] take your time' },
        { type: 'text', text: '[Request interrupted by user]' },
        { type: 'text', text: '[[say next one]]' },
      ],
    };
    const reply = await streamed(
      await post(
        standin.url,
        body([userText('first'), { role: 'assistant', content: [{ type: 'text', text: 'OK: first' }] }, interrupted]),
      ),
    );
    assert.deepEqual(reply.content, [{ type: 'text', text: 'next one' }]);
    assert.equal(standin.requests.at(-1)!.prompt, '[[say next one]]');
    const alone = {
      role: 'user',
      content: [
        { type: 'text', text: 'go on' },
        { type: 'text', text: '[Request interrupted by user]' },
      ],
    };
    assert.equal(
      (await streamed(await post(standin.url, body([alone])))).content[0]!.text,
      'OK: go on\n[Request interrupted by user]',
      'a notice at the end is not a new prompt',
    );
  });

  it('answers [[error N]] with the API error body (retry-after on 429)', async (t) => {
    const { url } = await startStandinForTest(t);
    for (const [status, type] of [
      [500, 'api_error'],
      [401, 'authentication_error'],
      [429, 'rate_limit_error'],
      [529, 'overloaded_error'],
    ] as const) {
      const res = await post(url, body([userText(`[[error ${status}]]`)]));
      assert.equal(res.status, status);
      const payload = (await res.json()) as Json;
      assert.equal(payload.type, 'error');
      assert.equal(payload.error.type, type);
      assert.equal(typeof payload.error.message, 'string');
      assert.equal(res.headers.get('retry-after'), status === 429 ? '1' : null);
    }
  });

  it('hangs until close() and drops a stream mid-way', async (t) => {
    const standin = await startStandinForTest(t);
    const dropped = await post(standin.url, body([userText('[[drop]]')]));
    await assert.rejects(dropped.text());
    const hung = post(standin.url, body([userText('[[hang]]')]));
    await retryUntil(() => standin.requests.some((r) => r.reply === 'hang'), 5000, 'the hang request');
    const closing = Date.now();
    await standin.close();
    await assert.rejects(hung);
    assert.ok(Date.now() - closing < 2000);
  });

  it('runs as a process: prints its url, logs NDJSON, stops on SIGTERM', async (t) => {
    const log = join(tempDir(t), 'requests.ndjson');
    const child = spawn(process.execPath, [join(repoRoot, 'dist/src/standin/main.js'), '--log', log], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const [line] = await createInterface({ input: child.stdout })
      [Symbol.asyncIterator]()
      .next()
      .then((r) => [r.value as string]);
    const { url } = JSON.parse(line!) as { url: string };
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await (await post(url, body([userText('[[say logged]]')]))).text();
    const entry = await retryUntil(() => existsSync(log) && readFileSync(log, 'utf8').trim(), 5000, 'the log line');
    assert.deepEqual((({ prompt, reply, messageCount }) => ({ prompt, reply, messageCount }))(JSON.parse(entry)), {
      prompt: '[[say logged]]',
      reply: 'text',
      messageCount: 1,
    });
    child.kill('SIGTERM');
    assert.equal(await exited, 0);
  });
});

describe('the real claude CLI against the stand-in', { concurrency: true }, () => {
  it('print mode: Write creates the file, costs money, and --resume sends the earlier conversation', async (t) => {
    const standin = await startStandinForTest(t);
    const dir = tempDir(t);
    const { env } = claudeEnv(t, { standinUrl: standin.url, trust: [dir] });
    const file = join(dir, 'x.txt');
    const first = await runClaudePrint(`[[write ${file} hello]]`, ['--permission-mode', 'acceptEdits'], {
      cwd: dir,
      env,
    });
    assert.equal(first.exitCode, 0, first.stderr);
    assert.equal(readFileSync(file, 'utf8'), 'hello');
    assert.deepEqual(
      [first.result?.is_error, first.result?.result, first.result?.num_turns],
      [false, `wrote ${file}`, 2],
    );
    assert.ok((first.result?.total_cost_usd as number) > 0);
    const session = first.result?.session_id as string;
    const turns = standin.requests.filter((r) => r.headers['x-claude-code-session-id'] === session && r.side === false);
    assert.deepEqual(
      turns.map((r) => r.reply),
      ['tool_use:Write', 'text'],
    );
    const resumed = await runClaudePrint('[[say again]]', ['--resume', session], { cwd: dir, env });
    assert.equal(resumed.result?.result, 'again');
    assert.ok(standin.requests.at(-1)!.messageCount! > turns.at(-1)!.messageCount!);
  });

  it('print mode: [[error 500]] ends with is_error and exit 1', async (t) => {
    const standin = await startStandinForTest(t);
    const dir = tempDir(t);
    const { env } = claudeEnv(t, { standinUrl: standin.url, trust: [dir] });
    const run = await runClaudePrint('[[error 500]]', [], { cwd: dir, env });
    assert.equal(run.exitCode, 1);
    assert.deepEqual([run.result?.is_error, run.result?.api_error_status], [true, 500]);
    assert.equal(
      standin.requests.filter((r) => r.reply === 'error:500').length,
      1,
      'CLAUDE_CODE_MAX_RETRIES=0: no retry',
    );
  });

  it('interactive in tmux: ready footer, prompt via send-keys, busy while slow, Write lands', async (t) => {
    const server = privateServer(t);
    let pid = 0;
    let socketPath = '';
    t.after(async () => {
      await retryUntil(() => pid === 0 || !alive(pid), 15_000, 'claude to exit');
      if (socketPath) rmSync(socketPath, { force: true }); // tmux 3.3a's kill-server leaves it behind
    });
    const standin = await startStandinForTest(t);
    const dir = tempDir(t);
    const { env } = claudeEnv(t, { standinUrl: standin.url, trust: [dir] });
    const envFlags = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
    const pane = (
      await server.cmd([
        'new-session',
        '-d',
        '-P',
        '-F',
        '#{pane_id}',
        '-x',
        '200',
        '-y',
        '50',
        '-c',
        dir,
        ...envFlags,
        claudeBin,
        '--permission-mode',
        'acceptEdits',
      ])
    ).trim();
    const [pidText = '', socket = ''] = (
      await server.cmd(['display-message', '-p', '-t', pane, '#{pane_pid}\t#{socket_path}'])
    )
      .trim()
      .split('\t');
    [pid, socketPath] = [Number(pidText), socket];
    const screen = (): Promise<string> => server.cmd(['capture-pane', '-p', '-t', pane]);
    let last = '';
    const waitScreen = (ok: (text: string) => boolean, what: string, ms = 20_000): Promise<unknown> =>
      retryUntil(
        async () => {
          last = await screen();
          return ok(last);
        },
        ms,
        what,
      ).catch((error: Error) => {
        throw new Error(
          `${error.message}\n--- pane ---\n${last}\n--- requests: ${standin.requests.map((r) => r.reply).join(', ')}`,
        );
      });
    await waitScreen(
      (text) => /accept edits on/.test(text) && !/esc to interrupt/.test(text),
      'the prompt box',
      40_000,
    );
    await server.cmd(['send-keys', '-t', pane, '-l', '[[slow 1500]] [[write note.txt hi from tmux]]']);
    await waitScreen(
      (text) => /❯\s\[\[slow 1500\]\] \[\[write note\.txt hi from tmux\]\]/.test(text),
      'the typed prompt',
    );
    await server.cmd(['send-keys', '-t', pane, 'Enter']);
    await waitScreen((text) => /esc to interrupt/.test(text), 'the busy footer');
    const file = join(dir, 'note.txt');
    await retryUntil(() => existsSync(file) && readFileSync(file, 'utf8') === 'hi from tmux', 20_000, 'the file');
    await waitScreen((text) => text.includes(`wrote ${file}`), 'the closing text');
    const turn = standin.requests.find((r) => r.reply === 'tool_use:Write')!;
    assert.equal(turn.prompt, '[[slow 1500]] [[write note.txt hi from tmux]]');
    assert.match(turn.headers['x-claude-code-session-id'] ?? '', /^[0-9a-f-]{36}$/);
    await server.kill();
    await retryUntil(() => !alive(pid), 15_000, 'claude to exit after kill-server');
  });
});

test('claudeEnv marks only the given folders trusted and approves the fake key', (t) => {
  const { home, env } = claudeEnv(t, { standinUrl: 'http://127.0.0.1:9', trust: ['/a'] });
  const config = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')) as Json;
  assert.deepEqual(Object.keys(config.projects), ['/a']);
  assert.deepEqual(config.customApiKeyResponses.approved, [env.ANTHROPIC_API_KEY!.slice(-20)]);
  assert.equal(
    JSON.parse(readFileSync(join(home, '.claude', 'settings.json'), 'utf8')).skipDangerousModePermissionPrompt,
    true,
  );
  const untrusted = claudeEnv(t, { standinUrl: 'x', trust: ['/a'], skipTrustFor: false }).home;
  assert.deepEqual(JSON.parse(readFileSync(join(untrusted, '.claude.json'), 'utf8')).projects, {});
});
