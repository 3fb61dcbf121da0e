// toolwall's approval page. Served by toolwall itself under a strict Content-Security-Policy:
// no inline script, nothing from another origin. The approver's token lives in this tab's
// sessionStorage and is sent as `Authorization: Bearer` by fetch (never a cookie, so another
// site cannot make the browser send it). Every value from the server is put into the page with
// textContent, never parsed as HTML.
'use strict';

(function () {
  const KEY = 'toolwall.approver_token';
  const API = '/ui/api';
  const $ = (id) => document.getElementById(id);

  let token = sessionStorage.getItem(KEY);
  let role = null;
  let feedAbort = null;
  let refreshTimer = null;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function status(msg, isError) {
    const s = $('status');
    s.textContent = msg || '';
    s.classList.toggle('error', !!isError);
  }

  async function api(path, opts) {
    const o = Object.assign({ method: 'GET', cache: 'no-store', credentials: 'omit', redirect: 'error' }, opts || {});
    o.headers = Object.assign({ 'Authorization': 'Bearer ' + token }, o.headers || {});
    const res = await fetch(API + path, o);
    const text = await res.text();
    let body = null;
    try { body = text ? JSON.parse(text) : null; } catch (_) { body = null; }
    if (res.status === 401) {
      signOut('Your token was not accepted; sign in again.');
      throw new Error('unauthorized');
    }
    return { status: res.status, ok: res.ok, body, text };
  }

  function errorText(r) {
    if (r.body && r.body.error) {
      const e = r.body.error;
      return typeof e === 'string' ? e : (e.message || e.type || JSON.stringify(e));
    }
    return (r.text || ('HTTP ' + r.status)).trim();
  }

  function listOf(body) {
    if (Array.isArray(body)) return body;
    if (body && Array.isArray(body.approvals)) return body.approvals;
    if (body && Array.isArray(body.requests)) return body.requests;
    return [];
  }

  function principalText(r) {
    const p = r.principal || {};
    const agent = p.agent || r.agent || '?';
    const tenant = p.tenant_id || p.tenant;
    return tenant ? agent + ' / ' + tenant : agent;
  }

  function age(unix) {
    const s = Math.max(0, Math.floor(Date.now() / 1000) - unix);
    if (s < 60) return s + 's';
    if (s < 3600) return Math.floor(s / 60) + 'm';
    if (s < 86400) return Math.floor(s / 3600) + 'h ' + Math.floor((s % 3600) / 60) + 'm';
    return Math.floor(s / 86400) + 'd';
  }

  function when(unix) {
    return new Date(unix * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function approvalsCount(r) {
    const names = new Set((r.votes || []).filter((v) => v.approve).map((v) => v.approver));
    return names.size;
  }

  function row(dl, term, value) {
    dl.appendChild(el('dt', term));
    const dd = el('dd');
    if (value instanceof Node) dd.appendChild(value); else dd.textContent = String(value);
    dl.appendChild(dd);
    return dd;
  }

  function card(r) {
    const c = el('article', null, 'card');
    c.dataset.approvalId = r.id;
    c.dataset.state = r.state;
    c.appendChild(el('h3', r.tool));
    if (r.summary) c.appendChild(el('p', r.summary, 'summary'));
    const dl = el('dl');
    row(dl, 'principal', principalText(r));
    row(dl, 'reasons', (r.reasons || []).join(', ') || '—');
    row(dl, 'tier', r.tier);
    row(dl, 'approvals', approvalsCount(r) + ' of ' + r.quorum).className = 'approvals';
    row(dl, 'age', age(r.created_unix) + ' (expires ' + when(r.expires_unix) + ')');
    const st = row(dl, 'state', r.state);
    st.className = 'state state-' + r.state;
    const votes = (r.votes || []).map((v) => v.approver + (v.approve ? ' approved' : ' denied') + (v.comment ? ': ' + v.comment : ''));
    if (votes.length) row(dl, 'votes', votes.join('; '));
    row(dl, 'policy', r.policy_version || '—');
    row(dl, 'decision', r.decision_id || '—');
    row(dl, 'id', r.id);
    c.appendChild(dl);
    c.appendChild(el('div', 'arguments (redacted)'));
    c.appendChild(el('pre', JSON.stringify(r.args_redacted, null, 2), 'args'));

    if (role === 'approver' && r.state === 'pending') {
      const label = el('label', 'comment');
      const ta = el('textarea', null, 'comment');
      ta.maxLength = 1000;
      const tid = 'comment-' + r.id;
      ta.id = tid;
      label.htmlFor = tid;
      c.appendChild(label);
      c.appendChild(ta);
      const actions = el('div', null, 'actions');
      const ok = el('button', 'Approve', 'approve');
      const no = el('button', 'Deny', 'deny');
      ok.type = no.type = 'button';
      const result = el('p', null, 'result');
      result.setAttribute('role', 'status');
      const decide = async (verb) => {
        ok.disabled = no.disabled = true;
        try {
          const body = ta.value.trim() ? { comment: ta.value.trim() } : {};
          const res = await api('/approvals/' + encodeURIComponent(r.id) + '/' + verb, {
            method: 'POST',
            headers: { 'Content-Type': 'application/json' },
            body: JSON.stringify(body),
          });
          if (res.ok) {
            const after = (res.body && (res.body.request || res.body.approval)) || res.body || {};
            const state = after.state || (verb === 'approve' ? 'approved' : 'denied');
            result.textContent = verb === 'approve' ? 'Approved (' + state + ')' : 'Denied';
            c.dataset.state = state;
            st.textContent = state;
            st.className = 'state state-' + state;
          } else {
            result.textContent = errorText(res);
            result.classList.add('error');
            ok.disabled = no.disabled = false;
          }
        } catch (e) {
          result.textContent = String(e.message || e);
          result.classList.add('error');
          ok.disabled = no.disabled = false;
        }
        scheduleRefresh(1500);
      };
      ok.addEventListener('click', () => decide('approve'));
      no.addEventListener('click', () => decide('deny'));
      actions.appendChild(ok);
      actions.appendChild(no);
      c.appendChild(actions);
      c.appendChild(result);
    }
    return c;
  }

  async function loadPending() {
    const r = await api('/approvals?state=pending');
    if (!r.ok) { status('pending: ' + errorText(r), true); return; }
    const items = listOf(r.body);
    const box = $('pending');
    box.replaceChildren(...items.map(card));
    $('pending-count').textContent = '(' + items.length + ')';
    $('pending-empty').hidden = items.length > 0;
    // a link to /ui#<approval id> (from a notification) points at one request
    const want = decodeURIComponent(location.hash.slice(1));
    const target = want && Array.from(box.children).find((c) => c.dataset.approvalId === want);
    if (target && !target.classList.contains('focus')) {
      target.classList.add('focus');
      target.scrollIntoView({ block: 'start' });
    }
  }

  async function loadHistory() {
    const states = ['approved', 'denied', 'expired', 'used'];
    const lists = await Promise.all(states.map((s) => api('/approvals?state=' + s)));
    let items = [];
    for (const r of lists) {
      if (!r.ok) { status('history: ' + errorText(r), true); return; }
      items = items.concat(listOf(r.body));
    }
    items.sort((a, b) => b.created_unix - a.created_unix || (a.id < b.id ? 1 : -1));
    const tbody = $('history');
    tbody.replaceChildren(...items.slice(0, 200).map((r) => {
      const tr = el('tr');
      tr.dataset.approvalId = r.id;
      tr.dataset.state = r.state;
      tr.appendChild(el('td', when(r.created_unix)));
      tr.appendChild(el('td', r.tool));
      tr.appendChild(el('td', principalText(r)));
      tr.appendChild(el('td', r.state, 'state state-' + r.state));
      const votes = (r.votes || []).map((v) => v.approver + (v.approve ? ' ✓' : ' ✗') + (v.comment ? ' “' + v.comment + '”' : ''));
      tr.appendChild(el('td', votes.join('; ') || '—', 'votes'));
      tr.appendChild(el('td', r.id, 'id'));
      return tr;
    }));
    $('history-table').hidden = items.length === 0;
    $('history-empty').hidden = items.length > 0;
  }

  async function refresh() {
    try {
      await Promise.all([loadPending(), loadHistory()]);
    } catch (e) {
      if (token) status(String(e.message || e), true);
    }
  }

  function scheduleRefresh(ms) {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(refresh, ms);
  }

  function feedLine(ev) {
    const req = ev.request || {};
    const kind = String(ev.event || '').replace(/^approval\./, '');
    const parts = [new Date().toLocaleTimeString(), kind, req.tool || '', principalText(req)];
    if (ev.by) parts.push('by ' + ev.by);
    if (ev.comment) parts.push('“' + ev.comment + '”');
    const li = el('li', parts.filter(Boolean).join(' · '));
    li.dataset.event = kind;
    li.dataset.approvalId = ev.approval_id || req.id || '';
    const feed = $('feed');
    feed.insertBefore(li, feed.firstChild);
    while (feed.childElementCount > 100) feed.removeChild(feed.lastChild);
  }

  // EventSource cannot send an Authorization header: read the stream with fetch.
  async function followFeed() {
    let delay = 1000;
    while (token) {
      const ctl = new AbortController();
      feedAbort = ctl;
      try {
        const res = await fetch(API + '/events', {
          headers: { 'Authorization': 'Bearer ' + token, 'Accept': 'text/event-stream' },
          cache: 'no-store', credentials: 'omit', signal: ctl.signal,
        });
        if (res.status === 401) { signOut('Your token was not accepted; sign in again.'); return; }
        if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
        $('feed-state').textContent = 'live';
        $('feed-state').classList.add('live');
        delay = 1000;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value.replace(/\r\n?/g, '\n');
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
            const name = (block.split('\n').find((l) => l.startsWith('event:')) || '').slice(6).trim();
            if (!data) continue;
            let ev;
            try { ev = JSON.parse(data); } catch (_) { continue; }
            if (!ev.event && name) ev.event = name;
            if (ev.event === 'lagged' || name === 'lagged') { scheduleRefresh(100); continue; }
            feedLine(ev);
            scheduleRefresh(300);
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
      }
      $('feed-state').textContent = 'reconnecting';
      $('feed-state').classList.remove('live');
      await new Promise((ok) => setTimeout(ok, delay));
      delay = Math.min(delay * 2, 30000);
    }
  }

  async function start() {
    const r = await api('/me').catch(() => null);
    if (!r) return;
    if (!r.ok || !r.body) { signOut(errorText(r)); return; }
    role = r.body.role;
    $('who-name').textContent = r.body.name;
    $('who-role').textContent = role === 'approver' ? '(approver)' : '(read-only)';
    $('who').hidden = false;
    $('sign-in').hidden = true;
    $('app').hidden = false;
    status('');
    await refresh();
    followFeed();
  }

  function signOut(msg) {
    token = null;
    role = null;
    sessionStorage.removeItem(KEY);
    if (feedAbort) feedAbort.abort();
    $('who').hidden = true;
    $('app').hidden = true;
    $('sign-in').hidden = false;
    $('pending').replaceChildren();
    $('history').replaceChildren();
    $('feed').replaceChildren();
    const e = $('sign-in-error');
    e.textContent = msg || '';
    e.hidden = !msg;
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in-form').addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = $('token').value.trim();
      $('token').value = '';
      if (!t) return;
      token = t;
      sessionStorage.setItem(KEY, t);
      $('sign-in-error').hidden = true;
      start();
    });
    $('sign-out').addEventListener('click', () => signOut(''));
    if (token) start();
    // ages move and requests expire: re-read the lists now and then
    setInterval(() => { if (token && role) refresh(); }, 30000);
  });
})();
