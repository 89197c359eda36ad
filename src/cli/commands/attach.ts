// `orchestrate attach AGENT [--print]`: the terminal shows that agent's pane, zoomed, from inside
// tmux (switch-client) or outside it (attach), locally or over SSH. Without a terminal it prints
// the command.
import { parse } from '../args.js';
import { resolveStateDir } from '../state-dir.js';
import { readStore } from '../../store/state-dir.js';
import { OrchestratorError, UsageError } from '../../core/errors.js';
import { attachArgv } from '../../session/attach.js';
import { quoteArgv } from '../../util/shell-quote.js';
import { tmuxEnv } from '../../tmux/command.js';
import { shownIn } from '../../store/types.js';
import { own } from '../../util/own.js';

const usage = `Usage: orchestrate attach AGENT [--print] [--state DIR]
Shows AGENT's pane, zoomed: switches this tmux client to it, or attaches to the session (also over
SSH). --print only prints the command.`;

export async function attachCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { print: { type: 'boolean' }, state: { type: 'string' } }, usage, true);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length !== 1) throw new UsageError(`give one AGENT\n\n${usage}`);
  const data = readStore(resolveStateDir(values.state));
  const agent = own(data.agents, positionals[0]!);
  if (!agent)
    throw new OrchestratorError(`no agent named "${positionals[0]}" (agents: ${Object.keys(data.agents).join(', ')})`);
  if (!data.session || data.session.ended_at)
    throw new OrchestratorError(`session "${data.session?.name ?? '?'}" is not running`);
  const inside = Boolean(process.env.TMUX) && !data.session.socket;
  const argvTmux = attachArgv(data.session, shownIn(agent), inside);
  if (values.print || !process.stdin.isTTY || !process.stdout.isTTY) {
    process.stdout.write(`${quoteArgv(['tmux', ...argvTmux])}\n`);
    return 0;
  }
  const { execa } = await import('execa');
  const r = await execa('tmux', argvTmux, { stdio: 'inherit', reject: false, env: tmuxEnv() });
  return r.exitCode ?? 0;
}
