// The driver seam, checked (docs/architecture.md): Claude's hook names live in its kind
// (src/drivers/claude/), "is it headless?" and "is it on a host?" are answered by the drivers. What
// still asks outside them is listed below with how many times it asks: a file may only go down
// (lower its count, or drop it, when you move its questions behind the seam), never up, and no
// new file may start asking.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { repoRoot } from '../helpers/paths.js';
import { importGraph } from './imports.js';

const sources = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : /\.m?ts$/.test(e.name) ? [join(dir, e.name)] : [],
  );
/** A module's code without its comments (a comment may name a hook to say what a line means). */
const code = (file: string): string =>
  readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
const modules = sources(join(repoRoot, 'src')).map((f) => ({ path: relative(repoRoot, f), code: code(f) }));

/** Files (outside the folders that may ask) and how many times each matches. */
function askers(pattern: RegExp, mayAsk: readonly string[]): Record<string, number> {
  const found: Record<string, number> = {};
  for (const m of modules) {
    if (mayAsk.some((dir) => m.path.startsWith(dir))) continue;
    const n = m.code.match(pattern)?.length ?? 0;
    if (n) found[m.path] = n;
  }
  return found;
}

/** The ratchet: nothing beyond the allowance, and an allowance that is no longer used must be lowered. */
function assertAllowed(found: Record<string, number>, allowed: Record<string, number>, what: string): void {
  const over = Object.entries(found)
    .filter(([f, n]) => n > (allowed[f] ?? 0))
    .map(([f, n]) => `${f}: ${n} (allowed ${allowed[f] ?? 0})`);
  assert.deepEqual(over, [], `${what} outside the drivers: ask the agent's driver instead (src/drivers/driver.ts)`);
  const stale = Object.entries(allowed)
    .filter(([f, n]) => (found[f] ?? 0) < n)
    .map(([f, n]) => `${f}: ${found[f] ?? 0} (allowed ${n})`);
  assert.deepEqual(stale, [], `fewer ${what} than allowed: lower the allowance in test/architecture/seam.test.ts`);
}

/** Claude Code's hook event names (src/agents/hooks.ts). */
const HOOK_NAMES =
  /\b(?:SessionStart|UserPromptSubmit|PreToolUse|PostToolUse|Stop|StopFailure|Notification|PermissionRequest|SessionEnd)\b/g;
/** Claude's hooks still named outside its kind folder: its fork's wait for the parent's answer, its approval hook and that hook's answer. */
const HOOK_NAMES_ALLOWED: Record<string, number> = {
  'src/agents/fork.ts': 1,
  'src/approvals/hook.ts': 1,
  'src/approvals/approvals.ts': 1,
};

/** "Is it headless?" (or interactive) asked of an agent's mode. */
const MODE_QUESTION = /\bmode\s*[!=]==\s*'(?:headless|interactive)'/g;
const MODE_ALLOWED: Record<string, number> = {
  'src/agents/launch.ts': 6,
  'src/layout/forks.ts': 1,
  'src/session/freeze.ts': 2,
  'src/handover/render.ts': 2,
  'src/session/plan.ts': 1,
  'src/session/start.ts': 1,
};

/** "Is it on a host?" asked of an agent's (or its spec's) host. */
const HOST_QUESTION = /\b(?:agent|a|spec|record|parent|child|s)\??\.host\b/g;
const HOST_ALLOWED: Record<string, number> = {
  'src/cli/commands/status.ts': 3,
  'src/dashboard/client.ts': 2,
  'src/dashboard/view.ts': 2,
  'src/doctor/doctor.ts': 2,
  'src/doctor/hosts.ts': 2,
  'src/layout/branches.ts': 4,
  // A layout's fork across machines is refused before any agent (or driver) exists.
  'src/layout/forks.ts': 4,
  'src/layout/load.ts': 1,
  'src/recorder/host-links.ts': 2,
  'src/session/recover.ts': 1,
  'src/session/start.ts': 12,
  'src/worktrees/prepare.ts': 1,
};

test('the checks find what they look for', () => {
  assert.ok(modules.length > 50, `modules: ${modules.length}`);
  assert.equal(
    "if (e.hook_event_name === 'Stop') x(); // a Stop".replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1').match(HOOK_NAMES)
      ?.length,
    1,
  );
  assert.equal("agent.mode === 'headless' || a.mode !== 'interactive'".match(MODE_QUESTION)?.length, 2);
  assert.equal('if (agent.host && !a?.host) url.host'.match(HOST_QUESTION)?.length, 2);
  assert.throws(() => assertAllowed({ 'src/x.ts': 2 }, { 'src/x.ts': 1 }, 'questions'), /outside the drivers/);
  assert.throws(() => assertAllowed({}, { 'src/x.ts': 1 }, 'questions'), /lower the allowance/);
});

test('Claude hook names only in its kind (src/drivers/claude/) and the listed adapters', () => {
  assertAllowed(askers(HOOK_NAMES, ['src/drivers/claude/']), HOOK_NAMES_ALLOWED, 'Claude hook names');
});

test('the store, task rules, limits and approvals read neutral events: no hook name in their event rules', () => {
  for (const f of [
    'src/recorder/reduce.ts',
    'src/recorder/apply.ts',
    'src/tasks/tasks.ts',
    'src/fleet/limits.ts',
    'src/fleet/budget.ts',
    'src/workflow/runs.ts',
  ]) {
    assert.deepEqual(modules.find((m) => m.path === f)?.code.match(HOOK_NAMES) ?? [], [], f);
  }
  assert.deepEqual(
    modules
      .filter(
        (m) =>
          /hook_event_name/.test(m.code) && /^src\/(?:recorder\/(?:reduce|apply)|tasks|fleet|workflow)\b/.test(m.path),
      )
      .map((m) => m.path),
    [],
  );
});

test("src/drivers/claude/ is Claude's knowledge only: it imports nothing but src/core/, src/util/ and the store's types, so any layer may use it", () => {
  const graph = importGraph(repoRoot);
  const ok = (t: string): boolean =>
    ['src/drivers/claude/', 'src/core/', 'src/util/'].some((d) => t.startsWith(d)) || t === 'src/store/types.ts';
  assert.deepEqual(
    [...graph].flatMap(([f, tos]) =>
      f.startsWith('src/drivers/claude/') ? tos.filter((t) => !ok(t)).map((t) => `${f} -> ${t}`) : [],
    ),
    [],
  );
});

test('"is it headless?" only in the drivers, the headless runner, the CLI and the listed files', () => {
  assertAllowed(
    askers(MODE_QUESTION, ['src/drivers/', 'src/headless/', 'src/cli/']),
    MODE_ALLOWED,
    '"is it headless?" questions',
  );
});

test('"is it on a host?" only in the drivers, hosts, ssh, tmux and the listed files', () => {
  assertAllowed(
    askers(HOST_QUESTION, ['src/drivers/', 'src/hosts/', 'src/ssh/', 'src/tmux/']),
    HOST_ALLOWED,
    '"is it on a host?" questions',
  );
});
