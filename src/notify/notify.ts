// Telling a person when they are needed: an agent waiting for a permission or a dialog, an agent in
// error or limited, a workflow run that ended, a budget that warns. The recorder compares what it
// recorded with what it saw before and hands each new thing here; a burst (within the debounce)
// goes out as one message, to tmux (a message and a bell on every client of the session), to the
// desktop (notify-send, where it exists) and to a webhook (a JSON POST that ntfy and Slack
// incoming webhooks both take). Nothing here blocks the recorder or fails it.
import type { StoreData } from '../store/types.js';
import type { Server } from '../tmux/objects.js';
import { budgetLines, budgetText } from '../fleet/budget.js';

export interface NotifySettings {
  webhook?: string | null;
  /** ntfy's topic when the webhook is ntfy's root URL. */
  topic?: string | null;
  /** Milliseconds a burst is gathered before it goes out. */
  debounce_ms?: number;
  desktop?: boolean;
  tmux?: boolean;
}

/** What the person was last told about, to tell only what is new. */
export interface Seen {
  agents: Map<string, string>;
  runs: Map<string, string>;
  budgets: Map<string, string>;
}

export const emptySeen = (): Seen => ({ agents: new Map(), runs: new Map(), budgets: new Map() });

const NEEDS_A_PERSON = new Set(['waiting', 'error', 'limited']);

/** The new things in data since seen (and seen updated); the first call only learns what is there. */
export function newNotices(data: StoreData, seen: Seen, first = false): string[] {
  const out: string[] = [];
  for (const a of Object.values(data.agents)) {
    const key = `${a.status}:${a.reason ?? ''}`;
    const before = seen.agents.get(a.name);
    seen.agents.set(a.name, key);
    if (first || before === key || !NEEDS_A_PERSON.has(a.status)) continue;
    // A limited agent's reason changes every second only in its countdown: say it once per limit.
    if (a.status === 'limited' && before?.startsWith('limited:')) continue;
    out.push(`${a.name} ${a.status}: ${(a.reason ?? '').slice(0, 200)}`);
  }
  for (const r of Object.values(data.runs ?? {})) {
    const before = seen.runs.get(r.id);
    seen.runs.set(r.id, r.state);
    if (first || before === r.state || r.state === 'running') continue;
    const tasks = Object.values(r.tasks);
    out.push(
      `workflow ${r.name} (run ${r.id}) ${r.state}: ${tasks.filter((t) => t.state === 'done').length}/${tasks.length} tasks done${
        r.state === 'failed'
          ? `; failed: ${tasks
              .filter((t) => t.state === 'failed')
              .map((t) => t.name)
              .join(', ')}`
          : ''
      }`,
    );
  }
  for (const l of budgetLines(data)) {
    const before = seen.budgets.get(l.scope);
    seen.budgets.set(l.scope, l.state);
    if (first || before === l.state || l.state === 'ok') continue;
    out.push(`budget ${l.state === 'over' ? 'reached' : 'at 80%'}: ${budgetText(l)}`);
  }
  return out;
}

/** The webhook's body: ntfy (topic, title, message) and Slack (text) read the same JSON. */
export function webhookBody(session: string, lines: string[], topic?: string | null): Record<string, unknown> {
  const message = lines.join('\n');
  return {
    ...(topic ? { topic } : {}),
    title: `Claude Orchestrator: ${session}`,
    message,
    text: `*${session}*\n${message}`,
    session,
    events: lines,
  };
}

/** Sends notices in debounced bursts; send() never throws and never waits for a channel. */
export function notifier(opts: {
  session: string;
  settings: NotifySettings;
  server: Server;
  tmuxSession: () => string | null;
  log: (line: string) => void;
}): { add(lines: string[]): void; flush(): Promise<void> } {
  const { settings, log } = opts;
  let pending: string[] = [];
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  const send = async (lines: string[]): Promise<void> => {
    const text = lines.length === 1 ? lines[0]! : `${lines.length} things need you: ${lines.join(' | ')}`;
    const jobs: Promise<unknown>[] = [];
    const session = opts.tmuxSession();
    if (settings.tmux !== false && session) {
      jobs.push(
        (async () => {
          await opts.server.cmd([
            'display-message',
            '-d',
            '8000',
            '-t',
            session,
            text.replace(/#/g, '##').slice(0, 300),
          ]);
          // A bell on every client of the session (its terminal beeps or flashes as it is set to).
          const ttys = (await opts.server.cmd(['list-clients', '-t', session, '-F', '#{client_tty}']))
            .split('\n')
            .filter(Boolean);
          const { appendFileSync } = await import('node:fs');
          for (const tty of ttys) {
            try {
              appendFileSync(tty, '\x07');
            } catch {
              /* not ours to write */
            }
          }
        })(),
      );
    }
    if (settings.desktop !== false) {
      jobs.push(
        (async () => {
          const { execa } = await import('execa');
          await execa(
            'notify-send',
            ['--app-name=claude-orchestrator', `Claude Orchestrator: ${opts.session}`, text.slice(0, 500)],
            { reject: false, timeout: 5000, stdin: 'ignore' },
          );
        })(),
      );
    }
    if (settings.webhook) {
      jobs.push(
        fetch(settings.webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(webhookBody(opts.session, lines, settings.topic)),
          signal: AbortSignal.timeout(5000),
        }).then((r) => {
          if (!r.ok) log(`notify: the webhook answered ${r.status}`);
        }),
      );
    }
    for (const r of await Promise.allSettled(jobs))
      if (r.status === 'rejected') log(`notify: ${(r.reason as Error)?.message ?? String(r.reason)}`);
  };
  const fire = (): void => {
    timer = undefined;
    const lines = pending;
    pending = [];
    if (lines.length) inFlight = inFlight.then(() => send(lines)).catch(() => {});
  };
  return {
    add(lines) {
      if (!lines.length) return;
      pending.push(...lines);
      timer ??= setTimeout(fire, settings.debounce_ms ?? 2000);
    },
    async flush() {
      if (timer) {
        clearTimeout(timer);
        fire();
      }
      await inFlight;
    },
  };
}
