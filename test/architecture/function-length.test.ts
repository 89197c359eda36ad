// Composition roots stay small: no function, method or arrow in src/ has a body over 80 lines,
// except the dashboard's page and its browser script (one template each).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { longFunctions } from './functions.js';
import { repoRoot } from '../helpers/paths.js';
import { tempDir } from '../helpers/tmux.js';

const MAX_LINES = 80;
const ALLOWED = ['src/dashboard/page.ts', 'src/dashboard/client.ts'];
// Not split yet (issue 22): counted in lines as Biome's formatter writes them (120 columns). Each
// may only shrink, and leaves this list when it is under the limit.
const NOT_YET_SPLIT: Record<string, number> = {
  'src/approvals/shell.ts list': 83,
  'src/cli/commands/dashboard.ts dashboardCommand': 86,
  'src/config/schema.ts check': 127,
  'src/dashboard/server.ts startDashboard': 91,
  'src/dashboard/view.ts buildView': 89,
  'src/demo/demo.ts runDemo': 90,
  'src/doctor/hosts.ts checkHost': 126,
  'src/hosts/remote.ts startOnHost': 124,
  'src/layout/load.ts resolvePane': 133,
  'src/layout/load.ts resolveLayout': 111,
  'src/notify/notify.ts notifier': 83,
  'src/recorder/effects.ts performEffects': 81,
  'src/recorder/recorder.ts startRecorder': 128,
  'src/session/freeze.ts freezeSession': 109,
  'src/session/start.ts start': 83,
  'src/standin/server.ts startStandin': 109,
  'src/tasks/tasks.ts schedule': 95,
  'src/workflow/load.ts resolveWorkflow': 99,
  'src/worktrees/merge.ts planAndMove': 84,
  'src/worktrees/prepare.ts prepareOne': 114,
};

test('the length check finds a long function, method and arrow, and is not fooled by braces in strings, templates, regexes or comments', (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'src'));
  writeFileSync(
    join(root, 'tsconfig.json'),
    JSON.stringify({ compilerOptions: { strict: true, noEmit: true }, include: ['src/**/*.ts'] }),
  );
  const body = (n: number): string => Array.from({ length: n }, (_, i) => `  x += ${i};`).join('\n');
  writeFileSync(
    join(root, 'src', 'a.ts'),
    [
      `export function long(): number {\n  let x = 0;\n${body(79)}\n  return x;\n}`,
      `export function short(): string {\n  const s = '}}}' + \`\${'{'}\` + String(/[{}]/.source); // }\n  /* } */\n${body(10)}\n  return s;\n}`,
      `export class C {\n  method(): number {\n    let x = 0;\n${body(79)}\n    return x;\n  }\n}`,
      `export const arrow = (): number => {\n  let x = 0;\n${body(79)}\n  return x;\n};`,
      `export function edge(): void {\n  let x = 0;\n${body(77)}\n}`,
    ].join('\n'),
  );
  const found = longFunctions(root, MAX_LINES);
  assert.deepEqual(
    found.map((f) => [f.name, f.lines]),
    [
      ['long', 83],
      ['method', 83],
      ['arrow', 83],
    ],
    'a body of 80 lines (edge) is not over',
  );
});

test(`no function in src/ is over ${MAX_LINES} lines (the dashboard's page and client aside)`, () => {
  const long = longFunctions(repoRoot, MAX_LINES).filter((f) => !ALLOWED.some((file) => f.at.startsWith(`${file}:`)));
  const grown = long.filter((f) => !(f.lines <= (NOT_YET_SPLIT[`${f.at.replace(/:\d+$/, '')} ${f.name}`] ?? 0)));
  assert.deepEqual(
    grown.map((f) => `${f.at} ${f.name}: ${f.lines} lines`),
    [],
  );
  const done = Object.keys(NOT_YET_SPLIT).filter(
    (key) => !long.some((f) => `${f.at.replace(/:\d+$/, '')} ${f.name}` === key),
  );
  assert.deepEqual(done, [], 'split now: take it off NOT_YET_SPLIT');
});
