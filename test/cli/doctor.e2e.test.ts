// `orchestrate doctor` run as a user runs it, with a throwaway HOME: trusted and untrusted project
// folders, onboarding, API key approval, CLAUDE_CONFIG_DIR, a bad layout, missing claude and tmux,
// and, with the real claude in a private tmux, that the fixes it prints really skip the dialogs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { claudeBin, claudeEnv, FAKE_API_KEY } from '../helpers/claude-env.js';
import { orchestrateScript } from '../helpers/cli.js';
import { privateServer, retryUntil, tempDir } from '../helpers/tmux.js';
import { detectDialog } from '../../src/drivers/claude/dialogs.js';
import { mergeJson, type Finding, type JsonPatch } from '../../src/doctor/types.js';

interface Report {
  ok: boolean;
  root: string;
  findings: Finding[];
}
interface Doctor {
  exitCode: number;
  stdout: string;
  stderr: string;
  report?: Report;
}

/** A project folder and a HOME whose ~/.claude.json trusts `trust` (none by default). */
function setup(
  t: TestContext,
  opts: { trust?: 'project' | 'parent' | 'none' } = {},
): { project: string; home: string; env: Record<string, string> } {
  const parent = realpathSync(tempDir(t));
  const project = join(parent, 'project');
  mkdirSync(project);
  const trusted = opts.trust === 'project' ? [project] : opts.trust === 'parent' ? [parent] : [];
  const { home, env } = claudeEnv(t, { standinUrl: 'http://127.0.0.1:9', trust: trusted });
  return { project, home, env: { ...env, CLAUDE_BIN: claudeBin, ORCH_NO_REBUILD: '1' } };
}

/** Runs `orchestrate doctor ...args` with exactly env (nothing from this process's environment). */
async function doctor(env: Record<string, string>, cwd: string, args: string[] = ['--json']): Promise<Doctor> {
  const r = await execa(orchestrateScript, ['doctor', ...args], {
    cwd,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  const out = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  return args.includes('--json') ? { ...out, report: JSON.parse(out.stdout) as Report } : out;
}

const finding = (d: Doctor, check: string): Finding => {
  const f = d.report!.findings.find((x) => x.check === check);
  assert.ok(f, `a ${check} finding in ${d.stdout}`);
  return f;
};
const problems = (d: Doctor): string[] => d.report!.findings.filter((f) => f.status === 'problem').map((f) => f.check);
const applyPatch = (patch: JsonPatch): void => {
  let base: Record<string, unknown> = {};
  try {
    base = JSON.parse(readFileSync(patch.file, 'utf8')) as Record<string, unknown>;
  } catch {
    /* created */
  }
  writeFileSync(patch.file, JSON.stringify(mergeJson(base, patch.merge), null, 2));
};

test('all good: a trusted project, the real claude version, tmux, exit 0', async (t) => {
  const { project, env } = setup(t, { trust: 'project' });
  const d = await doctor(env, project);
  assert.equal(d.exitCode, 0, d.stdout);
  assert.equal(d.report!.ok, true);
  assert.deepEqual(problems(d), []);
  assert.equal(d.report!.root, project);
  const realVersion = execFileSync(claudeBin, ['--version'], { env }).toString().trim();
  assert.equal(finding(d, 'claude').summary, `${realVersion} at ${claudeBin}`);
  assert.equal(finding(d, 'tmux').summary, execFileSync('tmux', ['-V']).toString().trim());
  assert.match(finding(d, 'trust').summary, new RegExp(`projects\\["${project}"\\]`));
  assert.equal(finding(d, 'auth').status, 'ok');
  assert.equal(finding(d, 'onboarding').status, 'ok');
  const text = await doctor(env, project, []);
  assert.equal(text.exitCode, 0);
  assert.match(text.stdout, /All good/);
});

test('a trusted parent covers the project; an untrusted project is a problem whose fix names the folder', async (t) => {
  const covered = setup(t, { trust: 'parent' });
  const ok = await doctor(covered.env, covered.project);
  assert.equal(ok.exitCode, 0, ok.stdout);
  assert.match(finding(ok, 'trust').summary, /trusted/);

  const { project, home, env } = setup(t, { trust: 'none' });
  const bad = await doctor(env, project);
  assert.equal(bad.exitCode, 1);
  assert.deepEqual(problems(bad), ['trust']);
  const trust = finding(bad, 'trust');
  assert.ok(trust.fix!.includes(`run \`claude\` once in ${project}`), trust.fix);
  assert.ok(trust.fix!.includes(`"${project}": {\n      "hasTrustDialogAccepted": true`), trust.fix);
  assert.deepEqual(trust.patch, {
    file: join(home, '.claude.json'),
    merge: { projects: { [project]: { hasTrustDialogAccepted: true } } },
  });
  const text = await doctor(env, project, []);
  assert.equal(text.exitCode, 1);
  assert.match(text.stdout, /PROBLEM\s+trust/);
  assert.match(text.stdout, /1 problem/);

  applyPatch(trust.patch!);
  assert.equal((await doctor(env, project)).exitCode, 0, 'the printed fix is enough');

  // In the home folder, claude does not remember an accepted dialog: only the JSON entry helps.
  const atHome = await doctor(env, home);
  assert.deepEqual(problems(atHome), ['trust']);
  assert.match(finding(atHome, 'trust').fix!, /^add to .*does not remember trust accepted in the home folder/);
});

test('onboarding not done and an API key never approved: exact entries, which work once added', async (t) => {
  const { project, home, env } = setup(t, { trust: 'project' });
  const config = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')) as Record<string, unknown>;
  delete config.hasCompletedOnboarding;
  config.customApiKeyResponses = { approved: ['someone-elses-key-20'], rejected: [FAKE_API_KEY.slice(-20)] };
  writeFileSync(join(home, '.claude.json'), JSON.stringify(config));
  const d = await doctor(env, project);
  assert.equal(d.exitCode, 1);
  assert.deepEqual(problems(d).sort(), ['auth', 'onboarding']);
  const auth = finding(d, 'auth');
  assert.match(auth.summary, /was rejected/);
  assert.deepEqual(auth.patch!.merge, {
    customApiKeyResponses: { approved: ['someone-elses-key-20', FAKE_API_KEY.slice(-20)], rejected: [] },
  });
  assert.ok(auth.fix!.includes(FAKE_API_KEY.slice(-20)));
  assert.ok(finding(d, 'onboarding').fix!.includes('"hasCompletedOnboarding": true'));
  for (const f of d.report!.findings) if (f.patch) applyPatch(f.patch);
  const fixed = await doctor(env, project);
  assert.equal(fixed.exitCode, 0, fixed.stdout);
  assert.match(finding(fixed, 'auth').summary, /approved/);

  // No key and no login at all.
  const { ANTHROPIC_API_KEY: _, ...noKey } = env;
  const none = await doctor(noKey, project);
  assert.equal(none.exitCode, 1);
  assert.match(finding(none, 'auth').summary, /no credentials/);
  assert.equal((await doctor({ ...noKey, ANTHROPIC_AUTH_TOKEN: 'token' }, project)).exitCode, 0);
});

test('CLAUDE_CONFIG_DIR is where claude (and so the doctor) reads its config', async (t) => {
  const { project, home, env } = setup(t, { trust: 'project' });
  const configDir = join(tempDir(t), 'claude-config');
  mkdirSync(configDir);
  const d = await doctor({ ...env, CLAUDE_CONFIG_DIR: configDir }, project);
  assert.equal(d.exitCode, 1);
  assert.deepEqual(problems(d).sort(), ['auth', 'onboarding', 'trust']);
  for (const f of d.report!.findings) if (f.patch) assert.equal(f.patch.file, join(configDir, '.claude.json'));
  writeFileSync(join(configDir, '.claude.json'), readFileSync(join(home, '.claude.json')));
  assert.equal((await doctor({ ...env, CLAUDE_CONFIG_DIR: configDir }, project)).exitCode, 0);
});

test('a bad layout, claude missing, tmux missing, bypass agents as root', async (t) => {
  const { project, env } = setup(t, { trust: 'project' });
  const layout = join(project, 'bad.yaml');
  writeFileSync(layout, 'windows:\n  - name: a\n    layot: tiled\n    panes:\n      - agent: w\n');
  const bad = await doctor(env, project, ['--json', '--layout', layout]);
  assert.equal(bad.exitCode, 1);
  assert.deepEqual(problems(bad), ['layout']);
  assert.match(finding(bad, 'layout').summary, /bad\.yaml:3:5 windows\[0\]\.layot: unknown key "layot"/);

  const noClaude = await doctor({ ...env, CLAUDE_BIN: join(project, 'no-such-claude') }, project);
  assert.equal(noClaude.exitCode, 1);
  assert.deepEqual(problems(noClaude), ['claude']);
  assert.match(finding(noClaude, 'claude').summary, /CLAUDE_BIN is .*no-such-claude, which is not an executable/);

  // A PATH that has node but no tmux.
  const bin = join(tempDir(t), 'bin');
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  const noTmux = await doctor({ ...env, PATH: bin }, project);
  assert.equal(noTmux.exitCode, 1);
  assert.deepEqual(problems(noTmux), ['tmux']);
  assert.match(finding(noTmux, 'tmux').fix!, /apt-get install tmux/);

  const bypass = join(project, 'bypass.yaml');
  writeFileSync(
    bypass,
    'windows:\n  - name: a\n    panes:\n      - agent: w\n        permission_mode: bypassPermissions\n',
  );
  const { IS_SANDBOX: _, ...notSandboxed } = env;
  const settings = join(env.HOME!, '.claude', 'settings.json');
  writeFileSync(settings, '{}');
  const b = await doctor(notSandboxed, project, ['--json', '--layout', bypass]);
  assert.equal(b.exitCode, 1);
  assert.deepEqual(problems(b).sort(), process.getuid?.() === 0 ? ['bypass', 'bypass-root'] : ['bypass']);
  applyPatch(finding(b, 'bypass').patch!);
  const fixed = await doctor(env, project, ['--json', '--layout', bypass]);
  assert.equal(fixed.exitCode, 0, fixed.stdout);
});

test('the real claude agrees: the dialogs doctor reports are shown, and its fixes make claude start without them', {
  timeout: 120_000,
}, async (t) => {
  const { project, home, env } = setup(t, { trust: 'none' });
  const config = JSON.parse(readFileSync(join(home, '.claude.json'), 'utf8')) as Record<string, unknown>;
  config.customApiKeyResponses = { approved: [], rejected: [] };
  writeFileSync(join(home, '.claude.json'), JSON.stringify(config));
  const sub = join(project, 'sub');
  mkdirSync(sub);
  // The project is the layout's root; the agent works in a subfolder of it.
  const layout = join(project, 'team.yaml');
  writeFileSync(layout, 'root: .\nwindows:\n  - name: a\n    panes:\n      - agent: w\n        cwd: sub\n');
  const d = await doctor(env, project, ['--json', '--layout', layout]);
  assert.deepEqual(problems(d).sort(), ['auth', 'trust']);
  assert.deepEqual(finding(d, 'trust').patch!.merge, { projects: { [project]: { hasTrustDialogAccepted: true } } });

  const server = privateServer(t);
  const launch = ['-c', sub, ...Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`]), claudeBin];
  const screen = (): Promise<string> => server.cmd(['capture-pane', '-p', '-t', 'doc']);
  await server.cmd(['new-session', '-d', '-s', 'doc', '-x', '160', '-y', '48', ...launch]);
  const shown = await retryUntil(async () => detectDialog(await screen()), 45_000, 'the trust dialog');
  assert.match(shown, /folder trust/);

  // The fixes, applied as printed (trust on the project covers its subfolder): claude starts without a dialog.
  for (const f of d.report!.findings) if (f.patch) applyPatch(f.patch);
  assert.equal((await doctor(env, project, ['--json', '--layout', layout])).exitCode, 0);
  await server.cmd(['respawn-pane', '-k', '-t', 'doc', ...launch]);
  const ready = await retryUntil(
    async () => {
      const s = await screen();
      return /\? for shortcuts/.test(s) && s;
    },
    45_000,
    'claude ready',
  );
  assert.equal(detectDialog(ready), undefined);
});
