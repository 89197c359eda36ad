// The page's script. It runs in the browser: the server sends `(${dashboardClient})(shared, formatUsd)`,
// so the function stands alone (no imports at run time, nothing from the module around it; the
// types below are erased), and what it shares with the server (state symbols, final task states,
// the money format) is handed to it, never copied here. Everything an agent wrote goes into the page with textContent, never as
// markup. Updates arrive by server-sent events; the only timer redraws elapsed times.
import type { AgentView, RunView, TaskView, View } from './view.js';
import type { PaneScreen } from './pane-feed.js';

/** What the server hands the page's script (src/dashboard/server.ts). */
export interface ClientShared {
  symbols: Record<string, string>;
  final: readonly string[];
}

/** The dashboard page's behaviour (serialised into /app.js). */
export function dashboardClient(shared: ClientShared, money: (n: number) => string): void {
  const SYMBOLS = shared.symbols;
  const FINAL = shared.final;
  const csrf = document.querySelector<HTMLMetaElement>('meta[name="orch-csrf"]')?.content ?? '';
  const byId = <T extends HTMLElement = HTMLElement>(id: string): T => document.getElementById(id) as T;
  const make = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    cls?: string,
    text?: string | null,
  ): HTMLElementTagNameMap[K] => {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  };
  const view: View = {
    session: null,
    agents: [],
    tasks: [],
    runs: [],
    events: [],
    handovers: [],
    conflicts: [],
    alerts: [],
    approvals: [],
    totals: { cost_usd: 0, agents: 0, by_status: {}, tasks: {} },
    archived: 0,
  };
  let offset = 0;
  const now = (): number => Date.now() + offset;
  const duration = (ms: number): string => {
    const s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return `${s}s`;
    const m = Math.floor(s / 60);
    return m < 60
      ? `${m}m ${String(s % 60).padStart(2, '0')}s`
      : `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
  };
  const time = (iso: string | null): string => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : '');
  const setText = (node: HTMLElement, text: string): void => {
    if (node.textContent !== text) node.textContent = text;
  };

  // ---- agents: one card per agent, created once and updated in place.
  interface Card {
    root: HTMLElement;
    sym: HTMLElement;
    state: HTMLElement;
    task: HTMLElement;
    elapsed: HTMLElement;
    last: HTMLElement;
    cost: HTMLElement;
    sid: HTMLElement;
    model: HTMLElement;
    worktree: HTMLElement;
    ports: HTMLElement;
    attach: HTMLElement;
    reason: HTMLElement;
  }
  const cards = new Map<string, Card>();
  let selected = localStorage.getItem('orch-pane') ?? '';

  function card(a: AgentView): Card {
    const root = make('article', 'card');
    root.tabIndex = 0;
    root.dataset.agent = a.name;
    const head = make('div', 'head');
    const sym = make('span', 'sym');
    head.append(sym, make('span', 'name', a.name), make('span', 'role', a.host ? `${a.role} @${a.host}` : a.role));
    const state = make('span', 'state');
    head.append(state);
    const dl = make('dl');
    const field = (label: string, cls: string): HTMLElement => {
      const dd = make('dd', cls);
      const pair = make('div', `f f-${cls}`);
      pair.append(make('dt', '', label), dd);
      dl.append(pair);
      return dd;
    };
    const c: Card = {
      root,
      sym,
      state,
      task: field('task', 'task'),
      elapsed: field('time', 'elapsed'),
      last: field('last answer', 'last'),
      cost: field('cost', 'cost'),
      sid: field('session', 'sid'),
      model: field('model', 'model'),
      worktree: field('worktree', 'worktree'),
      ports: field('ports', 'ports'),
      attach: field('attach', 'attach'),
      reason: make('p', 'reason'),
    };
    root.append(head, dl, c.reason);
    root.addEventListener('click', () => selectPane(a.name));
    root.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        selectPane(a.name);
      }
    });
    return c;
  }

  function renderAgents(): void {
    const box = byId('agents');
    if (!view.agents.length) {
      box.replaceChildren(make('p', 'empty', view.session ? 'No agents in this session.' : 'Waiting for the session…'));
      cards.clear();
    } else {
      box.querySelector('.empty')?.remove();
      box.classList.toggle('many', view.agents.length > 8);
      const names = new Set(view.agents.map((a) => a.name));
      for (const [name, c] of cards)
        if (!names.has(name)) {
          c.root.remove();
          cards.delete(name);
        }
      view.agents.forEach((a, i) => {
        let c = cards.get(a.name);
        if (!c) {
          c = card(a);
          cards.set(a.name, c);
        }
        if (box.children[i] !== c.root) box.insertBefore(c.root, box.children[i] ?? null);
        if (c.root.dataset.state !== a.status) c.root.dataset.state = a.status;
        setText(c.sym, SYMBOLS[a.status] ?? '·');
        setText(c.state, a.status);
        setText(c.task, a.status === 'busy' ? (a.task ?? '') : a.task ? `(last) ${a.task}` : '—');
        setText(c.last, a.last_result ?? '—');
        c.last.title = a.last_result ?? '';
        c.task.title = a.task ?? '';
        setText(c.cost, money(a.cost_usd));
        setText(c.sid, a.session_id ? a.session_id.slice(0, 8) : '—');
        c.sid.title = a.session_id;
        setText(
          c.model,
          [
            a.model,
            a.turns ? `${a.turns} turn${a.turns === 1 ? '' : 's'}` : '',
            a.restarts ? `${a.restarts} restart${a.restarts === 1 ? '' : 's'}` : '',
          ]
            .filter(Boolean)
            .join(' · ') || '—',
        );
        setText(c.worktree, a.worktree ?? '');
        c.worktree.title = a.worktree ?? '';
        c.worktree.parentElement!.hidden = !a.worktree;
        setText(c.ports, a.ports ?? '');
        c.ports.parentElement!.hidden = !a.ports;
        setText(c.attach, a.attach ?? '');
        c.attach.title = "Run this in a terminal (also over SSH) to see this agent's pane, zoomed";
        c.attach.parentElement!.hidden = !a.attach;
        setText(c.reason, a.reason ?? '');
        c.root.classList.toggle('selected', a.name === selected);
        c.root.title = `${a.name}: ${a.status}${a.reason ? ` (${a.reason})` : ''}. Click to see its screen.`;
      });
    }
    tickElapsed();
    renderAgentChoices();
  }

  function tickElapsed(): void {
    for (const a of view.agents) {
      const c = cards.get(a.name);
      if (!c) continue;
      const since = a.status === 'busy' && a.busy_since ? now() - Date.parse(a.busy_since) : null;
      setText(
        c.elapsed,
        since !== null ? duration(since) : `${a.status} for ${duration(now() - Date.parse(a.updated_at))}`,
      );
    }
    for (const row of document.querySelectorAll<HTMLElement>('#tasks tr[data-started]')) {
      const cell = row.querySelector<HTMLElement>('td.time');
      if (cell) setText(cell, duration(now() - Number(row.dataset.started)));
    }
  }
  window.setInterval(tickElapsed, 1000);

  function renderAgentChoices(): void {
    const names = view.agents.map((a) => a.name);
    for (const select of [byId<HTMLSelectElement>('pane-agent'), byId<HTMLSelectElement>('dispatch-agent')]) {
      const extra = select.id === 'dispatch-agent' ? ['(any idle agent)'] : [];
      const wanted = [...names, ...extra];
      const have = [...select.options].map((o) => o.value);
      if (have.join('\n') !== wanted.join('\n')) {
        const keep = select.value;
        select.replaceChildren(
          ...wanted.map((n) => {
            const o = make('option', '', n);
            o.value = n;
            return o;
          }),
        );
        if (wanted.includes(keep)) select.value = keep;
      }
    }
    if ((!selected || !names.includes(selected)) && names.length) selectPane(names[0]!);
    else if (selected) byId<HTMLSelectElement>('pane-agent').value = selected;
  }

  function renderHeader(): void {
    const s = view.session;
    setText(
      byId('session-name'),
      s ? `${s.name}${s.socket ? ` (tmux -L ${s.socket})` : ''}${s.ended_at ? ' — ended' : ''}` : '',
    );
    document.title = s ? `${s.name} · Claude Orchestrator` : 'Claude Orchestrator';
    setText(byId('total-cost'), money(view.totals.cost_usd));
    const counts = Object.entries(view.totals.by_status)
      .map(([k, v]) => `${v} ${k}`)
      .join(' · ');
    setText(
      byId('summary'),
      `${view.totals.agents} agent${view.totals.agents === 1 ? '' : 's'}${counts ? `: ${counts}` : ''}`,
    );
    const tasks = Object.entries(view.totals.tasks)
      .map(([k, v]) => `${v} ${k}`)
      .join(' · ');
    setText(byId('task-counts'), tasks);
  }

  // ---- the chosen agent's screen, by its own event stream.
  let paneStream: EventSource | undefined;
  function selectPane(name: string): void {
    if (name === selected && paneStream) return;
    selected = name;
    localStorage.setItem('orch-pane', name);
    byId<HTMLSelectElement>('pane-agent').value = name;
    for (const [n, c] of cards) c.root.classList.toggle('selected', n === name);
    paneStream?.close();
    byId('pane').replaceChildren();
    setText(byId('pane-info'), 'connecting…');
    paneStream = new EventSource(`/events/pane?agent=${encodeURIComponent(name)}`);
    paneStream.addEventListener('screen', (e) =>
      drawScreen(JSON.parse((e as MessageEvent<string>).data) as PaneScreen),
    );
    paneStream.onerror = () =>
      setText(byId('pane-info'), paneStream?.readyState === EventSource.CLOSED ? 'disconnected' : 'reconnecting…');
  }
  byId<HTMLSelectElement>('pane-agent').addEventListener('change', (e) =>
    selectPane((e.target as HTMLSelectElement).value),
  );

  function drawScreen(screen: PaneScreen): void {
    if (screen.agent !== selected) return;
    const pre = byId('pane');
    const frag = document.createDocumentFragment();
    for (const seg of screen.segments) {
      if (!seg.c && !seg.f && !seg.b) {
        frag.append(seg.t);
        continue;
      }
      const span = make('span', seg.c ?? '', seg.t);
      if (seg.f && /^#[0-9a-f]{6}$/.test(seg.f)) span.style.color = seg.f;
      if (seg.b && /^#[0-9a-f]{6}$/.test(seg.b)) span.style.backgroundColor = seg.b;
      frag.append(span);
    }
    pre.replaceChildren(frag);
    pre.dataset.agent = screen.agent;
    setText(
      byId('pane-info'),
      screen.error ??
        `${screen.pane} · ${screen.width}×${screen.height}${screen.dead ? ' · process exited' : ''} · ${time(screen.at)}`,
    );
  }

  // ---- tasks.
  function renderTasks(): void {
    const body = byId('tasks').querySelector('tbody')!;
    byId('tasks-empty').hidden = view.tasks.length > 0;
    body.replaceChildren(...view.tasks.map(taskRow));
  }
  function taskRow(t: TaskView): HTMLTableRowElement {
    const row = make('tr');
    row.dataset.task = t.id;
    row.dataset.taskState = t.state;
    const idCell = make('td', 'id', t.id.replace(/^t-/, '').slice(-8));
    idCell.title = `${t.id}${t.by ? `, by ${t.by}` : ''}${t.run ? `, run ${t.run}${t.run_task ? `/${t.run_task}` : ''}` : ''}`;
    const running = t.state === 'running' || t.state === 'delivering';
    const started = t.started_at ?? t.created_at;
    const timeCell = make(
      'td',
      'time',
      t.ended_at
        ? duration(Date.parse(t.ended_at) - Date.parse(started))
        : running
          ? duration(now() - Date.parse(started))
          : time(t.created_at),
    );
    if (running && !t.ended_at) row.dataset.started = String(Date.parse(started));
    const result = make('td', 'result', t.error ?? t.result ?? '');
    const action = make('td');
    if (csrf && !FINAL.includes(t.state)) {
      const button = make('button', 'small', 'cancel');
      button.type = 'button';
      button.addEventListener('click', () => void act('/api/cancel', { task: t.id }, byId('dispatch-result')));
      action.append(button);
    }
    row.append(
      idCell,
      make('td', '', t.agent ?? t.target),
      make('td', 'state', t.state),
      make('td', 'prompt', t.prompt),
      timeCell,
      make('td', '', money(t.cost_usd)),
      result,
      action,
    );
    return row;
  }

  // ---- history: every task, archived ones too, a page at a time from the server; and one task by id.
  let historyPage = 0;
  function renderArchived(): void {
    setText(byId('history-count'), view.archived ? `${view.archived} archived` : '');
  }
  async function showHistory(page: number): Promise<void> {
    const res = await fetch(`/api/tasks?page=${page}`, { headers: { Accept: 'application/json' } });
    const body = (await res.json().catch(() => ({ error: res.statusText }))) as {
      tasks?: TaskView[];
      page?: number;
      pages?: number;
      total?: number;
      error?: string;
    };
    if (!body.tasks) {
      setText(byId('history-page'), `cannot read the history: ${body.error ?? res.status}`);
      return;
    }
    historyPage = body.page ?? page;
    const table = byId('history');
    table.hidden = false;
    table.querySelector('tbody')!.replaceChildren(...body.tasks.map(taskRow));
    setText(byId('history-page'), `page ${historyPage} of ${body.pages ?? 1} · ${body.total ?? 0} tasks, newest first`);
    byId<HTMLButtonElement>('history-newer').disabled = historyPage <= 1;
    byId<HTMLButtonElement>('history-older').disabled = historyPage >= (body.pages ?? 1);
  }
  byId('history-load').addEventListener('click', () => void showHistory(1));
  byId('history-newer').addEventListener('click', () => void showHistory(Math.max(1, historyPage - 1)));
  byId('history-older').addEventListener('click', () => void showHistory(historyPage + 1));
  byId('task-find').addEventListener('submit', (e) => {
    e.preventDefault();
    const id = byId<HTMLInputElement>('task-find-id').value.trim();
    if (!id) return;
    void (async () => {
      const res = await fetch(`/api/task?id=${encodeURIComponent(id)}`, { headers: { Accept: 'application/json' } });
      const body = (await res.json().catch(() => ({ error: res.statusText }))) as { task?: TaskView; error?: string };
      const pre = byId('task-found');
      pre.hidden = false;
      const t = body.task;
      pre.dataset.task = t?.id ?? '';
      pre.textContent = t
        ? `${t.id} · ${t.agent ?? t.target} · ${t.state}${t.ended_at ? ` · ended ${time(t.ended_at)}` : ''} · ${money(t.cost_usd)}\n\nprompt: ${t.prompt}\n\n${t.error ? `error: ${t.error}` : `result: ${t.result ?? ''}`}`
        : `no task ${id}: ${body.error ?? res.status}`;
    })();
  });

  // ---- workflow runs as graphs: tasks in columns by depth of their needs, edges from need to task.
  const SVG = 'http://www.w3.org/2000/svg';
  function svg<K extends keyof SVGElementTagNameMap>(
    tag: K,
    attrs: Record<string, string | number>,
    text?: string,
  ): SVGElementTagNameMap[K] {
    const node = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function drawRun(run: RunView): HTMLElement {
    const box = make('div', 'run');
    box.dataset.run = run.id;
    box.append(
      make('h3', '', `${run.name}${run.state ? ` — ${run.state}` : ''}${run.name !== run.id ? ` (${run.id})` : ''}`),
    );
    const ids = new Set(run.tasks.map((t) => t.id));
    const depth = new Map<string, number>();
    const depthOf = (id: string, seen: Set<string>): number => {
      if (depth.has(id)) return depth.get(id)!;
      if (seen.has(id)) return 0;
      seen.add(id);
      const t = run.tasks.find((x) => x.id === id);
      const d = t ? Math.max(-1, ...t.needs.filter((n) => ids.has(n)).map((n) => depthOf(n, seen))) + 1 : 0;
      depth.set(id, d);
      return d;
    };
    const columns: string[][] = [];
    for (const t of run.tasks) {
      const depth = depthOf(t.id, new Set());
      columns[depth] = [...(columns[depth] ?? []), t.id];
    }
    const W = 170,
      H = 42,
      GX = 50,
      GY = 14,
      PAD = 10;
    const pos = new Map<string, { x: number; y: number }>();
    columns.forEach((col, c) => {
      col.forEach((id, r) => {
        pos.set(id, { x: PAD + c * (W + GX), y: PAD + r * (H + GY) });
      });
    });
    const width = PAD * 2 + Math.max(1, columns.length) * (W + GX) - GX;
    const height = PAD * 2 + Math.max(1, ...columns.map((c) => c.length)) * (H + GY) - GY;
    const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
    root.append(svg('title', {}, `workflow run ${run.name}`));
    for (const t of run.tasks) {
      const to = pos.get(t.id)!;
      for (const need of t.needs) {
        const from = pos.get(need);
        if (!from) continue;
        const x1 = from.x + W,
          y1 = from.y + H / 2,
          x2 = to.x,
          y2 = to.y + H / 2;
        root.append(
          svg('path', { class: 'edge', d: `M${x1},${y1} C${x1 + GX / 2},${y1} ${x2 - GX / 2},${y2} ${x2},${y2}` }),
        );
      }
    }
    for (const t of run.tasks) {
      const p = pos.get(t.id)!;
      const g = svg('g', { class: 'node', transform: `translate(${p.x},${p.y})` });
      g.dataset.runState = t.state.toLowerCase();
      g.dataset.runTask = t.id;
      const clipText = (s: string, n: number): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);
      g.append(
        svg('rect', { width: W, height: H, rx: 5 }),
        svg('text', { x: 8, y: 17 }, clipText(t.id, 22)),
        svg('text', { x: 8, y: 33, class: 'sub' }, clipText(`${t.state}${t.agent ? ` · ${t.agent}` : ''}`, 28)),
      );
      g.append(
        svg(
          'title',
          {},
          `${t.id}: ${t.state}${t.agent ? ` on ${t.agent}` : ''}${t.needs.length ? `; needs ${t.needs.join(', ')}` : ''}`,
        ),
      );
      root.append(g);
    }
    const wrap = make('div', 'graph');
    wrap.append(root);
    box.append(wrap);
    return box;
  }
  function renderRuns(): void {
    byId('runs-section').hidden = view.runs.length === 0;
    byId('runs').replaceChildren(...[...view.runs].reverse().map(drawRun));
  }

  // ---- handovers: the list, and the chosen one as text.
  let handover = '';
  let handoverStamp = '';
  async function showHandover(name: string): Promise<void> {
    handover = name;
    const pre = byId('handover-text');
    const res = await fetch(`/api/handover?name=${encodeURIComponent(name)}`, {
      headers: { Accept: 'application/json' },
    });
    const body = (await res.json().catch(() => ({ error: res.statusText }))) as {
      text?: string;
      truncated?: boolean;
      error?: string;
    };
    pre.hidden = false;
    pre.textContent =
      body.text !== undefined
        ? `${body.text}${body.truncated ? '\n[… truncated]' : ''}`
        : `cannot read ${name}: ${body.error ?? res.status}`;
  }
  function renderApprovals(): void {
    byId('approvals-section').hidden = !view.approvals.length;
    byId('approvals').replaceChildren(
      ...view.approvals.map((r) => {
        const li = make('li', 'approval');
        li.dataset.request = r.id;
        li.append(make('b', '', r.agent), make('span', '', ` asks ${r.summary} `), make('span', 'muted', time(r.at)));
        const input = make('pre', 'input', r.input);
        li.append(input);
        if (csrf) {
          for (const [label, behavior] of [
            ['Allow', 'allow'],
            ['Deny', 'deny'],
          ] as const) {
            const button = make('button', `small ${behavior}`, label);
            button.type = 'button';
            button.addEventListener(
              'click',
              () => void act('/api/decide', { request: r.id, behavior }, byId('approvals-result')),
            );
            li.append(button);
          }
        }
        return li;
      }),
    );
  }

  function renderAlerts(): void {
    byId('alerts-section').hidden = !view.alerts.length;
    byId('alerts').replaceChildren(...view.alerts.map((text) => make('li', 'alert', text)));
  }

  function renderConflicts(): void {
    byId('conflicts-section').hidden = !view.conflicts.length;
    byId('conflicts').replaceChildren(...view.conflicts.map((text) => make('li', 'conflict', text)));
  }

  function renderHandovers(): void {
    byId('handovers-empty').hidden = view.handovers.length > 0;
    byId('handovers').replaceChildren(
      ...view.handovers.map((h) => {
        const li = make('li', '', `${h.name}`);
        li.append(make('span', 'muted', ` · ${time(h.modified_at)} · ${Math.ceil(h.size / 1024)} KB`));
        li.tabIndex = 0;
        li.addEventListener('click', () => void showHandover(h.name));
        return li;
      }),
    );
    const current = view.handovers.find((h) => h.name === handover);
    if (current && current.modified_at !== handoverStamp) {
      handoverStamp = current.modified_at;
      void showHandover(current.name);
    }
  }

  function renderEvents(): void {
    byId('events').replaceChildren(
      ...view.events.map((e) => {
        const li = make('li');
        li.append(make('span', 't', time(e.at)), `${e.agent}: ${e.event} → `);
        const badge = make('span', 'badge', e.status);
        badge.dataset.state = e.status;
        li.append(badge);
        if (e.detail) li.append(make('span', 'muted', ` ${e.detail}`));
        return li;
      }),
    );
  }

  // ---- actions (only when the server gave this page its CSRF value, i.e. a token is configured).
  async function act(path: string, body: unknown, out: HTMLElement): Promise<boolean> {
    out.textContent = 'sending…';
    try {
      const res = await fetch(path, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Orch-Csrf': csrf },
        body: JSON.stringify(body),
      });
      const reply = (await res.json().catch(() => ({}))) as { id?: string; error?: string };
      out.textContent = res.ok
        ? reply.id
          ? `queued as ${reply.id}`
          : 'done'
        : `refused: ${reply.error ?? res.statusText}`;
      return res.ok;
    } catch (error) {
      out.textContent = `failed: ${(error as Error).message}`;
      return false;
    }
  }
  if (csrf) {
    byId('dispatch-section').hidden = false;
    byId('dispatch').addEventListener('submit', (e) => {
      e.preventDefault();
      const prompt = byId<HTMLTextAreaElement>('dispatch-prompt');
      const agent = byId<HTMLSelectElement>('dispatch-agent').value;
      const target = agent === '(any idle agent)' ? { any: true } : { agent };
      void act('/api/dispatch', { ...target, prompt: prompt.value }, byId('dispatch-result')).then((ok) => {
        if (ok) prompt.value = '';
      });
    });
  }

  // ---- the live store, by server-sent events: a snapshot on connect, then changed sections.
  const render: Record<keyof View, () => void> = {
    session: renderHeader,
    totals: renderHeader,
    agents: renderAgents,
    tasks: renderTasks,
    runs: renderRuns,
    events: renderEvents,
    handovers: renderHandovers,
    conflicts: renderConflicts,
    alerts: renderAlerts,
    approvals: renderApprovals,
    archived: renderArchived,
  };
  // Patches are applied at once, drawn at most once a frame: a page that falls behind (a loaded
  // machine, a burst of patches) draws each section once for all the patches that came meanwhile.
  const dirty = new Set<() => void>();
  let drawing = false;
  function draw(): void {
    drawing = false;
    const fns = [...dirty];
    dirty.clear();
    for (const fn of fns) fn();
  }
  function apply(data: string): void {
    const message = JSON.parse(data) as { now: number; view: Partial<View> };
    offset = message.now - Date.now();
    Object.assign(view, message.view);
    for (const key of Object.keys(message.view) as (keyof View)[]) {
      const fn = render[key];
      if (fn) dirty.add(fn);
    }
    if (drawing) return;
    drawing = true;
    // A hidden tab gets no frames: it is drawn on the next turn instead.
    if (document.hidden) setTimeout(draw, 0);
    else requestAnimationFrame(draw);
  }
  const conn = byId('conn');
  const status = (state: string, text: string): void => {
    conn.dataset.conn = state;
    conn.textContent = text;
  };
  const events = new EventSource('/events');
  events.addEventListener('snapshot', (e) => apply((e as MessageEvent<string>).data));
  events.addEventListener('patch', (e) => apply((e as MessageEvent<string>).data));
  events.onopen = () => status('live', 'live');
  events.onerror = () => {
    if (events.readyState !== EventSource.CLOSED) {
      status('connecting', 'reconnecting…');
      return;
    }
    status('lost', 'disconnected');
    void fetch('/api/state').then((res) => {
      if (res.status === 401 || res.status === 403)
        status('lost', 'not authorised: open the URL the dashboard printed (with its token)');
    });
  };
}
