// The web view: what disco's /v1/status says, redrawn whenever /v1/events says something happened.
// Plain browser JavaScript, no build step. Every text from the server goes in through textContent,
// never as HTML: names and attributes come from whoever registered them.

const TOKEN_KEY = 'scs-token';
const MAX_EVENTS = 200;
const RETRY_MS = 1000;

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem(TOKEN_KEY) ?? '';
let refreshing;

/** An element with a class and children (strings become text). */
function el(tag, className, ...children) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

function headers() {
  return token ? { authorization: `Bearer ${token}` } : {};
}

class Unauthorized extends Error {}

async function get(path, init = {}) {
  const response = await fetch(path, { ...init, headers: headers(), cache: 'no-store' });
  if (response.status === 401 || response.status === 403) throw new Unauthorized(await response.text());
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return response;
}

function askForToken(message) {
  $('token').hidden = false;
  $('token-error').textContent = message ?? '';
  $('token-value').focus();
}

$('token').addEventListener('submit', (event) => {
  event.preventDefault();
  token = $('token-value').value.trim();
  sessionStorage.setItem(TOKEN_KEY, token);
  $('token').hidden = true;
  start();
});

function setLink(up, text) {
  $('link').className = `link ${up ? 'up' : 'down'}`;
  $('link').textContent = text;
}

const address = (endpoint) => (endpoint.host.includes(':') ? `[${endpoint.host}]:${endpoint.port}` : `${endpoint.host}:${endpoint.port}`);

/** A service as the page names it: `service.stack.environment`. */
const serviceId = (member, service) => `${service.service}.${member.stack}.${member.environment}`;

/** Members by data center, then host: one box per host, whatever stacks its agents run. */
function renderHosts(members) {
  const byDc = new Map();
  for (const member of members) {
    const dc = member.attrs?.dc ?? '(no data center)';
    if (!byDc.has(dc)) byDc.set(dc, new Map());
    const hosts = byDc.get(dc);
    if (!hosts.has(member.host)) hosts.set(member.host, []);
    hosts.get(member.host).push(member);
  }
  const root = $('hosts');
  root.replaceChildren();
  if (members.length === 0) root.append(el('p', 'empty', 'No agent has registered.'));
  for (const [dc, hosts] of [...byDc].sort(([a], [b]) => a.localeCompare(b))) {
    const group = el('div', 'dc', el('h3', '', `data center ${dc}`));
    for (const [host, agents] of [...hosts].sort(([a], [b]) => a.localeCompare(b))) {
      const box = el('div', 'host', el('h4', '', host));
      box.dataset.host = host;
      for (const member of agents) {
        const meta = [
          (member.attrs?.zone ?? member.attrs?.az) && `zone ${member.attrs.zone ?? member.attrs.az}`,
          member.address,
          `${member.stack}.${member.environment}`,
          `project ${member.project}`,
          `scs ${member.version}`,
          member.phase !== 'running' && member.phase,
        ];
        box.append(el('div', 'meta', meta.filter(Boolean).join(' · ')));
        for (const service of member.services ?? []) {
          const row = el('div', 'service', el('code', '', serviceId(member, service)));
          row.dataset.service = serviceId(member, service);
          if (service.instance) row.append(el('span', 'badge', `instance ${service.instance}`));
          row.append(el('span', `badge ${service.state}`, service.state));
          if (service.health) row.append(el('span', `badge ${service.health}`, service.health));
          if (service.drained) row.append(el('span', 'badge drained', 'drained'));
          for (const endpoint of service.provides ?? [])
            row.append(el('span', 'badge', `${endpoint.name.split('.')[0]} ${endpoint.address}`));
          box.append(row);
        }
      }
      group.append(box);
    }
    root.append(group);
  }
}

/** The dependency graph: a column per stack's services, an arrow from each dependent to what it requires. */
function renderGraph(members) {
  const services = new Map();
  const edges = [];
  for (const member of members) {
    for (const service of member.services ?? []) {
      const id = serviceId(member, service);
      services.set(id, { id, host: member.host });
      for (const requirement of service.requires ?? []) {
        const target = requirement.name.split('.').slice(1).join('.');
        const same = sameAddresses(requirement.applied, requirement.current);
        const state = requirement.current.length === 0 ? 'missing' : same ? 'applied' : 'stale';
        edges.push({ from: id, to: target, state, endpoint: requirement.endpoint });
        if (!services.has(target)) services.set(target, { id: target });
      }
    }
  }
  const root = $('graph');
  root.replaceChildren();
  if (edges.length === 0) {
    root.append(el('p', 'empty', 'No service requires another.'));
    return;
  }
  // Depth: how far a service is from what requires nothing; drawn left (dependents) to right.
  const depth = new Map();
  const depthOf = (id, seen = new Set()) => {
    if (depth.has(id)) return depth.get(id);
    if (seen.has(id)) return 0;
    seen.add(id);
    const below = edges.filter((edge) => edge.from === id).map((edge) => depthOf(edge.to, seen) + 1);
    const value = below.length ? Math.max(...below) : 0;
    depth.set(id, value);
    return value;
  };
  for (const id of services.keys()) depthOf(id);
  const maxDepth = Math.max(...depth.values());
  const columns = [];
  for (const [id, d] of [...depth].sort(([a], [b]) => a.localeCompare(b))) (columns[maxDepth - d] ??= []).push(id);
  const width = 190;
  const height = 44;
  const position = new Map();
  for (const [column, ids] of columns.entries()) {
    for (const [row, id] of ids.entries()) position.set(id, { x: 10 + column * (width + 60), y: 10 + row * (height + 16) });
  }
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const rows = Math.max(...columns.map((ids) => ids.length));
  svg.setAttribute('width', String(20 + columns.length * (width + 60)));
  svg.setAttribute('height', String(20 + rows * (height + 16)));
  svg.innerHTML =
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#6b7280"/></marker></defs>';
  for (const edge of edges) {
    const a = position.get(edge.from);
    const b = position.get(edge.to);
    const path = document.createElementNS(ns, 'path');
    path.setAttribute('class', `edge ${edge.state}`);
    path.setAttribute(
      'd',
      `M${a.x + width},${a.y + height / 2} C${a.x + width + 40},${a.y + height / 2} ${b.x - 40},${b.y + height / 2} ${b.x},${b.y + height / 2}`,
    );
    const title = document.createElementNS(ns, 'title');
    title.textContent = `${edge.from} requires ${edge.endpoint}.${edge.to}: ${edge.state}`;
    path.append(title);
    svg.append(path);
  }
  for (const [id, at] of position) {
    const group = document.createElementNS(ns, 'g');
    group.setAttribute('class', 'node');
    group.setAttribute('transform', `translate(${at.x},${at.y})`);
    const rect = document.createElementNS(ns, 'rect');
    rect.setAttribute('width', String(width));
    rect.setAttribute('height', String(height));
    rect.setAttribute('rx', '5');
    const name = document.createElementNS(ns, 'text');
    name.setAttribute('x', '8');
    name.setAttribute('y', '18');
    name.textContent = id;
    const host = document.createElementNS(ns, 'text');
    host.setAttribute('x', '8');
    host.setAttribute('y', '35');
    host.textContent = services.get(id)?.host ? `on ${services.get(id).host}` : 'not run by an agent';
    group.append(rect, name, host);
    svg.append(group);
  }
  root.append(svg);
}

function sameAddresses(a, b) {
  return a.length === b.length && a.every((value, at) => value === b[at]);
}

function renderEndpoints(endpoints) {
  const body = $('endpoints').tBodies[0];
  body.replaceChildren();
  for (const endpoint of [...endpoints].sort((a, b) => a.name.localeCompare(b.name) || address(a).localeCompare(address(b)))) {
    const attrs = Object.entries(endpoint.attrs ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(' ');
    const row = el('tr', '', el('td', '', endpoint.name), el('td', '', address(endpoint)), el('td', '', attrs));
    row.dataset.endpoint = endpoint.name;
    body.append(row);
  }
  if (endpoints.length === 0) body.append(el('tr', 'empty', el('td', '', 'none')));
}

function addEvent(event) {
  const list = $('events');
  const time = new Date(event.time).toLocaleTimeString([], { hour12: false });
  const words = [time, event.kind, event.name, `(${event.reason})`, event.detail, event.ok === false && 'failed'].filter(Boolean).join(' ');
  const item = el(
    'li',
    /-(dropped|left)$/.test(event.kind) || event.ok === false ? 'drop' : /-(added|joined)$/.test(event.kind) ? 'add' : '',
    words,
  );
  item.dataset.kind = event.kind;
  if (event.name) item.dataset.name = event.name;
  if (event.reason) item.dataset.reason = event.reason;
  list.prepend(item);
  while (list.children.length > MAX_EVENTS) list.lastChild.remove();
}

async function refresh() {
  const status = await (await get('/v1/status')).json();
  const { server } = status;
  $('server').textContent =
    `disco ${server.id}${server.version ? ` · scs ${server.version}` : ''}${status.truncated ? ' · the first part only' : ''}`;
  renderHosts(status.members ?? []);
  renderGraph(status.members ?? []);
  renderEndpoints(status.endpoints ?? []);
  document.body.dataset.updated = String(Date.now());
}

/** One refresh at a time, and at most one waiting: a burst of events costs two fetches, not one each. */
function scheduleRefresh() {
  if (refreshing) {
    refreshing.again = true;
    return;
  }
  refreshing = { again: false };
  refresh()
    .catch(fail)
    .finally(() => {
      const again = refreshing.again;
      refreshing = undefined;
      if (again) scheduleRefresh();
    });
}

function fail(error) {
  if (error instanceof Unauthorized) {
    setLink(false, 'needs a token');
    askForToken(token ? 'that token was refused' : '');
    return true;
  }
  setLink(false, 'disconnected');
  console.error(error);
  return false;
}

/** Reads the server-sent event stream through fetch, which (unlike EventSource) can send the token. */
async function follow() {
  const response = await get('/v1/events?since=10m', { headers: { ...headers(), accept: 'text/event-stream' } });
  setLink(true, 'live');
  $('events').replaceChildren(); // the stream starts with the last ten minutes again
  scheduleRefresh();
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) throw new Error('the event stream ended');
    buffer += value;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = block
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).trimStart())
        .join('\n');
      if (data) {
        addEvent(JSON.parse(data));
        scheduleRefresh();
      }
      end = buffer.indexOf('\n\n');
    }
  }
}

async function start() {
  for (;;) {
    try {
      await follow();
    } catch (error) {
      if (fail(error)) return; // waits for a token
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

start();
