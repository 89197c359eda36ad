// The lead's MCP tools as plain data: names, descriptions and JSON Schemas of their arguments, and
// the checking of arguments a model sent. No MCP SDK here, so tests and the handlers load fast.

/** JSON Schema of one tool's arguments (an object). */
export interface InputSchema {
  type: 'object';
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
  additionalProperties: false;
}

/** One tool as tools/list shows it. */
export interface ToolDef {
  name: string;
  description: string;
  inputSchema: InputSchema;
}

/** How long a waiting tool waits when the caller gives no timeout (seconds). */
export const DEFAULT_WAIT_S = 600;

const task = {
  type: 'string',
  description: 'A task id as dispatch returned it (a unique prefix or suffix of 4 or more characters also works).',
};
const timeout = {
  type: 'number',
  exclusiveMinimum: 0,
  description: `Seconds to wait at most (default ${DEFAULT_WAIT_S}). The task goes on after a timeout.`,
};

export const TOOLS: ToolDef[] = [
  {
    name: 'list_agents',
    description:
      'Every agent of this session: name, role, status (starting, idle, busy, waiting, limited, error, exited), why (reason), the prompt it is working on, its last answer (trimmed) and its cost so far in USD. "you" marks yourself.',
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
  {
    name: 'dispatch',
    description:
      "Give a task (a prompt) to another agent: by name (agent), to the first idle agent of a role (role), or to any idle agent but you (any: true). A busy agent's tasks wait in a queue, first in first out. The task's result is the agent's last answer of that turn. Without wait, returns the task id at once (use wait_task or task_result later, and dispatch several tasks before waiting to run them in parallel); with wait: true, waits for the answer and returns it.",
    inputSchema: {
      type: 'object',
      properties: {
        agent: { type: 'string', description: 'The agent to run it (list_agents names them).' },
        role: { type: 'string', description: 'Instead of agent: the first idle agent of this role, e.g. worker.' },
        any: { type: 'boolean', description: 'Instead of agent or role: the first idle agent other than you.' },
        prompt: {
          type: 'string',
          description: 'The whole task, as you would type it to that agent. It arrives verbatim.',
        },
        wait: { type: 'boolean', description: "Wait for the agent's answer and return it (default false)." },
        timeout,
      },
      required: ['prompt'],
      additionalProperties: false,
    },
  },
  {
    name: 'wait_task',
    description: "Wait until a task is finished and return its result (the agent's answer), or why it failed.",
    inputSchema: { type: 'object', properties: { task, timeout }, required: ['task'], additionalProperties: false },
  },
  {
    name: 'task_result',
    description:
      'The result of a finished task at once, without waiting (an error while it is still queued or running).',
    inputSchema: { type: 'object', properties: { task }, required: ['task'], additionalProperties: false },
  },
  {
    name: 'list_tasks',
    description:
      'Tasks of this session in order: id, agent, state (queued, delivering, running, done, failed, cancelled, interrupted), who gave it, prompt and result (trimmed), error, seconds and cost. Older finished tasks move to an archive; "page" lists every task, newest first, 50 a page.',
    inputSchema: {
      type: 'object',
      properties: {
        agent: { type: 'string', description: "Only this agent's tasks." },
        open: { type: 'boolean', description: 'Only tasks not finished yet (queued, delivering, running).' },
        page: {
          type: 'number',
          description: 'A page of the whole history, archived tasks included (1: the newest 50).',
        },
      },
      additionalProperties: false,
    },
  },
  {
    name: 'cancel_task',
    description: 'Cancel a task: a queued one is dropped, a running one is interrupted (its agent gets Escape).',
    inputSchema: { type: 'object', properties: { task }, required: ['task'], additionalProperties: false },
  },
  {
    name: 'diff_agent',
    description:
      'What an agent with its own worktree changed against its base branch, its uncommitted and untracked files included, as a unified diff (stat: true gives only the files and line counts).',
    inputSchema: {
      type: 'object',
      properties: {
        agent: { type: 'string', description: 'The agent (list_agents shows which have a worktree).' },
        stat: { type: 'boolean', description: 'Only files and line counts (default false).' },
      },
      required: ['agent'],
      additionalProperties: false,
    },
  },
  {
    name: 'merge_agent',
    description:
      "Merge what an agent committed on its worktree's branch into its base branch (or into). On a conflict nothing changes anywhere and the conflicting files are listed; check: true only says whether it would merge. Uncommitted work is left out unless commit_all gives a commit message for it.",
    inputSchema: {
      type: 'object',
      properties: {
        agent: { type: 'string', description: 'The agent whose branch to merge.' },
        into: {
          type: 'string',
          description: 'The branch to merge into (default: the branch its worktree started from).',
        },
        mode: {
          type: 'string',
          enum: ['merge', 'squash', 'rebase'],
          description: 'merge (default), squash (one commit) or rebase (its commits replayed, linear history).',
        },
        commit_all: {
          type: 'string',
          description:
            'Commit everything uncommitted in its worktree, with this message, if the merge goes through (on a conflict nothing is committed).',
        },
        check: { type: 'boolean', description: 'Only say whether it would merge cleanly; changes nothing.' },
      },
      required: ['agent'],
      additionalProperties: false,
    },
  },
  {
    name: 'conflicts',
    description:
      "Which agents' work (uncommitted work included) git could not merge, right now: two agents changing the same lines, or an agent's work and its base branch; with the files and line ranges. Look before you merge, and before you give two agents work on the same files.",
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
  {
    name: 'pending_approvals',
    description:
      "Permission requests of the agents waiting for a decision: id, agent, tool, its input in full, when. Each agent waits until someone decides (or its pane's dialog is answered).",
    inputSchema: { type: 'object', properties: {}, additionalProperties: false },
  },
  {
    name: 'decide',
    description:
      "Allow or deny an agent's permission request (only when the layout says approvals: { by: lead }). The agent goes on at once; a deny tells it your message.",
    inputSchema: {
      type: 'object',
      properties: {
        request: { type: 'string', description: 'The request id, or an agent name for its oldest pending request.' },
        behavior: { type: 'string', enum: ['allow', 'deny'], description: 'allow or deny.' },
        message: { type: 'string', description: 'For a deny: why, and what to do instead (the agent reads it).' },
      },
      required: ['request', 'behavior'],
      additionalProperties: false,
    },
  },
];

/** A tool call the model got wrong: reported back to it as a tool error. */
export class ToolInputError extends Error {}

/** The arguments of a call, checked against the tool's schema (unknown keys, types, required). */
export function checkArgs(tool: ToolDef, args: unknown): Record<string, unknown> {
  const given = (args ?? {}) as Record<string, unknown>;
  if (typeof given !== 'object' || Array.isArray(given))
    throw new ToolInputError(`${tool.name}: the arguments are not an object`);
  const known = Object.keys(tool.inputSchema.properties);
  const problems: string[] = [];
  for (const [key, value] of Object.entries(given)) {
    const schema = tool.inputSchema.properties[key];
    if (!schema) {
      problems.push(
        `unknown argument "${key}"${known.length ? ` (arguments: ${known.join(', ')})` : ' (it takes none)'}`,
      );
      continue;
    }
    if (value === undefined || value === null) continue;
    if (
      schema.type === 'number' ? typeof value !== 'number' || !Number.isFinite(value) : typeof value !== schema.type
    ) {
      problems.push(`"${key}" is ${JSON.stringify(value)?.slice(0, 40)} (expected a ${schema.type})`);
    } else if (schema.type === 'number' && (value as number) <= 0) {
      problems.push(`"${key}" must be greater than 0`);
    }
  }
  for (const key of tool.inputSchema.required ?? []) {
    if (given[key] === undefined || given[key] === null) problems.push(`"${key}" is missing`);
  }
  if (problems.length) throw new ToolInputError(`${tool.name}: ${problems.join('; ')}`);
  return Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined && v !== null));
}
