// hosts: in a layout: what it gives its agents, and what a layout that gets it wrong is told,
// with the place and what would be right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLayout } from '../../src/layout/load.js';
import { formatProblem } from '../../src/config/source.js';
import { filesScript, viewScript } from '../../src/hosts/remote.js';
import { streamCommand } from '../../src/hosts/link.js';
import { sshArgv } from '../../src/ssh/ssh.js';
import type { HostRecord } from '../../src/store/types.js';
import { tempDir } from '../helpers/tmux.js';

function load(t: import('node:test').TestContext, text: string): ReturnType<typeof loadLayout> {
  const dir = tempDir(t);
  mkdirSync(join(dir, 'proj'));
  const file = join(dir, 'l.yaml');
  writeFileSync(file, text);
  return loadLayout(file, { cwd: join(dir, 'proj') });
}

test("hosts: each agent with host: runs there, its cwd relative to the host's root; the layout's env and the host's go along; the lead stays here with its MCP tools", (t) => {
  const { layout, problems } = load(
    t,
    `env: { SHARED: "1" }
hosts:
  gpu: { ssh: me@gpu-box, port: 2222, root: src/app, claude: /opt/claude/bin/claude, env: { ON_GPU: "yes" } }
  cpu: { ssh: cpu }
defaults: { host: cpu }
windows:
  - panes:
      - { agent: lead, host: local }
      - { agent: w1, host: gpu, cwd: api }
      - { agent: w2 }
`,
  );
  assert.deepEqual(problems.map(formatProblem), []);
  assert.deepEqual(layout!.hosts.gpu, {
    name: 'gpu',
    ssh: 'me@gpu-box',
    port: 2222,
    root: 'src/app',
    claude: '/opt/claude/bin/claude',
    env: { ON_GPU: 'yes' },
  });
  assert.deepEqual(layout!.hosts.cpu, { name: 'cpu', ssh: 'cpu', claude: 'claude', env: {} });
  const [lead, w1, w2] = layout!.agents;
  assert.equal(lead!.host, undefined);
  assert.equal(lead!.mcp, true);
  assert.deepEqual([w1!.host, w1!.cwd, w1!.mcp], ['gpu', 'api', false]);
  assert.deepEqual([w2!.host, w2!.cwd], ['cpu', '.'], 'defaults: host applies');
});

test('a host that is not in hosts:, and what an agent there cannot have yet (our headless runner, the MCP tools), are refused with the place and what would be right', (t) => {
  const { layout, problems } = load(
    t,
    `hosts:
  gpu: { ssh: gpu }
windows:
  - panes:
      - { agent: w1, host: gpux }
      - { agent: w3, host: gpu, mode: headless }
      - { agent: w4, host: gpu, mcp: true }
`,
  );
  assert.equal(layout, undefined);
  const text = problems.map(formatProblem).join('\n');
  assert.match(
    text,
    /l\.yaml:5:\d+ .*windows\[0\]\.panes\[0\]\.host: no host "gpux" in hosts: \(expected one of gpu\)/,
  );
  assert.match(text, /l\.yaml:6:\d+ .*panes\[1\]\.mode: an agent on host gpu cannot have mode: headless/);
  assert.match(text, /l\.yaml:7:\d+ .*panes\[2\]\.mcp: an agent on host gpu cannot have the orchestrator's MCP tools/);
  // An ssh destination that ssh would read as an option, and a host named as this machine.
  const bad = load(
    t,
    `hosts:
  local: { ssh: box }
  evil: { ssh: "-oProxyCommand=touch /tmp/x" }
windows:
  - panes: [{ agent: w1, host: evil }]
`,
  )
    .problems.map(formatProblem)
    .join('\n');
  assert.match(
    bad,
    /l\.yaml:3:\d+ hosts\.evil\.ssh: is "-oProxyCommand=touch \/tmp\/x" \(expected an ssh destination such as user@box or an alias, with no spaces and not starting with "-"\)/,
  );
});

test('a host named local is refused: that is this machine in host:', (t) => {
  const text = load(
    t,
    `hosts:
  local: { ssh: box }
windows:
  - panes: [{ agent: w1 }]
`,
  )
    .problems.map(formatProblem)
    .join('\n');
  assert.match(
    text,
    /l\.yaml:2:\d+ hosts\.local: "local" is this machine in host: \(expected another name for that host\)/,
  );
});

test('what goes to a host is quoted for its shell: the ssh argv, the view script, the files script (text as base64) and the status stream', () => {
  const host = {
    name: 'h',
    ssh: 'me@box',
    home: '/home/me',
    state_dir: "/home/me/.claude-orchestrator/s-1 it's",
    socket: 'orch-1',
    claude_config_dir: '/home/me/.claude',
  } as HostRecord;
  const argv = sshArgv(host, ['tmux', '-L', 'orch-1', 'display-message', '-p', "it's $(id) `x`"]);
  assert.equal(argv.at(-1), "tmux -L orch-1 display-message -p 'it'\\''s $(id) `x`'");
  assert.equal(argv.at(-2), '--');
  assert.equal(argv.at(-3), 'me@box');
  assert.ok(argv.includes('BatchMode=yes') && argv.some((a) => a.startsWith('ControlPath=')));
  assert.match(viewScript('w1', host), /tmux -u -L orch-1 attach-session -t =w1/);
  const script = filesScript(
    ['/home/me/project'],
    [{ path: '/home/me/a b/launch.sh', text: "echo 'hi' $(rm -rf ~)\n", mode: 0o755 }],
  );
  assert.ok(!script.includes('rm -rf'), 'the text is only in base64');
  assert.match(script, /base64 -d > '\/home\/me\/a b\/launch\.sh\.tmp'/);
  assert.match(script, /\[ -d \/home\/me\/project \] \|\|/);
  const stream = streamCommand([{ tag: 'w1', path: "/x/it's/status.jsonl", offset: 41 }]);
  assert.match(stream, /tail -c \+42 -F '\/x\/it'\\''s\/status\.jsonl'/);
  assert.match(stream, /sed -u 's\|\^\|w1 \|'/);
});

test('a lead on a host is refused (it would start without its MCP tools), unless mcp: false says it goes without them', (t) => {
  const { layout, problems } = load(
    t,
    `hosts:
  gpu: { ssh: gpu }
windows:
  - panes:
      - { agent: lead, host: gpu }
      - { agent: boss, role: lead, host: gpu }
      - { agent: quiet, role: lead, host: gpu, mcp: false }
`,
  );
  assert.equal(layout, undefined);
  const text = problems.map(formatProblem).join('\n');
  assert.match(
    text,
    /l\.yaml:5:\d+ .*panes\[0\]\.host: a lead \(role: lead\) on host gpu cannot have the orchestrator's MCP tools yet .*expected the lead without host:/,
  );
  assert.match(text, /l\.yaml:6:\d+ .*panes\[1\]\.host: a lead \(role: lead\) on host gpu/);
  assert.doesNotMatch(text, /panes\[2\]/, 'mcp: false: a lead there without its tools, as asked');
});

test('fork_from on a host: from an agent of the same host it is kept; across machines it is refused with the place and why', (t) => {
  const ok = load(
    t,
    `hosts:
  gpu: { ssh: gpu }
  cpu: { ssh: cpu }
windows:
  - panes:
      - { agent: w1, host: gpu }
      - { agent: w2, host: gpu, fork_from: w1 }
`,
  );
  assert.deepEqual(ok.problems.map(formatProblem), []);
  assert.equal(ok.layout!.agents[1]!.forkFrom, 'w1');
  const { layout, problems } = load(
    t,
    `hosts:
  gpu: { ssh: gpu }
  cpu: { ssh: cpu }
windows:
  - panes:
      - { agent: w1, host: gpu }
      - { agent: w2, host: cpu, fork_from: w1 }
      - { agent: w3, fork_from: w1 }
`,
  );
  assert.equal(layout, undefined);
  const text = problems.map(formatProblem).join('\n');
  assert.match(
    text,
    /l\.yaml:7:\d+ .*panes\[1\]\.fork_from: "w1" runs on host gpu but "w2" on host cpu; a fork starts from a conversation where it is kept \(expected both on the same host\)/,
  );
  assert.match(text, /l\.yaml:8:\d+ .*panes\[2\]\.fork_from: "w1" runs on host gpu but "w3" on this machine/);
});
