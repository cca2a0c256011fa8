// The status page: one self-contained HTML document (no CDN, no build step). Its script follows
// /api/stream (server-sent events) and falls back to polling /api/state; every value is set as
// text, except the graph, an SVG the server drew with every name escaped.

export const STATUS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>dom0</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2rem; color: #222; background: #fafafa; }
  h1 { font-size: 1.3rem; margin: 0 0 .2rem; }
  h2 { font-size: 1rem; margin: 1.4rem 0 .4rem; }
  .meta { color: #555; }
  .meta span { margin-right: 1.2rem; }
  table { border-collapse: collapse; background: #fff; }
  th, td { text-align: left; padding: .25rem .7rem; border-bottom: 1px solid #e4e4e4; }
  th { font-weight: 600; color: #444; }
  .state-running { color: #2e7d32; font-weight: 600; }
  .state-restarting, .state-exited, .state-dead, .state-missing { color: #c62828; font-weight: 600; }
  .state-created { color: #888; }
  .bad { color: #c62828; }
  .ok { color: #2e7d32; }
  ol#events { list-style: none; padding: 0; margin: 0; font: 12px/1.5 ui-monospace, monospace; }
  ol#events li.warn { color: #8a6d00; }
  ol#events li.error, ol#events li.fatal { color: #c62828; }
  ol#events .diag { display: block; margin-left: 2rem; white-space: pre-wrap; }
  ul#plan { margin: 0; padding-left: 1.2rem; }
  #rollback { display: none; margin: .6rem 0; padding: .5rem .8rem; border: 2px solid #c62828; background: #fdecea; color: #c62828; font-weight: 600; }
  #graph svg { background: #fff; border: 1px solid #e4e4e4; max-width: 100%; height: auto; }
</style>
</head>
<body>
<h1>dom0 <span id="fleet"></span></h1>
<div class="meta"><span id="file"></span><span id="engine"></span><span id="last-apply"></span><span id="source"></span><span id="updated"></span></div>
<div id="rollback"></div>
<h2>Entries</h2>
<table id="entries"><thead><tr><th>name</th><th>kind</th><th>state</th><th>health</th><th>image</th><th>uptime</th><th>restarts</th><th>sync</th><th>next run</th></tr></thead><tbody></tbody></table>
<h2>Plan <small class="meta">(what an apply would do now)</small></h2>
<ul id="plan"></ul>
<h2>Dependencies</h2>
<div id="graph"></div>
<h2>Events <small class="meta">(last 100, newest first)</small></h2>
<ol id="events"></ol>
<script>
(function () {
  var query = location.search;
  function el(tag, text, cls) { var e = document.createElement(tag); if (text !== undefined) e.textContent = text; if (cls) e.className = cls; return e; }
  function set(id, text, cls) { var e = document.getElementById(id); e.textContent = text; e.className = cls || ''; }
  function render(s) {
    set('fleet', s.fleet || '(no manifest applied yet)');
    set('file', s.file || '');
    set('engine', s.engineConnected ? 'engine: connected' : 'engine: unreachable', s.engineConnected ? 'ok' : 'bad');
    if (s.lastApply) {
      var a = s.lastApply;
      set('last-apply', 'last apply: ' + a.result + ' at ' + a.time.replace('T', ' ').slice(0, 19) + (a.durationMs !== undefined ? ' (' + (a.durationMs / 1000).toFixed(1) + ' s)' : '') + (a.why ? ' — ' + a.why : ''), a.result === 'converged' ? 'ok' : 'bad');
    } else set('last-apply', 'last apply: none yet');
    set('updated', 'updated ' + s.now.replace('T', ' ').slice(0, 19));
    var src = s.source;
    if (src) {
      var ver = src.version ? src.version.slice(0, 12) : 'none';
      set('source', src.state === 'error'
        ? 'source ' + src.source + ': FAILING (' + src.failures + 'x, ' + (src.lastError || '').split('\\n')[0] + '); running last good version ' + ver
        : 'source ' + src.source + ': ' + src.state + ', version ' + ver + (src.lastSuccessAt ? ', checked ' + src.lastSuccessAt.replace('T', ' ').slice(0, 19) : ''),
        src.state === 'ok' ? 'ok' : 'bad');
    } else set('source', '');
    var rb = document.getElementById('rollback');
    if (s.rollback) {
      rb.textContent = 'rolled back: manifest ' + s.rollback.manifest.slice(0, 12) + ' bad since ' + s.rollback.since.replace('T', ' ').slice(0, 19) + (s.rollback.rolledBackTo ? '; running last-healthy ' + s.rollback.rolledBackTo.slice(0, 12) : '') + (s.rollback.services.length ? ' — ' + s.rollback.services.map(function (f) { return f.service + ': ' + f.state; }).join(', ') : '');
      rb.style.display = 'block';
    } else rb.style.display = 'none';
    var body = document.querySelector('#entries tbody');
    body.textContent = '';
    s.entries.forEach(function (e) {
      var tr = el('tr');
      tr.setAttribute('data-entry', e.name);
      tr.appendChild(el('td', e.name));
      tr.appendChild(el('td', e.kind));
      var st = el('td', e.state, 'state state-' + e.state);
      tr.appendChild(st);
      tr.appendChild(el('td', e.health || '-'));
      tr.appendChild(el('td', e.image));
      tr.appendChild(el('td', e.uptime || '-'));
      tr.appendChild(el('td', String(e.restarts)));
      tr.appendChild(el('td', e.sync));
      tr.appendChild(el('td', e.nextRun ? e.nextRun.replace('T', ' ').slice(0, 19) : '-'));
      body.appendChild(tr);
    });
    var plan = document.getElementById('plan');
    plan.textContent = '';
    var todo = s.plan.filter(function (p) { return p.action !== 'keep' && p.action !== 'done'; });
    if (s.planError) plan.appendChild(el('li', 'cannot plan: ' + s.planError, 'bad'));
    else if (todo.length === 0) plan.appendChild(el('li', 'nothing to do: the fleet matches the manifest', 'ok'));
    todo.forEach(function (p) {
      var li = el('li', p.name + ': ' + p.action + (p.reasons.length ? ' — ' + p.reasons.join('; ') : ''));
      li.setAttribute('data-entry', p.name);
      plan.appendChild(li);
    });
    document.getElementById('graph').innerHTML = s.graph;
    var events = document.getElementById('events');
    events.textContent = '';
    s.events.slice().reverse().forEach(function (e) {
      var li = el('li', e.time.replace('T', ' ').slice(0, 19) + '  ' + e.event + (e.entry ? ' [' + e.entry + ']' : '') + '  ' + e.message, e.level);
      (e.diagnostics || []).forEach(function (d) { li.appendChild(el('span', d, 'diag')); });
      events.appendChild(li);
    });
  }
  function poll() {
    fetch('/api/state' + query).then(function (r) { return r.json(); }).then(render).catch(function () {}).finally(function () { setTimeout(poll, 2000); });
  }
  if (window.EventSource) {
    var es = new EventSource('/api/stream' + query);
    var failed = 0;
    es.onmessage = function (m) { failed = 0; render(JSON.parse(m.data)); };
    es.onerror = function () { if (++failed > 3) { es.close(); poll(); } };
  } else poll();
})();
</script>
</body>
</html>
`;
