// The page's HTML and CSS, as strings, so that the bundle in dist/bin needs no asset files.
// The HTML holds no data: everything arrives by the event stream and is put in with textContent.
import { escapeHtml } from './ansi.js';

/** The page; csrf is included only for a page allowed to act (a token is configured). */
export function pageHtml(opts: { csrf?: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${opts.csrf ? `<meta name="orch-csrf" content="${escapeHtml(opts.csrf)}">\n` : ''}<title>Claude Orchestrator</title>
<link rel="stylesheet" href="/style.css">
<script src="/app.js" defer></script>
</head>
<body>
<header class="top">
  <h1><span class="brand">Claude Orchestrator</span> <span id="session-name"></span></h1>
  <span id="conn" class="conn" data-conn="connecting">connecting…</span>
  <span id="summary" class="summary"></span>
  <span class="total">total cost <b id="total-cost">$0.0000</b></span>
</header>
<main>
  <section id="agents-section">
    <h2>Agents</h2>
    <div id="agents" class="cards"><p class="empty">Waiting for the session…</p></div>
  </section>
  <section id="approvals-section" hidden>
    <h2>Permission requests <span id="approvals-result" class="muted" role="status"></span></h2>
    <ul id="approvals" class="list"></ul>
  </section>
  <section id="alerts-section" hidden>
    <h2>Limits and budgets</h2>
    <ul id="alerts" class="list"></ul>
  </section>
  <section id="conflicts-section" hidden>
    <h2>Conflicts <span class="muted">found before any merge</span></h2>
    <ul id="conflicts" class="list"></ul>
  </section>
  <div class="columns">
    <section id="pane-section" class="wide">
      <h2>Screen <select id="pane-agent" aria-label="agent whose screen is shown"></select> <span id="pane-info" class="muted"></span></h2>
      <pre id="pane" class="term" tabindex="0"></pre>
    </section>
    <section id="dispatch-section" hidden>
      <h2>Dispatch a task</h2>
      <form id="dispatch" autocomplete="off">
        <label>to <select id="dispatch-agent" required></select></label>
        <textarea id="dispatch-prompt" rows="4" placeholder="What should the agent do?" required></textarea>
        <div class="row"><button type="submit">Send</button> <span id="dispatch-result" class="muted" role="status"></span></div>
      </form>
    </section>
  </div>
  <section id="runs-section" hidden>
    <h2>Workflow runs</h2>
    <div id="runs"></div>
  </section>
  <section id="tasks-section">
    <h2>Tasks <span id="task-counts" class="muted"></span></h2>
    <div class="table-wrap">
      <table id="tasks">
        <thead><tr><th>task</th><th>agent</th><th>state</th><th>prompt</th><th>time</th><th>cost</th><th>result</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
    <p id="tasks-empty" class="empty">No tasks yet.</p>
  </section>
  <section id="history-section">
    <h2>History <span id="history-count" class="muted"></span></h2>
    <form id="task-find" class="inline">
      <input id="task-find-id" placeholder="a task id, or its end" autocomplete="off" aria-label="task id">
      <button type="submit" class="small">Find</button>
      <button id="history-load" type="button" class="small">Every task</button>
      <button id="history-newer" type="button" class="small" disabled>‹ newer</button>
      <button id="history-older" type="button" class="small" disabled>older ›</button>
      <span id="history-page" class="muted"></span>
    </form>
    <pre id="task-found" class="doc" hidden></pre>
    <div class="table-wrap">
      <table id="history" hidden>
        <thead><tr><th>task</th><th>agent</th><th>state</th><th>prompt</th><th>time</th><th>cost</th><th>result</th><th></th></tr></thead>
        <tbody></tbody>
      </table>
    </div>
  </section>
  <div class="columns">
    <section id="handovers-section">
      <h2>Handovers</h2>
      <ul id="handovers" class="list"></ul>
      <p id="handovers-empty" class="empty">No handovers yet.</p>
      <pre id="handover-text" class="doc" hidden></pre>
    </section>
    <section id="events-section">
      <h2>Recent events</h2>
      <ol id="events" class="list events"></ol>
    </section>
  </div>
</main>
</body>
</html>
`;
}

/** The page's style sheet. */
export const STYLE_CSS = `
:root {
  --bg: #0f1115; --panel: #171a21; --line: #2a2f3a; --text: #e6e8eb; --muted: #8b93a1;
  --starting: #3bc9db; --idle: #40c057; --busy: #fab005; --waiting: #da77f2; --limited: #4dabf7; --unreachable: #ff922b; --error: #ff6b6b; --exited: #868e96;
  --term-fg: #d0d0d0; --term-bg: #000;
  color-scheme: dark;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
.top { position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; gap: .4rem 1rem; align-items: baseline;
  padding: .6rem 1rem; background: #0b0d11ee; border-bottom: 1px solid var(--line); }
.top h1 { margin: 0; font-size: 1.05rem; font-weight: 600; }
.brand { color: var(--muted); font-weight: 500; }
.conn { font-size: .8rem; padding: .05rem .5rem; border-radius: 1rem; border: 1px solid var(--line); color: var(--muted); }
.conn[data-conn="live"] { color: var(--idle); border-color: var(--idle); }
.conn[data-conn="lost"] { color: var(--error); border-color: var(--error); }
.summary { color: var(--muted); }
.total { margin-left: auto; }
main { padding: .5rem 1rem 2rem; max-width: 1800px; margin: 0 auto; }
section { margin: 1rem 0; min-width: 0; }
h2 { font-size: .95rem; margin: 0 0 .5rem; color: var(--muted); font-weight: 600; text-transform: uppercase; letter-spacing: .04em; }
h2 select { text-transform: none; }
.muted { color: var(--muted); font-weight: 400; text-transform: none; letter-spacing: 0; }
.empty { color: var(--muted); margin: .3rem 0; }
.columns { display: grid; grid-template-columns: minmax(0, 2fr) minmax(0, 1fr); gap: 0 1.2rem; }
.columns > section:only-child, .columns > section.wide:last-child { grid-column: 1 / -1; }
@media (max-width: 900px) { .columns { grid-template-columns: minmax(0, 1fr); } }

.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: .6rem; }
.card { background: var(--panel); border: 1px solid var(--line); border-left: 4px solid var(--exited); border-radius: 6px;
  padding: .5rem .65rem; cursor: pointer; min-width: 0; transition: border-color .15s; }
.card:hover, .card:focus-visible { border-color: #4c5566; outline: none; }
.card.selected { box-shadow: 0 0 0 1px #7aa2f7; }
.card .head { display: flex; gap: .4rem; align-items: baseline; min-width: 0; }
.card .name { font-weight: 650; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.card .role { color: var(--muted); font-size: .8rem; }
.card .state { margin-left: auto; font-size: .8rem; font-weight: 600; white-space: nowrap; }
.card dl { display: grid; grid-template-columns: auto minmax(0, 1fr); gap: .1rem .6rem; margin: .35rem 0 0; font-size: .85rem; }
.card dl > .f { display: contents; }
.card dl > .f[hidden] { display: none; }
.card dt { color: var(--muted); }
.cards.many .f-model, .cards.many .f-sid { display: none; }
.card dd { margin: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.card dd.last, .card dd.task { white-space: pre-wrap; word-break: break-word; max-height: 4.2em; overflow: hidden; }
.card dd.attach { font-family: var(--mono, monospace); font-size: .75rem; white-space: normal; word-break: break-all; user-select: all; }
.card .reason { margin: .35rem 0 0; font-size: .85rem; color: var(--waiting); white-space: pre-wrap; word-break: break-word; }
.card .reason:empty { display: none; }
.card .sid { font-family: ui-monospace, monospace; font-size: .8rem; }
[data-state="starting"] { --c: var(--starting); } [data-state="idle"] { --c: var(--idle); } [data-state="busy"] { --c: var(--busy); }
[data-state="waiting"] { --c: var(--waiting); } [data-state="error"] { --c: var(--error); } [data-state="exited"] { --c: var(--exited); } [data-state="limited"] { --c: var(--limited); } [data-state="unreachable"] { --c: var(--unreachable); }
.card[data-state] { border-left-color: var(--c); }
.card[data-state] .state, .badge[data-state] { color: var(--c); }
.card[data-state="error"] .reason { color: var(--error); }
.card[data-state="busy"] .sym { animation: pulse 1.2s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: .35; } }
@media (prefers-reduced-motion: reduce) { .card[data-state="busy"] .sym { animation: none; } }

.term { background: var(--term-bg); color: var(--term-fg); margin: 0; padding: .5rem; border-radius: 6px; border: 1px solid var(--line);
  font: 12px/1.25 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; overflow: auto; max-height: 70vh; min-height: 8rem; white-space: pre; }
.term:focus { outline: 1px solid #4c5566; }
.term .bo { font-weight: 700; } .term .dim { opacity: .6; } .term .it { font-style: italic; } .term .ul { text-decoration: underline; }
.term .st { text-decoration: line-through; } .term .hid { visibility: hidden; }
.term .fgd-rev { color: var(--term-bg); } .term .bgd-rev { background-color: var(--term-fg); }
.f0{color:#000}.f1{color:#cd0000}.f2{color:#00cd00}.f3{color:#cdcd00}.f4{color:#3b78ff}.f5{color:#cd00cd}.f6{color:#00cdcd}.f7{color:#e5e5e5}
.f8{color:#7f7f7f}.f9{color:#ff0000}.f10{color:#00ff00}.f11{color:#ffff00}.f12{color:#5c5cff}.f13{color:#ff00ff}.f14{color:#00ffff}.f15{color:#fff}
.b0{background-color:#000}.b1{background-color:#cd0000}.b2{background-color:#00cd00}.b3{background-color:#cdcd00}.b4{background-color:#0000ee}.b5{background-color:#cd00cd}.b6{background-color:#00cdcd}.b7{background-color:#e5e5e5}
.b8{background-color:#7f7f7f}.b9{background-color:#ff0000}.b10{background-color:#00ff00}.b11{background-color:#ffff00}.b12{background-color:#5c5cff}.b13{background-color:#ff00ff}.b14{background-color:#00ffff}.b15{background-color:#fff}

form { display: grid; gap: .5rem; }
label { color: var(--muted); }
select, textarea, button { font: inherit; color: var(--text); background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: .35rem .5rem; }
textarea { width: 100%; resize: vertical; min-height: 5rem; }
button { cursor: pointer; background: #24364f; border-color: #35507a; }
button:hover { background: #2d4466; }
button.small { padding: .1rem .45rem; font-size: .8rem; }
form.inline { display: flex; gap: .4rem; align-items: center; flex-wrap: wrap; margin-bottom: .5rem; }
.row { display: flex; gap: .6rem; align-items: center; flex-wrap: wrap; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; background: var(--panel); position: sticky; top: 0; }
td.prompt, td.result { max-width: 28rem; white-space: pre-wrap; word-break: break-word; }
td.id { font-family: ui-monospace, monospace; white-space: nowrap; }
tr[data-task-state="running"] td.state, tr[data-task-state="delivering"] td.state { color: var(--busy); }
tr[data-task-state="done"] td.state { color: var(--idle); }
tr[data-task-state="failed"] td.state, tr[data-task-state="interrupted"] td.state { color: var(--error); }
tr[data-task-state="cancelled"] td.state, tr[data-task-state="queued"] td.state { color: var(--muted); }
.list { list-style: none; margin: 0; padding: 0; }
.list li { padding: .25rem 0; border-bottom: 1px solid var(--line); font-size: .85rem; word-break: break-word; }
.list li.conflict { color: var(--error); }
.list li.alert { color: var(--limited); }
.list li.approval pre.input { margin: .2rem 0; max-height: 6em; overflow: auto; font-size: .75rem; white-space: pre-wrap; word-break: break-all; }
.list li.approval button { margin-right: .4rem; }
.events li .t { color: var(--muted); font-family: ui-monospace, monospace; margin-right: .4rem; }
#handovers li { cursor: pointer; } #handovers li:hover { color: #7aa2f7; }
.doc { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6rem; white-space: pre-wrap; word-break: break-word; max-height: 60vh; overflow: auto; }
.run { margin-bottom: 1rem; }
.run h3 { font-size: .9rem; margin: .2rem 0; font-weight: 600; }
.graph { overflow-x: auto; border: 1px solid var(--line); border-radius: 6px; background: var(--panel); }
.graph svg { display: block; }
.graph .node rect { fill: #1f2430; stroke: var(--exited); stroke-width: 1.5; }
.graph .node text { fill: var(--text); font-size: 12px; }
.graph .node .sub { fill: var(--muted); font-size: 10px; }
.graph .edge { stroke: #4c5566; stroke-width: 1.5; fill: none; }
.graph .node[data-run-state="running"] rect, .graph .node[data-run-state="delivering"] rect, .graph .node[data-run-state="busy"] rect { stroke: var(--busy); }
.graph .node[data-run-state="done"] rect, .graph .node[data-run-state="succeeded"] rect { stroke: var(--idle); }
.graph .node[data-run-state="failed"] rect, .graph .node[data-run-state="interrupted"] rect, .graph .node[data-run-state="error"] rect { stroke: var(--error); }
.graph .node[data-run-state="skipped"] rect, .graph .node[data-run-state="cancelled"] rect { stroke-dasharray: 4 3; }
@media (max-width: 520px) {
  body { font-size: 13px; }
  main { padding: .3rem .5rem 2rem; }
  .top { padding: .5rem; position: static; }
  .total { margin-left: 0; }
  .cards { grid-template-columns: minmax(0, 1fr); gap: .4rem; }
  .card .f-model, .card .f-sid, .cards.many .f-last { display: none; }
  .card dd.last, .card dd.task { max-height: 2.8em; }
  .term { font-size: 10px; }
}
`;

/** The page shown when a request is refused (plain: its style sheet would be refused too; the message is escaped). */
export function deniedHtml(status: number, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${status}</title></head><body><div><h1>${status}</h1><p>${escapeHtml(message)}</p></div></body></html>\n`;
}
