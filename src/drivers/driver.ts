// An agent's driver: its kind (which CLI), its transport (how it takes work) and its place (where
// it runs), resolved once from its record. Code outside src/drivers/ asks the driver to act instead
// of asking "is it headless?" or "is it on a host?" (test/architecture/seam.test.ts keeps count).
import type { AgentRecord } from '../store/types.js';
import type { AgentKind } from './kind.js';
import { claudeArgs } from '../agents/launch.js';
import { hookSettings } from './claude/settings.js';
import { claudeEvent, nativeName } from './claude/events.js';
import { detectDialog } from './claude/dialogs.js';
import { interactiveText, promptBoxText } from './claude/prompt-box.js';
import { transportOf, type Transport } from './transport.js';
import { placeOf, type Place } from './place.js';

export type { AgentKind } from './kind.js';
export type { Transport } from './transport.js';
export type { Place } from './place.js';

export interface Driver {
  kind: AgentKind;
  transport: Transport;
  place: Place;
}

/**
 * Claude Code as a kind. Its knowledge lives in src/drivers/claude/, which imports nothing of the
 * layers above (so the launch, task rules and approvals may use it); its argv is the launch's.
 */
const claude: AgentKind = {
  name: 'claude',
  args: claudeArgs,
  statusSettings: hookSettings,
  toEvent: claudeEvent,
  nativeName,
  dialog: detectDialog,
  promptBoxText,
  boxText: interactiveText,
  exitCommand: '/exit',
};

/** The kind of an agent (one today: every agent runs claude). */
export const kindOf = (_agent?: Pick<AgentRecord, 'name'>): AgentKind => claude;

export { transportOf } from './transport.js';

/** The agent's driver. */
export function driverFor(agent: Pick<AgentRecord, 'name' | 'mode' | 'host'>): Driver {
  return { kind: kindOf(agent), transport: transportOf(agent), place: placeOf(agent) };
}
