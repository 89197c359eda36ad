// What only tmux can tell the recorder: a pane whose process died, a pane or session that is gone,
// and (by the screen, the one place it is read) an agent held at a start-up dialog.
import type { AgentRecord, SessionRecord, StatusLine, StoreData } from '../store/types.js';
import type { PaneInfo, Server } from '../tmux/objects.js';
import { formatOf, parseRows } from '../tmux/format.js';
import { kindOf } from '../drivers/driver.js';
import { placeOf } from '../drivers/place.js';

/** How long an agent may show no sign of life before we look for a start-up dialog. */
export const DIALOG_AFTER_MS = 2500;

/** An agent that has not shown a sign of life yet, or is held at a dialog: its screen is worth a look. */
export const atDialog = (agent: AgentRecord): boolean =>
  agent.status === 'starting' || (agent.status === 'waiting' && Boolean(agent.reason?.includes('dialog')));

/**
 * What a look at tmux found: the whole session gone (why), or events to record for some agents and
 * the process of each live agent pane (watched between looks: a death shows without asking tmux).
 */
export type PaneLook = { lost: string } | { updates: [string, StatusLine][]; pids: number[] };

/** Looks at every local agent's pane (and, for those that may be at a dialog, its screen); agents on other hosts are looked at on theirs (lookAtHost). */
export async function lookAtPanes(server: Server, data: StoreData, tmuxId: string, now: number): Promise<PaneLook> {
  const panes: PaneInfo[] = await server.panes();
  if (!panes.some((p) => p.session_id === tmuxId))
    return { lost: panes.length ? 'tmux session gone' : 'tmux server gone' };
  const byId = new Map(panes.map((p) => [p.pane_id, p]));
  const local = Object.values(data.agents).filter((a) => placeOf(a).paneHere);
  const updates = await paneUpdates(server, local, byId, now);
  const pids = local
    .map((a) => byId.get(a.pane))
    .filter((p) => p && p.pane_dead !== '1')
    .map((p) => Number(p!.pane_pid))
    .filter((pid) => pid > 0);
  return { updates, pids };
}

/** The same look at the agents of one host, on its tmux server there (one round trip, more only for a screen). */
export async function lookAtHost(
  server: Server,
  agents: readonly AgentRecord[],
  now: number,
): Promise<[string, StatusLine][]> {
  const panes = await server.panes();
  return paneUpdates(server, agents, new Map(panes.map((p) => [p.pane_id, p])), now);
}

/** Events for agents whose pane died or is gone, or whose screen shows a start-up dialog. */
async function paneUpdates(
  server: Server,
  agents: readonly AgentRecord[],
  byId: Map<string, PaneInfo>,
  now: number,
): Promise<[string, StatusLine][]> {
  const updates: [string, StatusLine][] = [];
  for (const agent of agents) {
    if (agent.status === 'unreachable') continue;
    const pane = byId.get(agent.pane);
    if (agent.status !== 'exited' && (!pane || pane.pane_dead === '1')) {
      const code = pane?.pane_dead_status ? Number(pane.pane_dead_status) : undefined;
      updates.push([
        agent.name,
        {
          at: now,
          event: {
            hook_event_name: 'PaneDied',
            ...(code !== undefined ? { exit_code: code } : {}),
            reason: pane
              ? `its pane's process exited${code !== undefined ? ` with code ${code}` : ''}`
              : 'its tmux pane is gone',
          },
        },
      ]);
    } else if (pane && atDialog(agent) && now - Date.parse(agent.updated_at) > DIALOG_AFTER_MS) {
      const dialog = kindOf(agent).dialog(
        await server
          .pane(agent.pane)
          .capture()
          .catch(() => ''),
      );
      if (dialog && agent.reason !== dialog)
        updates.push([
          agent.name,
          { at: Date.parse(agent.updated_at), event: { hook_event_name: 'Dialog', reason: dialog } },
        ]);
    }
  }
  return updates;
}

/** Whether the session's tmux session is gone, and why (for a recorder that got SIGHUP); undefined while it is there. */
export async function sessionGone(
  server: Server,
  session: Pick<SessionRecord, 'name' | 'tmux_id'>,
): Promise<string | undefined> {
  if ((await server.findSession(session.name))?.id === session.tmux_id) return undefined;
  return (await server.running()) ? 'tmux session gone' : 'tmux server gone';
}

/** The control window this recorder runs in (its pane is $TMUX_PANE), or undefined outside tmux. */
export async function findControlWindow(server: Server): Promise<SessionRecord['control'] | undefined> {
  const me = process.env.TMUX_PANE;
  if (!me) return undefined;
  try {
    const fields = ['window_id', 'pane_id', 'pane_title'] as const;
    const rows = parseRows(fields, await server.cmd(['list-panes', '-t', me, '-F', formatOf(fields)]));
    const window = rows.find((r) => r.pane_id === me)?.window_id;
    const watchPane = rows.find((r) => r.pane_title === 'status')?.pane_id ?? '';
    return window ? { window, recorderPane: me, watchPane } : undefined;
  } catch {
    return undefined;
  }
}
