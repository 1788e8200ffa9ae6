// The usage page: plain JavaScript against the credit API, no build step and nothing loaded from elsewhere.
// The token lives in sessionStorage only (a tab's lifetime); it can also arrive in the URL fragment, which
// browsers never send to the server, and is removed from the address bar at once.
(function () {
  'use strict';
  const KEY = 'llm-metering-token';
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (fragment.get('token')) {
    sessionStorage.setItem(KEY, fragment.get('token'));
    history.replaceState(null, '', location.pathname);
  }
  const token = () => sessionStorage.getItem(KEY);

  async function api(path, body) {
    const request = { headers: { Authorization: 'Bearer ' + token() } };
    if (body !== undefined) {
      request.method = 'POST';
      request.headers['Content-Type'] = 'application/json';
      request.body = JSON.stringify(body);
    }
    const response = await fetch(path, request);
    if (response.status === 401) { throw new Error('unauthenticated'); }
    if (!response.ok) { throw new Error(path + ': ' + response.status); }
    return response.json();
  }

  function claims(jwt) {
    try { return JSON.parse(atob(jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/'))); } catch (e) { return {}; }
  }

  const credits = (value) => Number(value).toLocaleString(undefined, { maximumFractionDigits: 6 }) + ' credits';
  const text = (id, value) => { document.getElementById(id).textContent = value; };

  // A horizontal bar chart as SVG: one row per item, label, bar, value.
  function bars(containerId, rows) {
    const container = document.getElementById(containerId);
    container.textContent = '';
    if (rows.length === 0) { container.textContent = 'No usage in this period.'; return; }
    const max = Math.max(...rows.map((r) => r.value), 1e-12);
    const rowHeight = 22, labelWidth = 260, width = 900;
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${rows.length * rowHeight}`);
    svg.setAttribute('width', '100%');
    rows.forEach((row, i) => {
      const y = i * rowHeight;
      const label = document.createElementNS(svg.namespaceURI, 'text');
      label.setAttribute('x', 0); label.setAttribute('y', y + 15);
      label.textContent = row.label.length > 40 ? row.label.slice(0, 39) + '…' : row.label;
      const bar = document.createElementNS(svg.namespaceURI, 'rect');
      bar.setAttribute('class', 'bar'); bar.setAttribute('x', labelWidth); bar.setAttribute('y', y + 4);
      bar.setAttribute('height', 14); bar.setAttribute('width', Math.max(1, (width - labelWidth - 130) * row.value / max));
      const value = document.createElementNS(svg.namespaceURI, 'text');
      value.setAttribute('x', width - 125); value.setAttribute('y', y + 15); value.textContent = credits(row.value);
      svg.append(label, bar, value);
    });
    container.append(svg);
  }

  // A time series as SVG columns, oldest first, with a date under every fifth column and the peak on top.
  function columns(containerId, rows) {
    const container = document.getElementById(containerId);
    container.textContent = '';
    const max = Math.max(...rows.map((r) => r.value), 1e-12);
    const width = 900, height = 170, base = 145, step = width / Math.max(rows.length, 1);
    const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
    svg.setAttribute('viewBox', `0 0 ${width} ${height}`);
    svg.setAttribute('width', '100%');
    rows.forEach((row, i) => {
      const h = Math.max(1, 120 * row.value / max);
      const bar = document.createElementNS(svg.namespaceURI, 'rect');
      bar.setAttribute('class', 'bar'); bar.setAttribute('x', i * step + 2); bar.setAttribute('y', base - h);
      bar.setAttribute('width', Math.max(1, step - 4)); bar.setAttribute('height', h);
      const tip = document.createElementNS(svg.namespaceURI, 'title');
      tip.textContent = row.label + ': ' + credits(row.value);
      bar.append(tip);
      svg.append(bar);
      if (i % 5 === 0 || i === rows.length - 1) {
        const label = document.createElementNS(svg.namespaceURI, 'text');
        label.setAttribute('x', i * step + 2); label.setAttribute('y', height - 8); label.textContent = row.label.slice(5);
        svg.append(label);
      }
    });
    const peak = document.createElementNS(svg.namespaceURI, 'text');
    peak.setAttribute('x', 0); peak.setAttribute('y', 12); peak.textContent = 'peak ' + credits(max);
    svg.append(peak);
    container.append(svg);
  }

  async function load() {
    const me = claims(token());
    text('who', me.sub || '');
    const monthStart = new Date(); monthStart.setUTCDate(1); monthStart.setUTCHours(0, 0, 0, 0);
    const thirtyDays = new Date(Date.now() - 29 * 86400000); thirtyDays.setUTCHours(0, 0, 0, 0);
    // admins see the platform, everyone else their own account
    const admin = (me.roles || []).includes('admin');
    const usage = admin ? '/api/v1/admin/usage' : '/api/v1/credits/usage';
    const [byDay, byModel] = await Promise.all([
      api(usage + '?group_by=day&from=' + thirtyDays.toISOString()),
      api(usage + '?group_by=model&from=' + monthStart.toISOString()),
    ]);
    if (admin) {
      document.getElementById('own-cards').hidden = true;
      text('by-day-title', 'Platform spend by day (last 30 days)');
      text('by-model-title', 'Platform spend by model (this month)');
    } else {
      const balance = await api('/api/v1/credits/balance');
      text('balance', credits(balance.balance));
      text('tier', 'tier ' + balance.tier + (balance.status !== 'active' ? ' · ' + balance.status : ''));
      text('spend', credits(balance.month_to_date_spend));
      if (balance.monthly_cap !== null) {
        text('cap', 'of a ' + credits(balance.monthly_cap) + ' monthly cap');
        document.getElementById('cap-bar').style.width = Math.min(100, 100 * balance.month_to_date_spend / balance.monthly_cap) + '%';
      } else {
        text('cap', 'no monthly cap');
      }
    }
    columns('by-day', byDay.rows.map((r) => ({ label: r.key.slice(0, 10), value: Number(r.cost) })));
    bars('by-model', byModel.rows.map((r) => ({ label: r.key, value: Number(r.cost) })));
    if (admin) {
      document.getElementById('admin').hidden = false;
      const top = await api('/api/v1/admin/usage?group_by=user&limit=10&from=' + monthStart.toISOString());
      bars('top-users', top.rows.map((r) => ({ label: r.key, value: Number(r.cost) })));
      const system = await api('/api/v1/system/status');
      const deadLettered = system.components && system.components.debit_applier ? system.components.debit_applier.dead_lettered : null;
      text('dlq', deadLettered == null ? 'n/a' : Number(deadLettered).toLocaleString());
      await loadDeadLetters();
    }
    document.body.dataset.loaded = 'true';
  }

  // Table rows built from text nodes only: model names and reasons come from proxies and are never markup.
  function tableRows(tableId, rows) {
    const body = document.querySelector('#' + tableId + ' tbody');
    body.textContent = '';
    rows.forEach((cells) => {
      const tr = document.createElement('tr');
      cells.forEach((cell) => {
        const td = document.createElement('td');
        if (cell instanceof Node) { td.append(cell); } else { td.textContent = cell; }
        tr.append(td);
      });
      body.append(tr);
    });
  }

  function replayButton(label, filter, enabled) {
    const button = document.createElement('button');
    button.textContent = label;
    button.disabled = !enabled;
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const result = await api('/api/v1/admin/dead-letters/replay', filter);
        text('replay-result', 'Replayed ' + result.replayed + (result.more ? ' (more remain: replay again)' : ''));
      } catch (error) {
        text('replay-result', 'Replay failed: ' + error.message);
      }
      await loadDeadLetters();
    });
    return button;
  }

  async function loadDeadLetters() {
    const [letters, unknown] = await Promise.all([
      api('/api/v1/admin/dead-letters?limit=1'),
      api('/api/v1/admin/pricing/unknown-models'),
    ]);
    tableRows('dead-letters', letters.counts_by_reason.map((c) => [c.reason, c.total.toLocaleString(), c.not_replayed.toLocaleString(),
      replayButton('Replay', { reason: c.reason }, c.not_replayed > 0)]));
    tableRows('unknown-models', unknown.models.map((m) => [m.model, m.events.toLocaleString(), m.not_replayed.toLocaleString(),
      m.users.toLocaleString(), m.last_seen.slice(0, 16).replace('T', ' '), m.priced_now ? 'yes' : 'no',
      replayButton('Replay', { reason: 'unknown_model', model: m.model }, m.priced_now && m.not_replayed > 0)]));
  }

  function signIn(message) {
    document.getElementById('dashboard').hidden = true;
    document.getElementById('sign-in').hidden = false;
    text('sign-in-error', message || '');
  }

  document.getElementById('token-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, document.getElementById('token-input').value.trim());
    start();
  });
  document.getElementById('sign-out').addEventListener('click', (event) => {
    event.preventDefault();
    sessionStorage.removeItem(KEY);
    signIn();
  });

  function start() {
    if (!token()) { signIn(); return; }
    document.getElementById('sign-in').hidden = true;
    document.getElementById('dashboard').hidden = false;
    load().catch((error) => signIn(error.message === 'unauthenticated' ? 'That token was not accepted (expired?).' : error.message));
  }
  start();
})();
