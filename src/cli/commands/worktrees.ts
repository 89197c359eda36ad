// Worktree commands: diff, merge, conflicts, worktrees [list|prune]. They read the store and run
// git; merges are computed in memory first, so a conflict changes nothing (src/worktrees/merge.ts).
import chalk from 'chalk';
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { UsageError } from '../../core/errors.js';
import { agentDiff, agentWithWorktree, lookNow, pruneWorktrees, worktreeAgents } from '../../worktrees/ops.js';
import { mergeAgent, type MergeMode } from '../../worktrees/merge.js';
import { describeConflict } from '../../worktrees/look.js';
import { judge } from '../../worktrees/cleanup.js';

const diffUsage = `Usage: orchestrate diff AGENT [--stat | --name-only] [--state DIR]
The agent's work against its base (from where it forked off), its uncommitted and untracked files included.`;

const mergeUsage = `Usage: orchestrate merge AGENT [--into BRANCH] [--squash | --rebase] [--commit-all MESSAGE] [--check] [--json] [--state DIR]
Merges what the agent committed on its branch into BRANCH (default: the branch its worktree started from).
  --squash        one commit with all of it      --rebase   its commits replayed on BRANCH, linear history
  --commit-all M  commit everything uncommitted in its worktree, with message M, if the merge goes through
  --check         only say whether it would merge cleanly
A BRANCH git is busy with (mid-rebase, merge, cherry-pick or bisect in a checkout) is refused; merges into
one BRANCH wait for each other.
Exit 0 when merged (or clean, or nothing to merge), 1 on a conflict: then nothing was changed.`;

const conflictsUsage = `Usage: orchestrate conflicts [--json] [--state DIR]
Which agents' work (uncommitted work included) git could not merge with each other or with their base, right now.
Exit 0 when there is none, 1 when there are conflicts (as merge --check).`;

const worktreesUsage = `Usage: orchestrate worktrees [list] [--json] [--state DIR]
       orchestrate worktrees prune [--dry-run] [--state DIR]
list: each agent's worktree, branch, commits ahead and behind its base, files changed and uncommitted, and whether it could be removed.
prune: removes the worktrees of agents that no longer run and that hold nothing uncommitted or unmerged; keeps the rest and says why.`;

export async function diffCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { stat: { type: 'boolean' }, 'name-only': { type: 'boolean' }, state: { type: 'string' } },
    diffUsage,
    true,
  );
  if (values.help) {
    process.stdout.write(`${diffUsage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one AGENT\n\n${diffUsage}`);
  const agent = agentWithWorktree(readStore(resolveStateDir(values.state)), positionals[0]!);
  const text = await agentDiff(agent, {
    stat: Boolean(values.stat),
    nameOnly: Boolean(values['name-only']),
    color: Boolean(process.stdout.isTTY),
  });
  process.stdout.write(text ? `${text}\n` : '');
  if (!text) process.stderr.write(`${agent.name} has changed nothing against ${agent.worktree!.base}\n`);
  return 0;
}

export async function mergeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(
    argv,
    {
      into: { type: 'string' },
      squash: { type: 'boolean' },
      rebase: { type: 'boolean' },
      'commit-all': { type: 'string' },
      check: { type: 'boolean' },
      json: { type: 'boolean' },
      state: { type: 'string' },
    },
    mergeUsage,
    true,
  );
  if (values.help) {
    process.stdout.write(`${mergeUsage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`expected one AGENT\n\n${mergeUsage}`);
  if (values.squash && values.rebase) throw new UsageError(`--squash and --rebase exclude each other\n\n${mergeUsage}`);
  if (values['commit-all'] !== undefined && !values['commit-all'].trim())
    throw new UsageError('--commit-all wants a commit message');
  const agent = agentWithWorktree(readStore(resolveStateDir(values.state)), positionals[0]!);
  const mode: MergeMode = values.squash ? 'squash' : values.rebase ? 'rebase' : 'merge';
  const outcome = await mergeAgent({
    agent,
    mode,
    check: Boolean(values.check),
    ...(values.into ? { into: values.into } : {}),
    ...(values['commit-all'] !== undefined ? { commitAll: values['commit-all'] } : {}),
  });
  if (values.json) process.stdout.write(`${JSON.stringify(outcome, null, 2)}\n`);
  else if (outcome.result === 'conflict') {
    process.stderr.write(`${outcome.message}\n`);
    for (const c of outcome.conflicts)
      process.stderr.write(
        `  ${c.path} (${c.kind}${c.lines.length ? `, lines ${c.lines.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(', ')} of ${outcome.target}` : ''})\n`,
      );
  } else process.stdout.write(`${outcome.message}\n`);
  return outcome.result === 'conflict' ? 1 : 0;
}

export async function conflictsCommand(argv: string[]): Promise<number> {
  const { values } = parse(argv, { json: { type: 'boolean' }, state: { type: 'string' } }, conflictsUsage);
  if (values.help) {
    process.stdout.write(`${conflictsUsage}\n`);
    return 0;
  }
  const data = readStore(resolveStateDir(values.state));
  const { conflicts } = await lookNow(data);
  const code = conflicts.length ? 1 : 0;
  if (values.json) {
    process.stdout.write(`${JSON.stringify(conflicts, null, 2)}\n`);
    return code;
  }
  if (!worktreeAgents(data).length) {
    process.stdout.write('No agent of this session has a worktree of its own.\n');
    return 0;
  }
  process.stdout.write(
    conflicts.length
      ? `${conflicts.map((c) => `${chalk.red('conflict')}: ${describeConflict(c)}`).join('\n')}\n`
      : "No conflicts: every agent's work merges cleanly with its base and with each other's.\n",
  );
  return code;
}

export async function worktreesCommand(argv: string[]): Promise<number> {
  const sub = argv[0] && !argv[0].startsWith('-') ? argv[0] : 'list';
  const rest = argv[0] === sub ? argv.slice(1) : argv;
  if (sub !== 'list' && sub !== 'prune')
    throw new UsageError(`unknown worktrees command ${JSON.stringify(sub)}\n\n${worktreesUsage}`);
  const { values } = parse(
    rest,
    { json: { type: 'boolean' }, 'dry-run': { type: 'boolean' }, state: { type: 'string' } },
    worktreesUsage,
  );
  if (values.help) {
    process.stdout.write(`${worktreesUsage}\n`);
    return 0;
  }
  const stateDir = resolveStateDir(values.state);
  const data = readStore(stateDir);
  if (sub === 'prune') {
    const done = await pruneWorktrees(data, stateDir, { dryRun: Boolean(values['dry-run']) });
    if (!done.length) process.stdout.write('No agent of this session has a worktree of its own.\n');
    for (const d of done) process.stdout.write(`${d.agent}: ${d.text}\n`);
    return 0;
  }
  const { states } = await lookNow(data);
  const rows = await Promise.all(
    worktreeAgents(data).map(async (a) => ({
      agent: a.name,
      ...a.worktree!,
      state: states[a.name] ?? null,
      verdict: await judge(a, stateDir),
    })),
  );
  if (values.json) {
    process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    return 0;
  }
  if (!rows.length) {
    process.stdout.write('No agent of this session has a worktree of its own.\n');
    return 0;
  }
  for (const r of rows) {
    const s = r.state;
    process.stdout.write(`${chalk.bold(r.agent)}  ${r.branch} (from ${r.base})  ${r.path}\n`);
    process.stdout.write(
      s
        ? `  ${s.ahead} ahead, ${s.behind} behind; ${s.changed.length} file${s.changed.length === 1 ? '' : 's'} changed, ${s.uncommitted.length} uncommitted\n`
        : '  its worktree is gone\n',
    );
    process.stdout.write(`  ${r.verdict.removable ? 'could be removed' : 'kept'}: ${r.verdict.why}\n`);
  }
  return 0;
}
