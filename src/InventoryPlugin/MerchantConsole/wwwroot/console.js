// The merchant console: plain ES module, talks only to the merchant API with a bearer token kept in
// sessionStorage (never in a URL, never logged).
const api = new URL('../api/v1/', document.baseURI);
const tokenKey = 'inventory-console-token';
const $ = (id) => document.getElementById(id);
const state = { cursor: null, pages: [], rows: [], sort: null, record: null };

function token() { return sessionStorage.getItem(tokenKey); }

function claims(jwt) {
  try {
    const payload = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(payload));
  } catch { return null; }
}

async function call(method, path, body, contentType = 'application/json') {
  const headers = { Authorization: `Bearer ${token()}` };
  if (body !== undefined) headers['Content-Type'] = contentType;
  const response = await fetch(new URL(path, api), {
    method, headers,
    body: body === undefined ? undefined : (contentType === 'application/json' ? JSON.stringify(body) : body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  if (response.status === 401) { signOut('Your token was not accepted (expired or invalid). Sign in again.'); }
  return { status: response.status, ok: response.ok, json, text };
}

function problem(answer) {
  const p = answer.json ?? {};
  const fields = p.errors ? ' ' + Object.entries(p.errors).map(([f, m]) => `${f}: ${m.join(', ')}`).join('; ') : '';
  return `${p.title ?? `Request failed (${answer.status})`}${p.code ? ` [${p.code}]` : ''}${fields}`;
}

function say(element, text, isError = false) {
  element.textContent = text;
  element.classList.toggle('error', isError);
}

// ---- signing in ------------------------------------------------------------------------------
function signIn(jwt) {
  const c = claims(jwt);
  if (!c || !c.instance_id) { say($('sign-in-error'), 'That is not a merchant token with an instance_id claim.', true); return; }
  sessionStorage.setItem(tokenKey, jwt);
  $('tenant').textContent = `Site ${c.instance_id}`;
  $('sign-in').hidden = true;
  $('sign-out').hidden = false;
  showStock();
  loadPage(null);
}

function signOut(message = '') {
  sessionStorage.removeItem(tokenKey);
  $('tenant').textContent = '';
  $('sign-out').hidden = true;
  for (const id of ['stock', 'record']) $(id).hidden = true;
  $('sign-in').hidden = false;
  say($('sign-in-error'), message, Boolean(message));
  $('token').focus();
}

$('token-form').addEventListener('submit', (e) => { e.preventDefault(); signIn($('token').value.trim()); $('token').value = ''; });
$('sign-out').addEventListener('click', () => signOut());
$('dev-token').addEventListener('click', async () => {
  const response = await fetch(new URL('dev-token', document.baseURI), { method: 'POST' });
  if (!response.ok) { say($('sign-in-error'), 'No development token: the service is not running in Development.', true); return; }
  signIn((await response.json()).token);
});

// Authorization code with PKCE (S256) at the configured authority; only the code, never a token, passes through the URL.
const pkceKey = 'inventory-console-pkce';
const redirectUri = () => location.origin + location.pathname;
const base64url = (bytes) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

async function discover(authority) {
  const response = await fetch(authority.replace(/\/$/, '') + '/.well-known/openid-configuration');
  if (!response.ok) throw new Error(`the identity provider's discovery document answered ${response.status}`);
  return response.json();
}

async function startSignIn(config) {
  try {
    const discovery = await discover(config.authority);
    const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
    const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
    const stateValue = base64url(crypto.getRandomValues(new Uint8Array(16)));
    sessionStorage.setItem(pkceKey, JSON.stringify({ verifier, state: stateValue, tokenEndpoint: discovery.token_endpoint }));
    const url = new URL(discovery.authorization_endpoint);
    const params = { response_type: 'code', client_id: config.clientId, redirect_uri: redirectUri(), scope: config.scope,
      state: stateValue, code_challenge: challenge, code_challenge_method: 'S256' };
    if (config.audience) params.audience = config.audience;
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    location.assign(url);
  } catch (error) {
    say($('sign-in-error'), `Sign-in could not start: ${error.message}`, true);
  }
}

async function finishSignIn(config) {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return false;
  const saved = JSON.parse(sessionStorage.getItem(pkceKey) ?? 'null');
  sessionStorage.removeItem(pkceKey);
  history.replaceState(null, '', location.pathname);
  if (params.has('error')) { say($('sign-in-error'), `Sign-in failed: ${params.get('error')}`, true); return true; }
  if (!saved || saved.state !== params.get('state')) { say($('sign-in-error'), 'Sign-in failed: the answer does not belong to this tab.', true); return true; }
  const response = await fetch(saved.tokenEndpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: params.get('code'), redirect_uri: redirectUri(),
      client_id: config.clientId, code_verifier: saved.verifier }),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok || !answer.access_token) { say($('sign-in-error'), `Sign-in failed: ${answer.error ?? response.status}`, true); return true; }
  signIn(answer.access_token);
  return true;
}

// ---- the stock table -------------------------------------------------------------------------
function showStock() { $('record').hidden = true; $('stock').hidden = false; }

function filterBody(cursor) {
  const filter = {};
  if ($('search').value.trim()) filter.catalogItemId = $('search').value.trim();
  if ($('location').value.trim()) filter.locationId = $('location').value.trim();
  if ($('show').value === 'out') filter.availabilityStatus = 'OUT_OF_STOCK';
  if ($('show').value === 'low') filter.stockLevel = 'LOW';
  return { filter, cursor, limit: 50 };
}

async function loadPage(cursor) {
  const answer = await call('POST', 'inventory-items/query', filterBody(cursor));
  if (!answer.ok) { say($('stock-message'), problem(answer), true); return; }
  state.cursor = answer.json.nextCursor;
  const rows = answer.json.items;
  state.rows = rows;
  $('next-page').disabled = !state.cursor;
  say($('stock-message'), rows.length ? `${rows.length} item(s) on this page` : 'No items match.');
  render();
}

const sortKeys = {
  item: (r) => r.catalogReference.catalogItemId + ' ' + r.catalogReference.variantKey,
  location: (r) => r.locationId, quantity: (r) => r.quantity, allocated: (r) => r.allocated,
  available: (r) => r.available, status: (r) => r.availabilityStatus,
};

function render() {
  const rows = [...state.rows];
  if (state.sort) {
    const { key, direction } = state.sort;
    rows.sort((a, b) => { const x = sortKeys[key](a), y = sortKeys[key](b); return (x < y ? -1 : x > y ? 1 : 0) * direction; });
  }
  const body = $('stock-table').tBodies[0];
  body.replaceChildren(...rows.map(row));
}

function cell(content, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (content instanceof Node) td.append(content); else td.textContent = content;
  return td;
}

function row(record) {
  const tr = document.createElement('tr');
  tr.dataset.id = record.id;
  const name = document.createElement('a');
  name.href = '#';
  name.textContent = record.catalogReference.catalogItemId + (record.catalogReference.variantKey ? ` (${record.catalogReference.variantKey})` : '');
  name.addEventListener('click', (e) => { e.preventDefault(); openRecord(record.id); });
  const badge = document.createElement('span');
  badge.className = `badge ${record.availabilityStatus}`;
  badge.textContent = record.availabilityStatus.replace(/_/g, ' ').toLowerCase();

  const form = document.createElement('form');
  form.setAttribute('aria-label', `Adjust ${record.catalogReference.catalogItemId}`);
  form.innerHTML = '<input name="delta" type="number" required aria-label="Change by" placeholder="±"><input name="reason" class="reason" aria-label="Reason" placeholder="reason"><button type="submit">Adjust</button>';
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const delta = Number(form.delta.value);
    const answer = await call('POST', `inventory-items/${record.id}/adjust`, { delta, reason: form.reason.value || null });
    if (!answer.ok) { say($('stock-message'), problem(answer), true); return; }
    Object.assign(record, answer.json);
    say($('stock-message'), `${record.catalogReference.catalogItemId}: on hand now ${record.quantity}`);
    render();
  });

  tr.append(cell(name), cell(record.locationId), cell(String(record.quantity), 'num'), cell(String(record.allocated), 'num'),
    cell(String(record.available), 'num'), cell(badge), cell(form));
  return tr;
}

for (const button of document.querySelectorAll('[data-sort]')) {
  button.addEventListener('click', () => {
    const key = button.dataset.sort;
    state.sort = { key, direction: state.sort?.key === key ? -state.sort.direction : 1 };
    render();
  });
}

$('filters').addEventListener('submit', (e) => { e.preventDefault(); loadPage(null); });
$('first-page').addEventListener('click', () => loadPage(null));
$('next-page').addEventListener('click', () => loadPage(state.cursor));

$('create-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const body = {
    catalogReference: { appId: $('create-app').value.trim(), catalogItemId: $('create-item').value.trim() },
    quantity: Number($('create-quantity').value),
  };
  if ($('create-location').value.trim()) body.locationId = $('create-location').value.trim();
  const answer = await call('POST', 'inventory-items', body);
  if (!answer.ok) { say($('stock-message'), problem(answer), true); return; }
  $('create-item').value = '';
  await loadPage(null);
  say($('stock-message'), `Added ${answer.json.catalogReference.catalogItemId} with ${answer.json.quantity} on hand.`);
});

// ---- import and export -----------------------------------------------------------------------
$('export').addEventListener('click', async () => {
  const response = await fetch(new URL('inventory-items/export', api), { headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) { say($('stock-message'), `Export failed (${response.status})`, true); return; }
  const link = document.createElement('a');
  link.href = URL.createObjectURL(await response.blob());
  link.download = 'inventory.csv';
  link.click();
  URL.revokeObjectURL(link.href);
});

$('import-file').addEventListener('change', async () => {
  const file = $('import-file').files[0];
  if (!file) return;
  const answer = await call('POST', 'inventory-items/import?errorPolicy=APPLY_VALID', await file.text(), 'text/csv');
  const result = $('import-result');
  result.replaceChildren();
  if (!answer.ok) { result.textContent = problem(answer); result.className = 'error'; return; }
  const rows = answer.json.results;
  const rejected = rows.filter((r) => r.status === 'invalid');
  const summary = document.createElement('p');
  summary.textContent = `${rows.length - rejected.length} row(s) applied, ${rejected.length} rejected.`;
  const list = document.createElement('ul');
  for (const r of rejected) {
    const li = document.createElement('li');
    li.className = 'invalid';
    li.textContent = `Line ${r.index}: ` + Object.entries(r.errors ?? {}).map(([f, m]) => `${f} ${m.join(', ')}`).join('; ');
    list.append(li);
  }
  result.className = '';
  result.append(summary, list);
  $('import-file').value = '';
  loadPage(null);
});

// ---- one record: facts, set quantity (with its revision), ledger timeline and chart ---------
async function openRecord(id) {
  const answer = await call('GET', `inventory-items/${id}`);
  if (!answer.ok) { say($('stock-message'), problem(answer), true); return; }
  state.record = answer.json;
  $('stock').hidden = true;
  $('record').hidden = false;
  say($('record-message'), '');
  showRecord();
  $('back').focus();
  const ledger = await call('GET', `ledger?itemId=${encodeURIComponent(id)}&limit=1000`);
  if (ledger.ok) showLedger(ledger.json.entries);
}

function showRecord() {
  const r = state.record;
  $('record-title').textContent = r.catalogReference.catalogItemId + (r.catalogReference.variantKey ? ` (${r.catalogReference.variantKey})` : '');
  const facts = [['On hand', r.quantity], ['Held', r.allocated], ['Available', r.available], ['Status', r.availabilityStatus],
    ['Low-stock threshold', r.lowStockThreshold ?? 'none'], ['Stock level', r.stockLevel],
    ['Location', r.locationId], ['Revision', r.revision], ['Updated', new Date(r.updatedDate).toLocaleString()]];
  $('record-facts').replaceChildren(...facts.flatMap(([k, v]) => {
    const dt = document.createElement('dt'); dt.textContent = k;
    const dd = document.createElement('dd'); dd.textContent = String(v);
    return [dt, dd];
  }));
  $('set-quantity').value = r.quantity;
  $('set-threshold').value = r.lowStockThreshold ?? '';
}

function showLedger(entries) {
  $('timeline').replaceChildren(...entries.slice().reverse().map((e) => {
    const li = document.createElement('li');
    const sign = e.delta > 0 ? '+' : '';
    li.textContent = `${new Date(e.createdDate).toLocaleString()} · ${e.operation} ${sign}${e.delta} → ${e.quantityAfter}` +
      (e.reason ? ` · ${e.reason}` : '') + (e.orderId ? ` · order ${e.orderId}` : '');
    return li;
  }));
  const chart = $('chart');
  chart.replaceChildren();
  if (entries.length === 0) return;
  const values = entries.map((e) => e.quantityAfter);
  const min = Math.min(0, ...values), max = Math.max(1, ...values);
  const x = (i) => entries.length === 1 ? 300 : (i / (entries.length - 1)) * 590 + 5;
  const y = (v) => 155 - ((v - min) / (max - min)) * 150;
  const line = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
  line.setAttribute('points', values.map((v, i) => `${x(i)},${y(v)}`).join(' '));
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#1f3a5f');
  line.setAttribute('stroke-width', '2');
  chart.append(line);
}

$('back').addEventListener('click', () => { showStock(); loadPage(null); });

$('set-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const r = state.record;
  const threshold = $('set-threshold').value.trim();
  const answer = await call('PATCH', `inventory-items/${r.id}`,
    { revision: r.revision, quantity: Number($('set-quantity').value), lowStockThreshold: threshold === '' ? null : Number(threshold) });
  if (answer.status === 409 && answer.json?.code === 'REVISION_MISMATCH') {
    say($('record-message'),
      `Not saved: this item changed since you opened it (you saw revision ${r.revision}, it is now at ${answer.json.currentRevision}). Reload it to see the current quantity, then try again.`, true);
    return;
  }
  if (!answer.ok) { say($('record-message'), problem(answer), true); return; }
  state.record = answer.json;
  showRecord();
  say($('record-message'), `Saved: on hand is now ${state.record.quantity}.`);
  const ledger = await call('GET', `ledger?itemId=${encodeURIComponent(r.id)}&limit=1000`);
  if (ledger.ok) showLedger(ledger.json.entries);
});

// ---- start ---------------------------------------------------------------------------------------
(async () => {
  const config = await fetch(new URL('config.json', document.baseURI)).then((r) => r.json()).catch(() => ({}));
  $('dev-token').hidden = !config.development;
  $('oidc-sign-in').hidden = !config.authority;
  $('oidc-sign-in').addEventListener('click', () => startSignIn(config));
  if (config.authority && await finishSignIn(config)) return;
  if (token()) signIn(token()); else $('token').focus();
})();
