// The schema of workflows/*.yaml (validated with positions; also the editors' JSON Schema).
import { arrayOf, bool, int, mapOf, str, type Schema } from '../config/schema.js';

export const TASK_NAME = /^[A-Za-z][\w-]*$/;

const taskSchema: Schema = {
  kind: 'object',
  description: 'One task: a prompt for an agent, run when the tasks it needs are done.',
  fields: {
    prompt: str('What the agent is asked. {{ tasks.NAME.result }} is the answer of a task this one needs.', {
      nonEmpty: true,
    }),
    needs: arrayOf(
      str('A task that must be done first.', { pattern: TASK_NAME, patternHint: 'a task name' }),
      'Tasks that must be done before this one starts.',
    ),
    agent: str('The agent that runs it.', { nonEmpty: true }),
    role: str('Run it on the first idle agent with this role.', { nonEmpty: true }),
    timeout: int('Seconds one try may run before it is interrupted (0: no limit).', 0),
    retries: int('Further tries after a failure.', 0, 10),
    merge: bool(
      'When the task is done, commit what its agent left uncommitted in its worktree and merge its branch into its base (the agent needs worktree: true); a conflict fails the task with the files, and changes nothing.',
    ),
  },
  required: ['prompt'],
};

export const workflowSchema: Schema = {
  kind: 'object',
  description: 'A claude-orchestrator workflow: a graph of tasks for the agents of a session.',
  fields: {
    name: str('Name of the workflow (default: the file name).', { nonEmpty: true }),
    description: str('What it does.'),
    defaults: {
      kind: 'object',
      description: 'Values for every task that does not set its own.',
      fields: {
        agent: str('The agent that runs a task.', { nonEmpty: true }),
        role: str('Run a task on the first idle agent with this role.', { nonEmpty: true }),
        timeout: int('Seconds one try may run (0: no limit).', 0),
        retries: int('Further tries after a failure.', 0, 10),
      },
    },
    tasks: mapOf(taskSchema, 'The tasks, by name.'),
  },
  required: ['tasks'],
};
