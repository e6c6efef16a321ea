// Runs every call of /calls.json against the API with fetch and shows what the browser let
// the script see, then opens the chat gateway's socket from this page and from another
// origin; the admin panel adds and removes origins while the API runs, and shows what the
// other origin can do after each change. Plain browser JavaScript: no build step, no external
// assets.
import { trySocket } from './sockets.js';

const MAX_BODY = 400;

const $ = (selector) => document.querySelector(selector);

/** Origins the admin panel added at run time, as the API last reported them. */
let addedOrigins = [];
/** The second page origin (calls.json), whose sockets the API admits once it is added. */
let otherPageOrigin = null;

/** Creates an element; children may be strings, so response text never goes through innerHTML. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function describeRequest(call, api) {
  const lines = [`${call.method} ${api}${call.path}`];
  const headers = { ...(call.headers ?? {}) };
  if (call.json !== undefined) headers['Content-Type'] = 'application/json';
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  if (call.json !== undefined) lines.push('', JSON.stringify(call.json));
  const notes = [];
  if (call.credentials) notes.push(`credentials: '${call.credentials}'`);
  notes.push(call.preflight ? 'preflighted (OPTIONS first)' : 'simple request (no preflight)');
  return [el('pre', {}, lines.join('\n')), el('div', { class: 'detail' }, notes.join(' · '))];
}

function describeExpectation(expect) {
  if (expect.cors === 'blocked') return 'blocked by CORS';
  return expect.status === undefined ? 'allowed' : `allowed · ${expect.status}`;
}

async function runCall(call, api) {
  const headers = { ...(call.headers ?? {}) };
  const init = { method: call.method, headers, mode: 'cors', cache: 'no-store' };
  if (call.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(call.json);
  }
  if (call.credentials) init.credentials = call.credentials;
  let response;
  try {
    response = await fetch(`${api}${call.path}`, init);
  } catch (error) {
    // The only thing a script learns from a CORS refusal: a TypeError, no status, no body.
    // The server can say more: its explain endpoint gives the reason the library would log.
    return { cors: 'blocked', error: `${error.name}: ${error.message}`, reason: await serverReason(call, api, Object.keys(headers)) };
  }
  const text = await response.text();
  const readHeaders = (call.readHeaders ?? []).map((name) => [name, response.headers.get(name)]);
  return { cors: 'allowed', status: response.status, statusText: response.statusText, body: text, readHeaders };
}

/**
 * The server's reason for a blocked call, from the sample API's /cors/explain endpoint. `from`
 * names the origin of a call another page made (default: this page's).
 */
async function serverReason(call, api, headerNames, from) {
  try {
    const response = await fetch(`${api}/cors/explain`, {
      method: 'POST',
      mode: 'cors',
      cache: 'no-store',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ method: call.method, path: call.path, headers: headerNames, preflight: call.preflight, origin: from }),
    });
    return (await response.json()).reason;
  } catch (error) {
    return `(could not ask the server: ${error.message})`;
  }
}

function formatBody(text) {
  let shown = text;
  try {
    shown = JSON.stringify(JSON.parse(text));
  } catch {
    // Not JSON: show it as it came.
  }
  if (shown.length > MAX_BODY) shown = `${shown.slice(0, MAX_BODY)}…`;
  return shown === '' ? '(empty body)' : shown;
}

function matches(call, outcome) {
  if (outcome.cors !== call.expect.cors) return false;
  return call.expect.status === undefined || outcome.status === call.expect.status;
}

function renderOutcome(cell, row, call, outcome) {
  cell.replaceChildren();
  row.classList.remove('pending');
  row.classList.add(outcome.cors);
  row.dataset.outcome = outcome.cors;
  if (outcome.cors === 'allowed') {
    row.dataset.status = String(outcome.status);
    cell.append(el('div', { class: 'verdict' }, `allowed · ${outcome.status} ${outcome.statusText}`.trim()));
    cell.append(el('pre', { class: 'detail body' }, formatBody(outcome.body)));
    for (const [name, value] of outcome.readHeaders) {
      cell.append(el('div', { class: 'detail' }, `${name}: ${value === null ? '(hidden from the script)' : value}`));
    }
  } else {
    cell.append(el('div', { class: 'verdict' }, 'blocked by CORS'));
    cell.append(el('div', { class: 'detail' }, `fetch rejected: ${outcome.error}`));
    if (outcome.reason) cell.append(el('div', { class: 'detail reason' }, `server says: ${outcome.reason}`));
  }
  const ok = matches(call, outcome);
  row.dataset.match = ok ? 'yes' : 'no';
  row.classList.toggle('mismatch', !ok);
  cell.append(el('span', { class: 'match' }, ok ? '✓ as expected' : '✗ not what the sample expects'));
  return ok;
}

function buildRows(config) {
  const body = $('#results tbody');
  body.replaceChildren();
  return config.calls.map((call, index) => {
    const outcomeCell = el('td', { class: 'outcome' }, el('div', { class: 'verdict' }, 'waiting…'));
    const row = el(
      'tr',
      { class: 'pending', 'data-call-id': call.id, 'data-expected': call.expect.cors, 'data-outcome': 'pending' },
      el('td', {}, String(index + 1)),
      el('td', {}, el('div', { class: 'title' }, call.title), el('div', { class: 'why' }, call.why)),
      el('td', { class: 'request' }, ...describeRequest(call, config.api)),
      el('td', {}, describeExpectation(call.expect)),
      outcomeCell,
    );
    body.append(row);
    return { call, row, outcomeCell };
  });
}

async function runAll(config) {
  const button = $('#run');
  const summary = $('#summary');
  button.disabled = true;
  summary.dataset.state = 'running';
  summary.textContent = 'Running…';
  const rows = buildRows(config);
  let good = 0;
  // One after the other: the cookie read-back call depends on the login call before it.
  for (const { call, row, outcomeCell } of rows) {
    if (renderOutcome(outcomeCell, row, call, await runCall(call, config.api))) good += 1;
  }
  summary.dataset.state = 'done';
  summary.dataset.good = String(good);
  summary.dataset.total = String(rows.length);
  summary.textContent = `${good} of ${rows.length} calls as expected.`;
  button.disabled = false;
}

/**
 * Loads the other origin's page in a frame and resolves with what runs there:
 * `socket(socket)` opens one socket, `call(id)` makes one HTTP call (other.js names them).
 */
function otherOrigin(config) {
  return new Promise((resolve) => {
    const pending = new Map();
    const ask = (type, id) => new Promise((done) => {
      pending.set(`${type}:${id}`, done);
      frame.contentWindow.postMessage({ type, id }, config.otherOrigin);
    });
    window.addEventListener('message', (event) => {
      if (event.origin !== config.otherOrigin) return;
      if (event.data?.type === 'other-ready') {
        resolve({ socket: (socket) => ask('try-socket', socket.id), call: (id) => ask('try-call', id) });
      } else if (event.data?.type === 'socket-outcome' || event.data?.type === 'call-outcome') {
        const key = `${event.data.type === 'socket-outcome' ? 'try-socket' : 'try-call'}:${event.data.id}`;
        pending.get(key)?.(event.data.outcome);
        pending.delete(key);
      }
    });
    const frame = el('iframe', { src: `${config.otherOrigin}/other.html`, title: 'another origin', hidden: '' });
    $('#other-frame').append(frame);
  });
}

/**
 * What a socket should do now: as calls.ts says, unless the admin panel has added the other
 * origin, whose sockets the API then admits.
 */
function expectedOf(socket) {
  return socket.from === 'other' && addedOrigins.includes(otherPageOrigin) ? 'connected' : socket.expect;
}

function renderSocket(row, cell, socket, outcome) {
  cell.replaceChildren();
  row.classList.remove('pending');
  const shown = outcome.result === 'connected' ? 'allowed' : 'blocked';
  row.classList.add(shown);
  row.dataset.outcome = outcome.result;
  if (outcome.result === 'connected') {
    const { echoed, session, transport } = outcome.reply ?? {};
    cell.append(el('div', { class: 'verdict' }, `connected over ${transport}`));
    cell.append(el('div', { class: 'detail' }, `reply: ${formatBody(JSON.stringify(echoed ?? null))}`));
    cell.append(el('div', { class: 'detail' }, `session the gateway saw: ${session ?? '(no cookie)'}`));
  } else {
    cell.append(el('div', { class: 'verdict' }, outcome.result === 'refused' ? 'refused' : 'failed'));
    cell.append(el('div', { class: 'detail' }, outcome.error));
  }
  const ok = outcome.result === expectedOf(socket);
  row.dataset.match = ok ? 'yes' : 'no';
  row.classList.toggle('mismatch', !ok);
  cell.append(el('span', { class: 'match' }, ok ? '✓ as expected' : '✗ not what the sample expects'));
  return ok;
}

async function runSockets(config, runOther) {
  const summary = $('#socket-summary');
  summary.dataset.state = 'running';
  summary.textContent = 'Opening sockets…';
  const body = $('#sockets tbody');
  body.replaceChildren();
  let good = 0;
  for (const socket of config.sockets) {
    const cell = el('td', { class: 'outcome' }, el('div', { class: 'verdict' }, 'waiting…'));
    const from = socket.from === 'page' ? config.pageOrigin : config.otherOrigin;
    const row = el(
      'tr',
      { class: 'pending', 'data-socket-id': socket.id, 'data-expected': expectedOf(socket), 'data-outcome': 'pending' },
      el('td', {}, el('div', { class: 'title' }, socket.title), el('div', { class: 'why' }, socket.why)),
      el('td', {}, el('code', {}, from)),
      el('td', {}, socket.transport, socket.extraHeaders ? el('div', { class: 'detail' }, `extraHeaders: ${Object.keys(socket.extraHeaders).join(', ')}`) : null),
      el('td', {}, expectedOf(socket) === socket.expect ? socket.expect : `${expectedOf(socket)} (origin added by the admin panel)`),
      cell,
    );
    body.append(row);
    const outcome = socket.from === 'page' ? await trySocket(config.api, socket) : await runOther.socket(socket);
    if (renderSocket(row, cell, socket, outcome)) good += 1;
  }
  summary.dataset.state = 'done';
  summary.dataset.good = String(good);
  summary.dataset.total = String(config.sockets.length);
  summary.textContent = `${good} of ${config.sockets.length} sockets as expected.`;
}

/** The HTTP call the other origin makes for the admin panel (other.js runs it by this id). */
const OTHER_CALL = { id: 'greetings', method: 'GET', path: '/greetings', preflight: false };

function renderOtherRow(row, outcome, reason) {
  const cell = row.querySelector('.outcome');
  cell.replaceChildren();
  row.classList.remove('pending', 'allowed', 'blocked');
  const allowed = outcome.cors === 'allowed' || outcome.result === 'connected';
  row.classList.add(allowed ? 'allowed' : 'blocked');
  row.dataset.outcome = outcome.cors ?? outcome.result;
  if (outcome.cors === 'allowed') {
    cell.append(el('div', { class: 'verdict' }, `allowed · ${outcome.status}`), el('pre', { class: 'detail body' }, formatBody(outcome.body)));
  } else if (outcome.cors === 'blocked') {
    cell.append(el('div', { class: 'verdict' }, 'blocked by CORS'), el('div', { class: 'detail' }, `fetch rejected: ${outcome.error}`));
    if (reason) cell.append(el('div', { class: 'detail reason' }, `server says: ${reason}`));
  } else if (outcome.result === 'connected') {
    cell.append(el('div', { class: 'verdict' }, `connected over ${outcome.reply?.transport}`), el('div', { class: 'detail' }, `reply: ${formatBody(JSON.stringify(outcome.reply?.echoed ?? null))}`));
  } else {
    cell.append(el('div', { class: 'verdict' }, outcome.result), el('div', { class: 'detail' }, `${outcome.error} (the API's terminal says why)`));
  }
}

/** Makes the other origin's HTTP call and opens its sockets, and shows what the browser decided. */
async function runOtherTries(config, other) {
  const summary = $('#other-summary');
  const button = $('#other-run');
  button.disabled = true;
  summary.dataset.state = 'running';
  summary.textContent = 'Trying from the other origin…';
  const body = $('#other-calls tbody');
  body.replaceChildren();
  const row = (id, title) => {
    const tr = el('tr', { class: 'pending', 'data-try': id, 'data-outcome': 'pending' }, el('td', {}, title), el('td', { class: 'outcome' }, 'waiting…'));
    body.append(tr);
    return tr;
  };
  const httpRow = row('http', `${OTHER_CALL.method} ${config.api}${OTHER_CALL.path} (fetch)`);
  const call = await other.call(OTHER_CALL.id);
  const reason = call.cors === 'blocked' ? await serverReason(OTHER_CALL, config.api, [], config.otherOrigin) : null;
  renderOtherRow(httpRow, call, reason);
  for (const socket of config.sockets.filter((s) => s.from === 'other')) {
    const tr = row(socket.id, `chat socket over ${socket.transport}`);
    renderOtherRow(tr, await other.socket(socket));
  }
  summary.dataset.state = 'done';
  summary.dataset.run = String(Number(summary.dataset.run) + 1);
  summary.textContent = addedOrigins.includes(config.otherOrigin)
    ? `${config.otherOrigin} is added: the API admits it.`
    : `${config.otherOrigin} is not added: the API refuses it.`;
  button.disabled = false;
}

function renderAddedOrigins(config, onRemove) {
  const list = $('#admin-origins');
  list.replaceChildren(...addedOrigins.map((origin) => {
    const remove = el('button', { type: 'button', class: 'remove', 'data-origin': origin }, 'Remove');
    remove.addEventListener('click', () => onRemove(origin));
    return el('li', { 'data-origin': origin }, el('code', {}, origin), ' ', remove);
  }));
  $('#admin-none').hidden = addedOrigins.length > 0;
}

/** One call to the API's admin endpoint; resolves with its status and JSON body. */
async function admin(config, method, origin) {
  const init = { method, mode: 'cors', cache: 'no-store', headers: {} };
  let url = `${config.api}/admin/cors/origins`;
  if (method === 'POST') {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify({ origin });
  } else if (method === 'DELETE') {
    url += `?origin=${encodeURIComponent(origin)}`;
  }
  const response = await fetch(url, init);
  return { status: response.status, body: await response.json().catch(() => ({})) };
}

function showAdminStatus(state, text, details = []) {
  const status = $('#admin-status');
  status.dataset.state = state;
  status.className = state === 'error' ? 'warning' : '';
  status.replaceChildren(el('div', {}, text), ...(details.length ? [el('ul', {}, ...details.map((d) => el('li', {}, d)))] : []));
}

/** The admin panel: lists, adds and removes origins, then tries the other origin again. */
async function startAdmin(config, other) {
  const input = $('#admin-origin');
  const add = $('#admin-add');
  input.value = config.otherOrigin;
  $('#admin-other-origin').textContent = config.otherOrigin;
  $('#other-calls-origin').textContent = config.otherOrigin;
  const change = async (method, origin) => {
    add.disabled = true;
    showAdminStatus('busy', `${method === 'POST' ? 'Adding' : 'Removing'} ${origin}…`);
    try {
      const { status, body } = await admin(config, method, origin);
      if (status >= 200 && status < 300) {
        addedOrigins = body.origins;
        renderAddedOrigins(config, (o) => change('DELETE', o));
        showAdminStatus('ok', `${method === 'POST' ? 'Added' : 'Removed'} ${origin}: CorsService.reconfigure() put the new options in force.`);
        await runOtherTries(config, other);
      } else {
        showAdminStatus('error', `Refused (${status}): ${body.message ?? 'no reason given'}`, body.issues ?? []);
      }
    } catch (error) {
      showAdminStatus('error', `Could not reach the admin endpoint: ${error.message}`);
    } finally {
      add.disabled = false;
    }
  };
  $('#admin-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void change('POST', input.value.trim());
  });
  $('#other-run').addEventListener('click', () => runOtherTries(config, other));
  const listed = await admin(config, 'GET');
  addedOrigins = listed.body.origins ?? [];
  renderAddedOrigins(config, (o) => change('DELETE', o));
  add.disabled = false;
}

const ADAPTER_NAMES = { express: 'Express', fastify: 'Fastify' };

/** Asks the API which HTTP adapter it runs on (GET /about), a cross-origin call like the others. */
async function showAdapter(api) {
  const node = $('#api-adapter');
  try {
    const { adapter } = await (await fetch(`${api}/about`, { cache: 'no-store' })).json();
    node.dataset.adapter = String(adapter);
    node.textContent = ADAPTER_NAMES[adapter] ?? String(adapter);
  } catch (error) {
    node.dataset.adapter = 'unknown';
    node.textContent = `an unknown adapter (GET /about failed: ${error.name})`;
  }
}

async function start() {
  const response = await fetch('/calls.json', { cache: 'no-store' });
  const config = await response.json();
  $('#page-origin').textContent = config.pageOrigin;
  $('#api-origin').textContent = config.api;
  await showAdapter(config.api);
  if (location.origin !== config.pageOrigin) {
    const warning = $('#origin-warning');
    warning.textContent =
      `This page is open as ${location.origin}, but the API only allows ${config.pageOrigin}: ` +
      `open ${config.pageOrigin} instead, or most calls will be blocked.`;
    warning.hidden = false;
  }
  $('#other-origin').textContent = config.otherOrigin;
  otherPageOrigin = config.otherOrigin;
  const other = otherOrigin(config);
  const runBoth = async () => {
    await runAll(config);
    $('#run').disabled = true;
    // After the calls: the login call has set the session cookie the sockets carry.
    await runSockets(config, await other);
    $('#run').disabled = false;
  };
  $('#run').addEventListener('click', () => runBoth());
  await startAdmin(config, await other);
  await runBoth();
  await runOtherTries(config, await other);
}

start().catch((error) => {
  const summary = $('#summary');
  summary.dataset.state = 'error';
  summary.textContent = `Could not start: ${error}`;
});
