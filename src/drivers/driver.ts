// An agent's driver: its kind (which CLI), its transport (how it takes work) and its place (where
// it runs), resolved once from its record. Code outside src/drivers/ asks the driver to act instead
// of asking "is it headless?" or "is it on a host?" (test/architecture/seam.test.ts keeps count).
import type { AgentRecord } from '../store/types.js';
import type { AgentKind } from './kind.js';
import { claude as claudeKind } from './claude/kind.js';
import { headlessTransport, paneTransport, type Transport } from './transport.js';
import { placeOf, type Place } from './place.js';

export type { AgentKind } from './kind.js';
export type { Transport } from './transport.js';
export type { Place } from './place.js';

export interface Driver { kind: AgentKind; transport: Transport; place: Place }

/** The kinds there are (the interface is checked here). */
const claude: AgentKind = claudeKind;

/** The kind of an agent (one today: every agent runs claude). */
export const kindOf = (_agent?: Pick<AgentRecord, 'name'>): AgentKind => claude;

/** The transport of an agent: headless agents take prompt files, the others a paste into their pane. */
export const transportOf = (agent: Pick<AgentRecord, 'mode'>): Transport => (agent.mode === 'headless' ? headlessTransport : paneTransport);

/** The agent's driver. */
export function driverFor(agent: Pick<AgentRecord, 'name' | 'mode' | 'host'>): Driver {
  return { kind: kindOf(agent), transport: transportOf(agent), place: placeOf(agent) };
}
