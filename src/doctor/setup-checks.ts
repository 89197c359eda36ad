// Would an agent stop at one of Claude Code's start-up dialogs? Each check reads what the CLI reads
// (~/.claude.json, ~/.claude/settings.json, the environment) and names the exact fix.
import { realpathSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { envTrue, type JsonFile } from './claude-config.js';
import { ok, problem, type Finding } from './types.js';

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : []);
const json = (v: unknown): string => JSON.stringify(v, null, 2);

/** The trusted entry of ~/.claude.json that covers dir (dir itself or a parent), if any. */
export function trustedBy(config: Record<string, unknown>, dir: string): string | undefined {
  const projects = obj(config.projects);
  let real = resolve(dir);
  try {
    real = realpathSync(real);
  } catch {
    /* not there: check the path as given */
  }
  for (let d = real; ; d = dirname(d)) {
    if (obj(projects[d]).hasTrustDialogAccepted === true) return d;
    if (dirname(d) === d) return undefined;
  }
}

/** Folder trust for every directory an agent starts in. `roots` are trusted as a whole when a fix is needed. */
export function checkTrust(config: JsonFile, env: NodeJS.ProcessEnv, dirs: string[], root: string): Finding {
  if (envTrue(env.CLAUDE_CODE_SANDBOXED))
    return ok('trust', 'CLAUDE_CODE_SANDBOXED is set: Claude Code trusts every folder');
  const untrusted = dirs.filter((d) => !trustedBy(config.data, d));
  if (!untrusted.length) {
    const by = [...new Set(dirs.map((d) => trustedBy(config.data, d)!))];
    return ok(
      'trust',
      `${dirs.length === 1 ? dirs[0] : `${dirs.length} agent folders`} trusted (${by.map((b) => `projects["${b}"]`).join(', ')} in ${config.file})`,
    );
  }
  // Trusting the project root covers every agent folder under it; a folder outside needs its own entry.
  let realRoot = resolve(root);
  try {
    realRoot = realpathSync(realRoot);
  } catch {
    /* as given */
  }
  const inside = (d: string): boolean => {
    let r = d;
    try {
      r = realpathSync(d);
    } catch {
      /* as given */
    }
    return r === realRoot || r.startsWith(`${realRoot}/`);
  };
  const targets = [
    ...new Set(
      untrusted.map((d) => {
        if (inside(d)) return realRoot;
        try {
          return realpathSync(d);
        } catch {
          return resolve(d);
        }
      }),
    ),
  ];
  const projects = obj(config.data.projects);
  const merge = {
    projects: Object.fromEntries(targets.map((t) => [t, { ...obj(projects[t]), hasTrustDialogAccepted: true }])),
  };
  const add = { projects: Object.fromEntries(targets.map((t) => [t, { hasTrustDialogAccepted: true }])) };
  // Claude Code does not remember a trust accepted in the home folder (it holds for that session only).
  let home = env.HOME ? resolve(env.HOME) : undefined;
  try {
    if (home) home = realpathSync(home);
  } catch {
    /* as given */
  }
  const byDialog = targets.filter((t) => t !== home);
  const how =
    byDialog.length === targets.length
      ? `run \`claude\` once in ${targets.join(' and once in ')} and choose "Yes, I trust this folder" (trust covers subfolders), or add to ${config.file}:`
      : `add to ${config.file} (claude does not remember trust accepted in the home folder ${home}, so answering the dialog there is not enough):`;
  return problem(
    'trust',
    `${untrusted.join(', ')} ${untrusted.length === 1 ? 'is' : 'are'} not trusted in ${config.file}: the agents would stop at the folder trust dialog`,
    `${how}\n${json(add)}`,
    { file: config.file, merge },
  );
}

/** First-run onboarding: without it claude checks connectivity to api.anthropic.com (ignoring ANTHROPIC_BASE_URL). */
export function checkOnboarding(config: JsonFile): Finding {
  if (config.data.hasCompletedOnboarding === true)
    return ok('onboarding', `completed (hasCompletedOnboarding in ${config.file})`);
  return problem(
    'onboarding',
    `not completed (${config.exists ? `no "hasCompletedOnboarding": true in ${config.file}` : `${config.file} does not exist`}): the agents would stop at first-run onboarding`,
    `run \`claude\` once (with network access) and finish onboarding, or add to ${config.file}:\n${json({ hasCompletedOnboarding: true })}`,
    { file: config.file, merge: { hasCompletedOnboarding: true } },
  );
}

/**
 * How claude will authenticate. An ANTHROPIC_API_KEY the user never approved makes claude ask
 * "Do you want to use this API key?" with the answer No preselected; the CLI stores approvals as
 * the key's last 20 characters in customApiKeyResponses.approved.
 */
export function checkAuth(
  config: JsonFile,
  settings: JsonFile,
  credentials: JsonFile,
  env: NodeJS.ProcessEnv,
): Finding {
  for (const [v, what] of [
    ['CLAUDE_CODE_USE_BEDROCK', 'Amazon Bedrock'],
    ['CLAUDE_CODE_USE_VERTEX', 'Google Vertex AI'],
    ['CLAUDE_CODE_USE_FOUNDRY', 'Microsoft Foundry'],
  ] as const) {
    if (envTrue(env[v]))
      return ok('auth', `${v} is set: claude uses ${what} (its cloud credentials are not checked here)`);
  }
  const key = env.ANTHROPIC_API_KEY;
  if (key) {
    const tail = key.slice(-20);
    const responses = obj(config.data.customApiKeyResponses);
    const approved = strings(responses.approved);
    const rejected = strings(responses.rejected);
    if (approved.includes(tail))
      return ok('auth', `ANTHROPIC_API_KEY (…${key.slice(-4)}) is set and approved in ${config.file}`);
    const merge = {
      customApiKeyResponses: { approved: [...approved, tail], rejected: rejected.filter((r) => r !== tail) },
    };
    const was = rejected.includes(tail) ? 'was rejected (customApiKeyResponses.rejected)' : 'is not approved';
    return problem(
      'auth',
      `ANTHROPIC_API_KEY (…${key.slice(-4)}) ${was} in ${config.file}: the agents would stop at "Do you want to use this API key?" (default No)`,
      `run \`claude\` once with this key and choose "Yes", or set in ${config.file} (the list holds the last 20 characters of each approved key):\n${json(merge)}`,
      { file: config.file, merge },
    );
  }
  if (env.ANTHROPIC_AUTH_TOKEN) return ok('auth', 'ANTHROPIC_AUTH_TOKEN is set: claude sends it as a bearer token');
  if (env.CLAUDE_CODE_OAUTH_TOKEN)
    return ok('auth', 'CLAUDE_CODE_OAUTH_TOKEN is set: claude uses that Claude account token');
  if (typeof settings.data.apiKeyHelper === 'string')
    return ok('auth', `apiKeyHelper in ${settings.file} supplies the API key`);
  if (typeof config.data.primaryApiKey === 'string') return ok('auth', `an API key saved by /login in ${config.file}`);
  if (credentials.exists && Object.keys(credentials.data).length)
    return ok('auth', `a Claude account login (/login) in ${credentials.file}`);
  return problem(
    'auth',
    'no credentials: ANTHROPIC_API_KEY is not set and claude has no login, so the agents would stop at the login screen',
    'export ANTHROPIC_API_KEY=<your key> before ./start.mts (then approve it: run `orchestrate doctor` again for the exact entry), ' +
      'or run `claude` once and log in with /login',
  );
}

/** Agents in bypassPermissions mode: claude shows a warning whose default is "No, exit", and refuses to run as root outside a sandbox. */
export function checkBypass(settings: JsonFile, env: NodeJS.ProcessEnv, agents: string[], isRoot: boolean): Finding[] {
  const found: Finding[] = [];
  const who = agents.join(', ');
  if (settings.data.skipDangerousModePermissionPrompt === true)
    found.push(ok('bypass', `bypass-permissions warning already accepted (${settings.file})`));
  else {
    found.push(
      problem(
        'bypass',
        `${who} run${agents.length === 1 ? 's' : ''} with bypassPermissions, and the bypass warning (default "No, exit") was never accepted`,
        `run \`claude --dangerously-skip-permissions\` once and accept the warning, or add to ${settings.file}:\n${json({ skipDangerousModePermissionPrompt: true })}`,
        { file: settings.file, merge: { skipDangerousModePermissionPrompt: true } },
      ),
    );
  }
  if (isRoot && env.IS_SANDBOX !== '1' && !env.CLAUDE_CODE_BUBBLEWRAP) {
    found.push(
      problem(
        'bypass-root',
        `running as root: claude refuses bypassPermissions for ${who} and exits 1`,
        'run as a normal user, or, inside a container or VM you can throw away, set IS_SANDBOX: "1" in the layout\'s env',
      ),
    );
  }
  return found;
}
