// The doctor's checks of each host a layout sends agents to, in one ssh call per host after the
// login: ssh without a prompt, tmux, claude and its version, each agent's folder, and what would
// hold its agents at a first-run dialog there (folder trust, onboarding, credentials), judged by
// the same checks as this machine's from the files claude reads there. Claude's login file is
// only tested for being there; its contents never leave the host.
import { posix } from 'node:path';
import type { HostSpec, Layout } from '../layout/types.js';
import { checkOnHost, isUnreachable } from '../ssh/ssh.js';
import { remoteHome, targetOf } from '../hosts/remote.js';
import { quote } from '../util/shell-quote.js';
import type { JsonFile } from './claude-config.js';
import { checkAuth, checkOnboarding, checkTrust } from './setup-checks.js';
import { parseTmuxVersion, pinnedClaudeVersion } from './tools.js';
import { ok, problem, warning, type Finding } from './types.js';

/** Environment variables there that change what claude reads or how it logs in. */
const RELEVANT = [
  'CLAUDE_CONFIG_DIR',
  'ANTHROPIC_API_KEY',
  'ANTHROPIC_AUTH_TOKEN',
  'CLAUDE_CODE_OAUTH_TOKEN',
  'CLAUDE_CODE_USE_BEDROCK',
  'CLAUDE_CODE_USE_VERTEX',
  'CLAUDE_CODE_USE_FOUNDRY',
  'CLAUDE_CODE_SANDBOXED',
];

/** The probe run there: one "key<TAB>base64" line per fact, so no text of the host's is ever parsed as ours. */
export function probeScript(claude: string, env: Record<string, string>, dirs: readonly string[]): string {
  const b64 = (cmd: string): string => `$( { ${cmd}; } 2>&1 | base64 | tr -d '\\n')`;
  const exports = Object.entries(env)
    .filter(([k]) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map(([k, v]) => `export ${k}=${quote(v)}`);
  return [
    ...exports,
    `printf 'tmux\\t%s\\n' "${b64('command -v tmux >/dev/null && tmux -V')}"`,
    `printf 'claude\\t%s\\n' "${b64(`command -v ${quote(claude)} && ${quote(claude)} --version`)}"`,
    ...RELEVANT.map((k) => `printf 'env:${k}\\t%s\\n' "$(printf %s "\${${k}:-}" | base64 | tr -d '\\n')"`),
    // (The shell's own ${...}, not a template's.)
    `cfg="\${CLAUDE_CONFIG_DIR:-$HOME}/.claude.json"; dir="\${CLAUDE_CONFIG_DIR:-$HOME/.claude}"`,
    `printf 'config-file\\t%s\\n' "$(printf %s "$cfg" | base64 | tr -d '\\n')"`,
    `[ -f "$cfg" ] && printf 'config\\t%s\\n' "$(base64 < "$cfg" | tr -d '\\n')"`,
    `[ -f "$dir/settings.json" ] && printf 'settings\\t%s\\n' "$(base64 < "$dir/settings.json" | tr -d '\\n')"`,
    `[ -s "$dir/.credentials.json" ] && printf 'credentials\\t%s\\n' "$(printf %s "$dir/.credentials.json" | base64 | tr -d '\\n')"`,
    ...dirs.map((d, i) => `[ -d ${quote(d)} ] && printf 'dir:${i}\\tok\\n'`),
    'exit 0',
    '',
  ].join('\n');
}

const decode = (v: string | undefined): string => (v ? Buffer.from(v, 'base64').toString('utf8') : '');

function jsonOf(file: string, text: string | undefined): JsonFile {
  if (text === undefined) return { file, exists: false, data: {} };
  try {
    const data = JSON.parse(text) as unknown;
    return typeof data === 'object' && data !== null && !Array.isArray(data)
      ? { file, exists: true, data: data as Record<string, unknown> }
      : { file, exists: true, data: {}, error: 'it is not a JSON object' };
  } catch (error) {
    return { file, exists: true, data: {}, error: `it is not valid JSON (${(error as Error).message})` };
  }
}

/** Every check of one host, each finding's summary starting with "host NAME:". */
export async function checkHost(host: HostSpec, layout: Layout): Promise<Finding[]> {
  const target = targetOf(host);
  const label = (text: string): string =>
    `host ${host.name} (${host.ssh}${host.port ? ` port ${host.port}` : ''}): ${text}`;
  let home: string;
  try {
    home = await remoteHome(target);
  } catch (error) {
    const why = isUnreachable(error) ? error.detail : (error as Error).message;
    return [
      problem(
        'host',
        label(`cannot log in without a prompt (${why})`),
        `make \`ssh -o BatchMode=yes ${host.ssh}${host.port ? ` -p ${host.port}` : ''} true\` work: put your key there (ssh-copy-id ${host.ssh}), or load it into ssh-agent (ssh-add); for a name of ~/.ssh/config check its HostName, User and Port`,
      ),
    ];
  }
  const found: Finding[] = [ok('host', label(`ssh logs in without a prompt (HOME ${home})`))];
  const root = posix.resolve(home, host.root ?? '.');
  const agents = layout.agents.filter((a) => a.host === host.name);
  const dirs = [...new Set([root, ...agents.map((a) => posix.resolve(root, a.cwd))])];
  const env = { ...layout.env, ...host.env };
  const out = await checkOnHost(target, ['sh', '-s'], {
    input: probeScript(host.claude, env, dirs),
    timeoutMs: 60_000,
  });
  const facts = new Map(
    out
      .split('\n')
      .map((l) => l.split('\t'))
      .filter((p) => p.length === 2)
      .map(([k, v]) => [k!, v!]),
  );

  const tmux = decode(facts.get('tmux')).trim();
  const version = parseTmuxVersion(tmux);
  if (!version)
    found.push(
      problem(
        'host-tmux',
        label(`tmux is not there (${tmux || 'not on PATH'})`),
        `install tmux there: ssh ${host.ssh} sudo apt-get install -y tmux (Debian/Ubuntu), sudo dnf install tmux, brew install tmux`,
      ),
    );
  else if (version[0] < 3)
    found.push(problem('host-tmux', label(`${tmux} is older than 3.0`), 'install tmux 3.0 or newer there'));
  else found.push(ok('host-tmux', label(tmux)));

  const claude = decode(facts.get('claude')).trim().split('\n');
  const claudeVersion = /\d+\.\d+\.\d+\S*/.exec(claude[1] ?? '')?.[0];
  if (!claudeVersion) {
    found.push(
      problem(
        'host-claude',
        label(`${host.claude} does not run there (${claude.join(' ').slice(0, 200) || 'not on PATH'})`),
        `install Claude Code there (ssh ${host.ssh} npm install -g @anthropic-ai/claude-code), or set the host's claude: to its full path`,
      ),
    );
  } else {
    found.push(ok('host-claude', label(`claude ${claudeVersion} at ${claude[0]}`)));
    const pinned = pinnedClaudeVersion();
    if (pinned && claudeVersion !== pinned)
      found.push(
        warning(
          'host-claude-version',
          label(`claude ${claudeVersion} is not the version this toolkit is tested with (${pinned})`),
          `npm install -g @anthropic-ai/claude-code@${pinned} there`,
        ),
      );
  }

  const missing = dirs.filter((_, i) => facts.get(`dir:${i}`) !== 'ok');
  if (missing.length)
    found.push(
      problem(
        'host-dirs',
        label(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not there`),
        `create ${missing.length === 1 ? 'it' : 'them'} there (ssh ${host.ssh} mkdir -p ${missing.map(quote).join(' ')}), or set the host's root: or the agents' cwd:`,
      ),
    );
  else found.push(ok('host-dirs', label(`${dirs.length === 1 ? dirs[0] : `${dirs.length} folders`} there`)));

  // What claude there reads: the host's environment, then the layout's and the host's env:.
  const remoteEnv: NodeJS.ProcessEnv = { HOME: home };
  for (const k of RELEVANT) {
    const v = decode(facts.get(`env:${k}`));
    if (v) remoteEnv[k] = v;
  }
  Object.assign(remoteEnv, env);
  const configFile = decode(facts.get('config-file'));
  const configDir = remoteEnv.CLAUDE_CONFIG_DIR || posix.join(home, '.claude');
  const config = jsonOf(configFile, facts.has('config') ? decode(facts.get('config')) : undefined);
  const settings = jsonOf(
    posix.join(configDir, 'settings.json'),
    facts.has('settings') ? decode(facts.get('settings')) : undefined,
  );
  const credentials: JsonFile = {
    file: posix.join(configDir, '.credentials.json'),
    exists: facts.has('credentials'),
    data: facts.has('credentials') ? { login: true } : {},
  };
  for (const f of [config, settings])
    if (f.error)
      found.push(
        problem('host-claude-config', label(`${f.file} cannot be read: ${f.error}`), `repair ${f.file} there`),
      );
  const there = (f: Finding): Finding => ({
    ...f,
    check: `host-${f.check}`,
    summary: label(f.summary),
    ...(f.fix ? { fix: `on ${host.name} (ssh ${host.ssh}): ${f.fix}` } : {}),
  });
  found.push(
    there(
      checkTrust(
        config,
        remoteEnv,
        agents.map((a) => posix.resolve(root, a.cwd)),
        root,
      ),
    ),
    there(checkOnboarding(config)),
    there(checkAuth(config, settings, credentials, remoteEnv)),
  );
  return found;
}

/** The checks of every host the layout's agents use, hosts side by side. */
export async function checkHosts(layout: Layout): Promise<Finding[]> {
  const used = Object.values(layout.hosts).filter((h) => layout.agents.some((a) => a.host === h.name));
  return (
    await Promise.all(
      used.map((h) =>
        checkHost(h, layout).catch((error: Error) => [
          problem('host', `host ${h.name}: the check failed: ${error.message}`, `run ssh ${h.ssh} yourself and look`),
        ]),
      ),
    )
  ).flat();
}
