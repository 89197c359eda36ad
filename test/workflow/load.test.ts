// Workflow files: each bad one names file:line:col, the field, and what would be right.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmux.js';
import { findCycle, loadWorkflow, renderPrompt } from '../../src/workflow/load.js';
import { formatProblem } from '../../src/config/source.js';
import { repoRoot } from '../helpers/paths.js';

const agents = [
  { name: 'lead', role: 'lead' },
  { name: 'worker-1', role: 'worker' },
  { name: 'worker-2', role: 'worker' },
];

const cases: { name: string; yaml: string; expect: string[] }[] = [
  { name: 'no tasks key', yaml: 'name: x\n', expect: [':1:1 tasks: is missing'] },
  {
    name: 'cycle of two',
    yaml: 'tasks:\n  a: {agent: lead, prompt: x, needs: [b]}\n  b: {agent: lead, prompt: y, needs: [a]}\n',
    expect: [":2:38 tasks.a.needs: the tasks' needs form a cycle: a -> b -> a"],
  },
  {
    name: 'cycle of three',
    yaml: 'tasks:\n  a: {agent: lead, prompt: x, needs: [c]}\n  b: {agent: lead, prompt: y, needs: [a]}\n  c: {agent: lead, prompt: z, needs: [b]}\n',
    expect: ['a -> c -> b -> a'],
  },
  {
    name: 'needs itself',
    yaml: 'tasks:\n  a: {agent: lead, prompt: x, needs: [a]}\n',
    expect: [':2:39 tasks.a.needs[0]: task "a" needs itself'],
  },
  {
    name: 'unknown need',
    yaml: 'tasks:\n  plan: {agent: lead, prompt: x}\n  build: {agent: lead, prompt: y, needs: [plann]}\n',
    expect: [':3:43 tasks.build.needs[0]: unknown task "plann" (did you mean "plan"? tasks: plan, build)'],
  },
  {
    name: 'unknown agent',
    yaml: 'tasks:\n  a: {agent: worker-3, prompt: x}\n',
    expect: [
      ':2:14 tasks.a.agent: no agent named "worker-3" in this session (did you mean "worker-1"? agents: lead, worker-1, worker-2)',
    ],
  },
  {
    name: 'unknown role',
    yaml: 'tasks:\n  a: {role: workers, prompt: x}\n',
    expect: [
      ':2:13 tasks.a.role: no agent has role "workers" in this session (did you mean "worker"? roles: lead, worker)',
    ],
  },
  {
    name: 'neither agent nor role',
    yaml: 'tasks:\n  a: {prompt: x}\n',
    expect: [':2:6 tasks.a: says neither "agent" nor "role"'],
  },
  {
    name: 'both agent and role',
    yaml: 'tasks:\n  a: {agent: lead, role: worker, prompt: x}\n',
    expect: [':2:26 tasks.a.role: has both "agent" and "role"'],
  },
  {
    name: 'placeholder for a task not needed',
    yaml: 'tasks:\n  a: {agent: lead, prompt: x}\n  b: {agent: lead, prompt: "use {{ tasks.a.result }}"}\n',
    expect: [':3:28 tasks.b.prompt: {{ tasks.a.result }} uses task "a", which this task does not need'],
  },
  {
    name: 'unknown placeholder',
    yaml: 'tasks:\n  a: {agent: lead, prompt: "{{ task.a.output }}"}\n',
    expect: [
      ':2:28 tasks.a.prompt: unknown placeholder {{ task.a.output }} (expected {{ tasks.NAME.result }} or {{ tasks.NAME.agent }})',
    ],
  },
  {
    name: 'bad task name',
    yaml: 'tasks:\n  "1st": {agent: lead, prompt: x}\n',
    expect: [':2:10 tasks.1st: "1st" is not a task name'],
  },
  {
    name: 'negative retries',
    yaml: 'tasks:\n  a: {agent: lead, prompt: x, retries: -1}\n',
    expect: [':2:40 tasks.a.retries: is -1 (expected a number from 0 to 10)'],
  },
  {
    name: 'unknown key',
    yaml: 'tasks:\n  a: {agent: lead, prompt: x, need: [b]}\n',
    expect: [':2:31 tasks.a.need: unknown key "need" (did you mean "needs"?)'],
  },
  {
    name: 'empty prompt',
    yaml: 'tasks:\n  a: {agent: lead, prompt: ""}\n',
    expect: [':2:28 tasks.a.prompt: is empty text'],
  },
  {
    name: '"__proto__" as a task name',
    yaml: 'tasks:\n  __proto__: {agent: lead, prompt: x}\n  b: {agent: lead, prompt: y}\n',
    expect: [':2:14 tasks.__proto__: "__proto__" is not a task name'],
  },
  {
    name: '"constructor" as a task key',
    yaml: 'tasks:\n  a: {agent: lead, prompt: x, constructor: 1}\n',
    expect: [':2:31 tasks.a.constructor: unknown key "constructor"'],
  },
  {
    name: 'two YAML documents',
    yaml: 'tasks:\n  a: {agent: lead, prompt: x}\n---\ntasks: {}\n',
    expect: [':3:1 the file holds more than one YAML document'],
  },
];

test('bad workflow: a self-need, a duplicate and an unknown need in one list are three problems, all reported', (t) => {
  const file = join(tempDir(t), 'wf.yaml');
  writeFileSync(file, 'tasks:\n  a: {agent: lead, prompt: x, needs: [a, b, b, zz]}\n  b: {agent: lead, prompt: y}\n');
  const { problems } = loadWorkflow(file, agents);
  assert.deepEqual(
    problems.map((p) => `${p.path}: ${p.message.split(' (')[0]}`),
    [
      'tasks.a.needs: names a task twice',
      'tasks.a.needs[0]: task "a" needs itself',
      'tasks.a.needs[3]: unknown task "zz"',
    ],
  );
});

test('a chain of 8,000 tasks, each using the result of the one before, is checked without exhausting the stack', (t) => {
  const file = join(tempDir(t), 'chain.yaml');
  const tasks = Array.from(
    { length: 8000 },
    (_, i) =>
      `  t${i}:\n    agent: lead\n    prompt: ${i ? `"after {{ tasks.t${i - 1}.result }}"` : 'start'}\n${i ? `    needs: [t${i - 1}]\n` : ''}`,
  );
  writeFileSync(file, `tasks:\n${tasks.join('')}`);
  const { workflow, problems } = loadWorkflow(file, agents);
  assert.deepEqual(problems, []);
  assert.equal(workflow!.tasks.length, 8000);
  const long = Array.from({ length: 200_000 }, (_, i) => ({
    name: `t${i}`,
    needs: i ? [`t${i - 1}`] : [`t${199_999}`],
  }));
  assert.equal(findCycle(long)!.length, 200_001, 'a cycle through 200,000 tasks is found and named');
});

for (const c of cases) {
  test(`bad workflow: ${c.name}`, (t) => {
    const file = join(tempDir(t), 'wf.yaml');
    writeFileSync(file, c.yaml);
    const { workflow, problems } = loadWorkflow(file, agents);
    assert.equal(workflow, undefined);
    assert.ok(problems.length > 0);
    const text = problems.map(formatProblem).join('\n');
    for (const e of c.expect) assert.ok(text.includes(e), `expected ${JSON.stringify(e)} in:\n${text}`);
  });
}

test('the shipped example workflow is valid for the default layout, with defaults applied', () => {
  const { workflow, problems } = loadWorkflow(join(repoRoot, 'workflows', 'example.yaml'), agents);
  assert.deepEqual(problems, []);
  assert.deepEqual(
    workflow!.tasks.map((t) => [t.name, t.needs, t.target, t.retries, t.timeout_s]),
    [
      ['plan', [], { agent: 'lead' }, 1, 1800],
      ['implement', ['plan'], { role: 'worker' }, 1, 1800],
      ['tests', ['plan'], { role: 'worker' }, 1, 1800],
      ['review', ['implement', 'tests'], { agent: 'lead' }, 1, 1800],
    ],
  );
});

test('placeholders take results of tasks needed through another task; renderPrompt fills them', (t) => {
  const file = join(tempDir(t), 'wf.yaml');
  writeFileSync(
    file,
    'tasks:\n  a: {agent: lead, prompt: x}\n  b: {agent: lead, prompt: y, needs: [a]}\n  c: {agent: lead, prompt: "{{tasks.a.result}} / {{ tasks.b.agent }}", needs: [b]}\n',
  );
  assert.deepEqual(loadWorkflow(file, agents).problems, []);
  assert.equal(
    renderPrompt('{{tasks.a.result}} / {{ tasks.b.agent }}', {
      a: { result: 'A $(x) {{ tasks.b.agent }}', agent: 'lead' },
      b: { result: null, agent: 'worker-1' },
    }),
    'A $(x) {{ tasks.b.agent }} / worker-1',
  );
  assert.equal(
    findCycle([
      { name: 'a', needs: ['b'] },
      { name: 'b', needs: [] },
    ]),
    undefined,
  );
});
