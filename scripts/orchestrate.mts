#!/bin/sh
":" //; d=${0%/*}/..; [ "${0%/*}" = "$0" ] && d=..; [ -L "$0" ] && d=$(dirname "$(readlink -f "$0")")/..; [ -f "$d/dist/bin/orchestrate.mjs" ] || (cd "$d" && npm run --silent bundle) || exit 1; exec node "$d/dist/bin/orchestrate.mjs" "$@"
// The orchestrate CLI. Each command's module is imported only when that command runs, so
// `orchestrate --help` and `status` start fast.
import '../src/build/fresh.js';
import { runMain } from '../src/cli/main.js';
import { UsageError } from '../src/core/errors.js';

const usage = `Usage: orchestrate COMMAND [options]

Commands:
  session start [start options]   same as ./start.mts (see --help there)
  session end [--force]           wait for running tasks, write a handover, stop every agent and the session
  handover [--out FILE]           write a Markdown handover of the session and print its path
  layout validate FILE...         check layout files without starting anything
  layout schema [--out FILE]      write the layouts' JSON Schema (layouts/schema.json)
  freeze [--output FILE]          the running session written back as a layout
  status [--json] [--state DIR]   every agent's state, session id, task, last answer and cost
  watch [--state DIR]             a live status board
  record [--state DIR]            the session's recorder (started by ./start.mts)
  headless --agent NAME [--state DIR]  a headless agent's runner of claude -p (its pane runs it)
  dispatch AGENT PROMPT [--wait]  give an agent a task (--role ROLE / --any pick an idle one)
  wait TASK|AGENT [--timeout S]   wait for a task (or all of an agent's tasks) and print the answer
  result TASK                     a finished task's answer
  tasks [--json]                  every task and its state
  cancel TASK                     drop a queued task or interrupt a running one
  mcp [--state DIR]               the lead's MCP server on stdio (claude starts it)
  run FILE [--wait]               run a workflow (workflows/*.yaml); --resume RUN runs a failed one again
  runs [--json]                   workflow runs and their progress
  workflow validate FILE...       check workflow files (against the session's agents when there is one)
  diff AGENT [--stat]             an agent's work in its worktree against its base, uncommitted files too
  merge AGENT [--into BRANCH]     merge an agent's branch (--squash, --rebase, --check, --commit-all MSG)
  conflicts [--json]              which agents' work conflicts with each other's or with their base
  worktrees [list|prune]          the agents' worktrees; prune removes those with nothing to lose
  budget [set SCOPE USD]          spend against every cap; set changes a cap while the session runs
  attach AGENT [--print]          show that agent's pane, zoomed (inside or outside tmux, also over SSH)
  approvals [--all]               agents' permission requests waiting for a decision
  approve AGENT|REQUEST [--always]  allow one (the agent goes on at once); deny AGENT|REQUEST [WHY]
  doctor [--layout FILE] [--json] check tmux, claude, folder trust and first-run dialogs
  dashboard [--port N] [--host H]  the live web dashboard (--url: the running one's address)

Run "orchestrate COMMAND --help" for a command's options.`;

const commands: Record<string, (argv: string[]) => Promise<number>> = {
  session: async ([sub, ...rest]) => {
    if (sub === 'end') return (await import('../src/cli/commands/session-end.js')).sessionEndCommand(rest);
    if (sub !== 'start') throw new UsageError(`unknown session command ${JSON.stringify(sub ?? '')}\n\n${usage}`);
    return (await import('../src/cli/commands/start.js')).startCommand(rest);
  },
  handover: async (argv) => (await import('../src/cli/commands/handover.js')).handoverCommand(argv),
  layout: async (argv) => (await import('../src/cli/commands/layout.js')).layoutCommand(argv),
  freeze: async (argv) => (await import('../src/cli/commands/freeze.js')).freezeCommand(argv),
  status: async (argv) => (await import('../src/cli/commands/status.js')).statusCommand(argv),
  watch: async (argv) => (await import('../src/cli/commands/status.js')).watchCommand(argv),
  record: async (argv) => (await import('../src/cli/commands/record.js')).recordCommand(argv),
  headless: async (argv) => (await import('../src/cli/commands/headless.js')).headlessCommand(argv),
  dispatch: async (argv) => (await import('../src/cli/commands/tasks.js')).dispatchCommand(argv),
  wait: async (argv) => (await import('../src/cli/commands/tasks.js')).waitCommand(argv),
  result: async (argv) => (await import('../src/cli/commands/tasks.js')).resultCommand(argv),
  tasks: async (argv) => (await import('../src/cli/commands/tasks.js')).tasksCommand(argv),
  cancel: async (argv) => (await import('../src/cli/commands/tasks.js')).cancelCommand(argv),
  mcp: async (argv) => (await import('../src/cli/commands/mcp.js')).mcpCommand(argv),
  run: async (argv) => (await import('../src/cli/commands/run.js')).runCommand(argv),
  runs: async (argv) => (await import('../src/cli/commands/run.js')).runsCommand(argv),
  workflow: async (argv) => (await import('../src/cli/commands/run.js')).workflowCommand(argv),
  diff: async (argv) => (await import('../src/cli/commands/worktrees.js')).diffCommand(argv),
  merge: async (argv) => (await import('../src/cli/commands/worktrees.js')).mergeCommand(argv),
  conflicts: async (argv) => (await import('../src/cli/commands/worktrees.js')).conflictsCommand(argv),
  worktrees: async (argv) => (await import('../src/cli/commands/worktrees.js')).worktreesCommand(argv),
  attach: async (argv) => (await import('../src/cli/commands/attach.js')).attachCommand(argv),
  approvals: async (argv) => (await import('../src/cli/commands/approvals.js')).approvalsCommand(argv),
  approve: async (argv) => (await import('../src/cli/commands/approvals.js')).approveCommand(argv),
  deny: async (argv) => (await import('../src/cli/commands/approvals.js')).denyCommand(argv),
  budget: async (argv) => (await import('../src/cli/commands/budget.js')).budgetCommand(argv),
  doctor: async (argv) => (await import('../src/cli/commands/doctor.js')).doctorCommand(argv),
  dashboard: async (argv) => (await import('../src/cli/commands/dashboard.js')).dashboardCommand(argv),
};

await runMain(async () => {
  const [name, ...argv] = process.argv.slice(2);
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)}\n\n${usage}`);
  return command(argv);
});
