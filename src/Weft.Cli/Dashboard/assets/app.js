// weft dashboard's page: polls /api/stat and /api/status, draws the service graph, and streams /api/tap.
// Every value a sidecar or request brought (names, paths) is written with textContent, never as markup.
'use strict';

const svgNs = 'http://www.w3.org/2000/svg';
const $ = id => document.getElementById(id);
let tap = null;

function el(name, attributes, text) {
  const node = name.startsWith('svg:') ? document.createElementNS(svgNs, name.slice(4)) : document.createElement(name);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function cell(text, numeric) {
  return el('td', numeric ? { class: 'num' } : {}, text);
}

async function getJson(url) {
  const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
  if (!response.ok) throw new Error(`${url}: ${response.status} ${await response.text()}`);
  return response.json();
}

function drawGraph(graph) {
  const svg = $('graph');
  svg.replaceChildren();
  const defs = el('svg:defs');
  const marker = el('svg:marker', { id: 'arrow', viewBox: '0 0 10 10', refX: '10', refY: '5', markerWidth: '7', markerHeight: '7', orient: 'auto-start-reverse' });
  marker.append(el('svg:path', { d: 'M 0 0 L 10 5 L 0 10 z', fill: '#7b8496' }));
  defs.append(marker);
  svg.append(defs);

  const width = 800, height = 520, radius = 34;
  const count = graph.nodes.length;
  const ring = Math.min(width, height) / 2 - 70;
  const at = new Map();
  graph.nodes.forEach((node, i) => {
    const angle = (2 * Math.PI * i) / Math.max(count, 1) - Math.PI / 2;
    at.set(node.id, count === 1 ? { x: width / 2, y: height / 2 } : { x: width / 2 + ring * Math.cos(angle), y: height / 2 + ring * Math.sin(angle) });
  });

  for (const edge of graph.edges) {
    const from = at.get(edge.from), to = at.get(edge.to);
    if (!from || !to) continue;
    const group = el('svg:g', {
      class: edge.successes < edge.requests ? 'edge failing' : 'edge',
      'data-from': edge.from, 'data-to': edge.to, 'data-requests': String(edge.requests),
      'data-success': edge.success, 'data-rps': edge.rpsText, 'data-p99': edge.p99,
    });
    const dx = to.x - from.x, dy = to.y - from.y, length = Math.hypot(dx, dy) || 1;
    const start = { x: from.x + (dx / length) * radius, y: from.y + (dy / length) * radius };
    const end = { x: to.x - (dx / length) * radius, y: to.y - (dy / length) * radius };
    // A slight curve keeps the calls a->b and b->a apart.
    const bend = { x: (start.x + end.x) / 2 - (dy / length) * 18, y: (start.y + end.y) / 2 + (dx / length) * 18 };
    group.append(el('svg:path', { d: `M ${start.x} ${start.y} Q ${bend.x} ${bend.y} ${end.x} ${end.y}` }));
    group.append(el('svg:text', { x: String(bend.x), y: String(bend.y - 4) }, `${edge.rpsText} · ${edge.success} · p99 ${edge.p99}`));
    svg.append(group);
  }

  for (const node of graph.nodes) {
    const p = at.get(node.id);
    const group = el('svg:g', { class: 'node', 'data-id': node.id, tabindex: '0' });
    group.append(el('svg:circle', { cx: String(p.x), cy: String(p.y), r: String(radius) }));
    const slash = node.id.indexOf('/');
    group.append(el('svg:text', { x: String(p.x), y: String(p.y - 2) }, slash > 0 ? node.id.slice(slash + 1) : node.id));
    group.append(el('svg:text', { x: String(p.x), y: String(p.y + 12) }, slash > 0 ? node.id.slice(0, slash) : ''));
    group.addEventListener('click', () => { $('tap-target').value = node.id; startTap(); });
    svg.append(group);
  }

  const select = $('tap-target');
  const chosen = select.value;
  select.replaceChildren(...graph.nodes.filter(n => n.id.includes('/') && !n.id.startsWith('spiffe:')).map(n => el('option', { value: n.id }, n.id)));
  if (chosen) select.value = chosen;
}

function drawRoutes(routes) {
  $('routes').tBodies[0].replaceChildren(...routes.map(r => {
    const row = el('tr', { 'data-name': r.name });
    row.append(cell(r.name), cell(r.success, true), cell(r.rpsText, true), cell(r.p50, true), cell(r.p95, true), cell(r.p99, true), cell(String(r.requests), true));
    return row;
  }));
}

async function refresh() {
  try {
    const stat = await getJson(`/api/stat?window=${encodeURIComponent($('window').value)}`);
    drawGraph(stat.graph);
    drawRoutes(stat.routes);
    $('notices').replaceChildren(...stat.notices.map(n => el('li', {}, n)));
    const status = await getJson('/api/status');
    $('status').textContent = status.text;
    $('updated').textContent = `updated ${new Date().toLocaleTimeString()}`;
    document.body.dataset.loaded = 'true';
  } catch (error) {
    $('updated').textContent = String(error.message || error);
  }
}

function startTap() {
  if (tap) tap.close();
  const id = $('tap-target').value;
  if (!id) return;
  const slash = id.indexOf('/');
  const body = $('tap').tBodies[0];
  body.replaceChildren();
  $('tap-state').textContent = `tapping ${id}`;
  tap = new EventSource(`/api/tap?namespace=${encodeURIComponent(id.slice(0, slash))}&target=${encodeURIComponent('deploy/' + id.slice(slash + 1))}`);
  tap.onmessage = message => {
    const e = JSON.parse(message.data);
    if (e.notice) { $('tap-state').textContent = e.notice; return; }
    const row = el('tr', { class: 'tap-event' });
    const time = new Date(Number(e.timeUnixMicros || 0) / 1000).toLocaleTimeString();
    const source = e.srcWorkload ? `${e.srcNamespace}/${e.srcWorkload}` : (e.srcIdentity || '-');
    const destination = e.dstService ? `svc/${e.dstService}` : (e.dstWorkload ? `${e.dstNamespace}/${e.dstWorkload}` : (e.authority || '-'));
    row.append(cell(time), cell(e.direction || ''), cell(e.method || ''), cell(`${e.authority || ''}${e.path || ''}`),
      cell(e.grpcStatus !== undefined ? `${e.status || 0} grpc ${e.grpcStatus}` : String(e.status || 0), true), cell(`${(Number(e.latencyMicros || 0) / 1000).toFixed(2)}ms`, true), cell(source), cell(destination));
    body.prepend(row);
    while (body.rows.length > 100) body.deleteRow(body.rows.length - 1);
  };
  tap.addEventListener('end', message => {
    $('tap-state').textContent = `tap of ${id} ended: ${JSON.parse(message.data)}`;
    tap.close();
    tap = null;
  });
  // No reconnecting: an error ends this tap (the operator starts another).
  tap.onerror = () => { if (tap) { tap.close(); tap = null; $('tap-state').textContent = `tap of ${id} closed`; } };
}

$('tap-form').addEventListener('submit', event => { event.preventDefault(); startTap(); });
$('window').addEventListener('change', refresh);
refresh();
setInterval(refresh, 2000);
