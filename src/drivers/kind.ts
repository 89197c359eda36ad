// The kind of an agent: the CLI it runs. Everything that is one CLI's own (its flags, how its
// status reaches us, what its status lines and its screen mean, how text must be shaped for its
// prompt box) is behind this interface; today there is one kind, claude (src/drivers/claude/).
import type { AgentEvent } from '../core/events.js';
import type { StatusLine } from '../store/types.js';
import type { AgentSpec } from '../layout/types.js';
import type { AgentMcp } from '../agents/launch.js';

/** What one CLI must provide. */
export interface AgentKind {
  readonly name: string;
  /** Its argv (without the executable) for a start, a resume (resume) or a fork (forkOf). */
  args(
    agent: AgentSpec,
    ctx: { sessionId: string; settingsFile?: string; resume?: boolean; forkOf?: string; mcp?: AgentMcp },
  ): string[];
  /** Its settings that make it report to a status file (its hooks). */
  statusSettings(
    hookScript: string,
    statusPath: string,
    approval?: { script: string; decisions: string; timeoutS: number },
  ): Record<string, unknown>;
  /** One status line as a neutral event (undefined: it means nothing to us): the one translation the recorder calls. */
  toEvent(line: StatusLine): AgentEvent | undefined;
  /** A status line's own name (for logs of lines that could not be followed). */
  nativeName(line: StatusLine): string;
  /** The start-up dialog its screen shows, as a reason with its fix, or undefined. */
  dialog(screen: string): string | undefined;
  /** The text in its prompt box, or null when the box is not on screen. */
  promptBoxText(screen: string): string | null;
  /** A prompt as it must be typed into its prompt box (e.g. a leading "!" or "/" escaped). */
  boxText(prompt: string): string;
  /** What typed into its prompt box makes it exit (ending its session). */
  readonly exitCommand: string;
}
