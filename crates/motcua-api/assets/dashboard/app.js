// The dashboard: sign-in, drill-down by unit, Biểu 06 for any period with KPIs and a daily
// trend, desk queues and overdue lists, and the live event feed. Every request is bounded:
// reports come from the counters (O(units × days)), lists carry a limit, the trend asks one
// Biểu 06 per day for at most 30 days, and the units below one unit at most one each.

import { Api, ApiError, storedToken, storeToken } from './api.js';
import { trendChart } from './chart.js';
import { $, $$, addDays, daysBetween, fmtClock, fmtDate, fmtInstant, fmtSpan, h, isDate, num, pct, replace, today } from './dom.js';
import { openFeed, summarise } from './feed.js';
import { EVENT_TYPES, STATUS_AFTER, currentLang, eventLabel, eventTone, initialLang, setLang, statusLabel, t } from './i18n.js';

const REFRESH_MS = 60000;
const FEED_MAX = 200;

const state = {
  api: null,
  me: null,
  unit: null, // the UnitAnswer shown
  view: null, // {unit, list, from, to}
  report: null,
  trend: [],
  trendDone: 0,
  children: new Map(),
  sort: { key: 'overdue', asc: false },
  aborts: {},
  feed: null,
  feedKey: '',
  feedPaused: false,
  feedBuffer: [],
  feedItems: [],
  feedState: '',
  timer: null,
};

// -------------------------------------------------------------------------------------------
// Start, sign-in, sign-out
// -------------------------------------------------------------------------------------------

function start() {
  setLang(initialLang());
  for (const b of $$('.lang-btn')) b.addEventListener('click', () => { setLang(b.dataset.lang); rerender(); });
  $('#login').addEventListener('submit', (e) => { e.preventDefault(); signIn($('#token').value.trim()); });
  $('#logout').addEventListener('click', () => signOut());
  $('#period').addEventListener('submit', (e) => { e.preventDefault(); applyPeriod(); });
  for (const c of $$('[data-preset]')) c.addEventListener('click', () => preset(c.dataset.preset));
  $('#jump').addEventListener('submit', (e) => {
    e.preventDefault();
    const code = $('#jump-code').value.trim();
    if (/^\d{2}$|^\d{3}$|^\d{5}$/.test(code)) { go({ unit: code, list: '' }); $('#jump-code').value = ''; }
  });
  $('#list-select').addEventListener('change', (e) => go({ list: e.target.value }));
  $('#trend-days').addEventListener('change', () => loadTrend());
  $('#bieu06-detail').addEventListener('change', () => renderBieu06());
  $('#bieu06-csv').addEventListener('click', () => downloadCsv());
  $('#list-limit').addEventListener('change', () => loadLists());
  $('#children-filter').addEventListener('input', () => renderChildren());
  for (const th of $$('#children th[data-sort]')) {
    th.addEventListener('click', () => {
      const key = th.dataset.sort;
      state.sort = { key, asc: state.sort.key === key ? !state.sort.asc : key === 'name' };
      renderChildren();
    });
  }
  for (const id of ['#feed-type', '#feed-level', '#feed-office']) $(id).addEventListener('change', () => restartFeed(true));
  $('#feed-pause').addEventListener('click', () => toggleFeedPause());
  $('#feed-clear').addEventListener('click', () => { clearFeed(); feedStatusIdle(); });
  window.addEventListener('hashchange', () => route());

  const token = storedToken();
  if (token) signIn(token, true);
  else showLogin();
}

function showLogin(message) {
  $('#app-view').hidden = true;
  $('#account').hidden = true;
  $('#jump').hidden = true;
  $('#login-view').hidden = false;
  const err = $('#login-error');
  err.hidden = !message;
  err.textContent = message || '';
  $('#token').value = '';
  $('#token').focus();
}

async function signIn(token, silent = false) {
  if (!token) return;
  const api = new Api(token, { onUnauthorized: () => signOut(t('auth.bad')) });
  let me;
  try {
    me = await api.me();
  } catch (e) {
    const refused = e instanceof ApiError && e.status === 401;
    // Keep a stored token through a network hiccup; forget it once the server refuses it.
    if (refused) storeToken('');
    showLogin(refused ? t('auth.bad') : (silent ? '' : t('auth.unreachable')));
    return;
  }
  if (me.kind !== 'officer') {
    storeToken('');
    showLogin(t('auth.applicant'));
    return;
  }
  storeToken(token);
  state.api = api;
  state.me = me;
  $('#login-view').hidden = true;
  $('#app-view').hidden = false;
  $('#account').hidden = false;
  $('#jump').hidden = !me.reads_every_province;
  renderAccount();
  route();
  clearInterval(state.timer);
  state.timer = setInterval(() => autoRefresh(), REFRESH_MS);
}

function signOut(message) {
  storeToken('');
  clearInterval(state.timer);
  for (const a of Object.values(state.aborts)) a.abort();
  state.aborts = {};
  state.feed?.stop();
  state.feed = null;
  state.feedKey = '';
  clearFeed();
  state.api = null;
  state.me = null;
  state.unit = null;
  state.view = null;
  showLogin(message);
}

function renderAccount() {
  const me = state.me;
  $('#account-name').textContent = me.name || me.id;
  const roles = me.roles.map((r) => t(`role.${r}`)).join(', ');
  $('#account-office').textContent = `${me.office || ''} · ${roles}`;
  $('#account-office').title = me.office_name || '';
}

// -------------------------------------------------------------------------------------------
// Where we are: #unit=79&list=…&from=YYYY-MM-DD&to=YYYY-MM-DD (never a token)
// -------------------------------------------------------------------------------------------

function readHash() {
  const q = new URLSearchParams(location.hash.slice(1));
  const t0 = today();
  let from = q.get('from');
  let to = q.get('to');
  if (!isDate(from) || !isDate(to) || from > to) { from = addDays(t0, -29); to = t0; }
  const unit = /^\d{2}$|^\d{3}$|^\d{5}$/.test(q.get('unit') || '') ? q.get('unit') : (state.me?.unit || state.me?.province || '79');
  return { unit, list: q.get('list') || '', from, to };
}

function go(change) {
  const v = { ...(state.view || readHash()), ...change };
  const q = new URLSearchParams();
  q.set('unit', v.unit);
  if (v.list) q.set('list', v.list);
  q.set('from', v.from);
  q.set('to', v.to);
  const next = `#${q.toString()}`;
  if (location.hash === next) route();
  else location.hash = next;
}

async function route() {
  if (!state.api) return;
  const v = readHash();
  const prev = state.view;
  state.view = v;
  $('#from').value = v.from;
  $('#to').value = v.to;
  markPreset();
  const unitChanged = !prev || prev.unit !== v.unit || prev.list !== v.list || !state.unit;
  if (unitChanged) {
    const ok = await loadUnit();
    if (!ok) return;
    loadLists();
  }
  // In this order: the pool serves requests first come, first served.
  loadReport();
  loadTrend();
  loadChildren();
}

function abortable(name) {
  state.aborts[name]?.abort();
  const c = new AbortController();
  state.aborts[name] = c;
  return c.signal;
}

function problemText(e) {
  if (e instanceof ApiError) {
    const known = `err.${e.code}`;
    const text = t(known);
    return text !== known ? text : t('err.generic', e.status || '', e.detail || e.code);
  }
  return String(e?.message || e);
}

function toast(message, bad = true) {
  const el = $('#toast');
  el.textContent = message;
  el.classList.toggle('bad', bad);
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => { el.hidden = true; }, 6000);
}

// -------------------------------------------------------------------------------------------
// The unit: breadcrumbs, list choice, offices for the feed
// -------------------------------------------------------------------------------------------

async function loadUnit() {
  const { unit, list } = state.view;
  try {
    state.unit = await state.api.unit(unit, list || undefined, { signal: abortable('unit') });
  } catch (e) {
    if (e.name === 'AbortError') return false;
    toast(problemText(e));
    // Back to the unit shown before, or to the account's own unit.
    const fallback = state.unit?.unit.code || state.me?.unit || state.me?.province;
    if (fallback && fallback !== unit) go({ unit: fallback, list: '' });
    return false;
  }
  state.children = new Map();
  renderUnit();
  restartFeed(false);
  return true;
}

function renderUnit() {
  const u = state.unit;
  if (!u) return;
  const listParam = state.view.list;
  const link = (r) => h('a', { href: `#${new URLSearchParams({ unit: r.code, ...(listParam ? { list: listParam } : {}), from: state.view.from, to: state.view.to })}` }, r.name);
  replace($('#crumbs'),
    u.path.map((p) => h('li', {}, link(p))),
    h('li', { 'aria-current': 'page' }, u.unit.name, h('span', { class: 'code' }, u.unit.code)));
  const choice = $('#list-choice');
  choice.hidden = u.lists.length < 2;
  replace($('#list-select'), u.lists.map((l) => h('option', { value: l.id, selected: l.id === u.list.id }, t(`list.${l.id}`))));
  $('#children-card').hidden = u.children.length === 0;
  $('.grid-two').classList.toggle('single', u.children.length === 0);
  $('#feed-list').dataset.empty = t('feed.waiting');
  // Feed office filter: the offices of the unit shown.
  const office = $('#feed-office');
  const keep = office.value;
  replace(office,
    h('option', { value: '' }, t('feed.allOffices')),
    (u.unit.level === 'province' ? [] : u.offices).map((o) => h('option', { value: o.id, selected: o.id === keep }, `${o.id} · ${o.name}`)));
  const type = $('#feed-type');
  const keepType = type.value;
  replace(type,
    h('option', { value: '' }, t('feed.allTypes')),
    Object.keys(EVENT_TYPES).map((k) => h('option', { value: k, selected: k === keepType }, eventLabel(k))));
}

function provinceOf(u) {
  if (!u) return null;
  if (u.unit.level === 'province') return u.unit;
  return u.path.find((p) => p.level === 'province') || null;
}

// -------------------------------------------------------------------------------------------
// Period
// -------------------------------------------------------------------------------------------

function applyPeriod() {
  const from = $('#from').value;
  const to = $('#to').value;
  if (!isDate(from) || !isDate(to) || from > to) { toast(t('period.bad')); return; }
  go({ from, to });
}

function presetRange(name) {
  const t0 = today();
  if (name === 'today') return [t0, t0];
  if (name === '7') return [addDays(t0, -6), t0];
  if (name === '30') return [addDays(t0, -29), t0];
  const first = `${t0.slice(0, 8)}01`;
  if (name === 'month') return [first, t0];
  const lastPrev = addDays(first, -1);
  return [`${lastPrev.slice(0, 8)}01`, lastPrev];
}

function preset(name) {
  const [from, to] = presetRange(name);
  go({ from, to });
}

function markPreset() {
  for (const c of $$('[data-preset]')) {
    const [from, to] = presetRange(c.dataset.preset);
    c.classList.toggle('active', from === state.view.from && to === state.view.to);
  }
}

// -------------------------------------------------------------------------------------------
// Biểu 06 and the KPIs
// -------------------------------------------------------------------------------------------

const COLS = [
  ['3', 'received_total'], ['4', 'received_online'], ['5', 'received_direct_postal'], ['6', 'carried_over'],
  ['7', 'resolved_total'], ['8', 'resolved_early'], ['9', 'resolved_on_time'], ['10', 'resolved_late'],
  ['11', 'pending_total'], ['12', 'pending_within'], ['13', 'pending_overdue'],
];
const ROMAN = ['I', 'II', 'III', 'IV'];

async function loadReport() {
  const { unit, from, to } = state.view;
  const section = $('#bieu06').closest('.card');
  section.classList.add('loading');
  try {
    state.report = await state.api.bieu06(unit, from, to, { signal: abortable('report') });
  } catch (e) {
    if (e.name === 'AbortError') return;
    state.report = null;
    replace($('#bieu06-body'), h('tr', {}, h('td', { colspan: 14, class: 'name muted' }, problemText(e))));
    replace($('#bieu06-notes'));
    renderKpis();
    return;
  } finally {
    section.classList.remove('loading');
  }
  renderBieu06();
  renderKpis();
  $('#foot-updated').textContent = t('foot.updated', fmtInstant(new Date().toISOString()));
}

function lineCells(line) {
  const cells = COLS.map(([col, field]) => {
    const v = line[field] ?? 0;
    const cls = [v === 0 ? 'zero' : '', (col === '10' || col === '13') && v > 0 ? 'bad' : ''].filter(Boolean).join(' ');
    return h('td', { 'data-col': col, class: cls || null }, num(v));
  });
  const rate = line.on_time?.standard;
  cells.push(h('td', { class: 'rate', 'data-col': 'rate' }, rate ? pct(rate.percent) : '–'));
  return cells;
}

function renderBieu06() {
  const r = state.report;
  const body = $('#bieu06-body');
  if (!r) return;
  $('#bieu06-caption').textContent = t('bieu06.caption', r.unit_name, r.unit, fmtDate(r.from), fmtDate(r.to));
  $('#judged').textContent = t('period.judged', fmtInstant(r.judged_at));
  const detail = $('#bieu06-detail').checked;
  const rows = [];
  r.levels.forEach((level, li) => {
    rows.push(h('tr', { class: 'level', 'data-row': 'level', 'data-level': level.level },
      h('td', { class: 'stt' }, ROMAN[li] || String(li + 1)), h('td', { class: 'name' }, t(`level.${level.level}`)), lineCells(level.total)));
    level.fields.forEach((field, fi) => {
      rows.push(h('tr', { class: 'field', 'data-row': 'field' },
        h('td', { class: 'stt' }, String(fi + 1)), h('td', { class: 'name' }, field.name || field.field), lineCells(field.total)));
      if (!detail) return;
      field.procedures.forEach((p, pi) => {
        rows.push(h('tr', { class: 'procedure', 'data-row': 'procedure' },
          h('td', { class: 'stt' }, `${fi + 1}.${pi + 1}`), h('td', { class: 'name', title: p.procedure }, p.name || p.procedure), lineCells(p.line)));
      });
    });
  });
  if (!r.levels.length) rows.push(h('tr', {}, h('td', { colspan: 14, class: 'name muted' }, t('bieu06.empty'))));
  rows.push(h('tr', { class: 'total', 'data-row': 'total' }, h('td', { class: 'stt' }), h('td', { class: 'name' }, t('bieu06.total')), lineCells(r.total)));
  replace(body, rows);
  const rates = r.total.on_time || {};
  const show = (x) => (x ? `${pct(x.percent, 2)} (${num(x.numerator)}/${num(x.denominator)})` : '–');
  replace($('#bieu06-notes'),
    h('p', {}, t('bieu06.rates', show(rates.standard), show(rates.due_reached), show(rates.late_share))),
    h('p', {}, t('bieu06.note', num(r.note.count))));
}

function renderKpis() {
  const r = state.report;
  const set = (name, value, sub) => {
    const el = $(`[data-kpi="${name}"]`);
    $('.kpi-value', el).textContent = value;
    $('.kpi-sub', el).textContent = sub;
  };
  if (!r) {
    for (const k of ['received', 'resolved', 'ontime', 'pending', 'overdue']) set(k, '–', '');
    return;
  }
  const c = r.total;
  set('received', num(c.received_total), t('kpi.receivedSub', num(c.received_online + c.received_direct_postal), num(c.carried_over)));
  set('resolved', num(c.resolved_total), t('kpi.resolvedSub', num(c.resolved_early), num(c.resolved_on_time), num(c.resolved_late)));
  const s = c.on_time?.standard;
  set('ontime', s ? pct(s.percent) : '–', s ? t('kpi.onTimeSub', num(s.numerator), num(s.denominator)) : '');
  set('pending', num(c.pending_total), t('kpi.pendingSub', num(c.pending_within)));
  set('overdue', num(c.pending_overdue), t('kpi.overdueSub', num(c.pending_total)));
}

function downloadCsv() {
  const r = state.report;
  if (!r) return;
  const quote = (v) => (/[",\n]/.test(String(v)) ? `"${String(v).replaceAll('"', '""')}"` : String(v));
  const header = ['STT', t('b.name'), ...COLS.map(([c]) => `(${c})`), t('b.rate')];
  const out = [header];
  const line = (stt, name, l) => [stt, name, ...COLS.map(([, f]) => l[f] ?? 0), l.on_time?.standard ? l.on_time.standard.percent : ''];
  r.levels.forEach((level, li) => {
    out.push(line(ROMAN[li] || li + 1, t(`level.${level.level}`), level.total));
    level.fields.forEach((f, fi) => {
      out.push(line(fi + 1, f.name || f.field, f.total));
      f.procedures.forEach((p, pi) => out.push(line(`${fi + 1}.${pi + 1}`, `${p.procedure} ${p.name}`, p.line)));
    });
  });
  out.push(line('', t('bieu06.total'), r.total));
  const csv = `\ufeff${out.map((row) => row.map(quote).join(',')).join('\r\n')}\r\n`;
  const url = URL.createObjectURL(new Blob([csv], { type: 'text/csv;charset=utf-8' }));
  const a = h('a', { href: url, download: `bieu06_${r.unit}_${r.from}_${r.to}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// -------------------------------------------------------------------------------------------
// Daily trend: one Biểu 06 per day, at most 30 days, at most 4 requests at once
// -------------------------------------------------------------------------------------------

async function loadTrend() {
  const n = Number($('#trend-days').value) || 14;
  const end = state.view.to < today() ? state.view.to : today();
  const dates = daysBetween(addDays(end, -(n - 1)), end);
  const signal = abortable('trend');
  state.trend = dates.map((date) => ({ date, received: null, resolved: null, late: null, rate: null }));
  state.trendDone = 0;
  drawTrend();
  const unit = state.view.unit;
  await Promise.all(state.trend.map(async (d) => {
    try {
      const r = await state.api.bieu06(unit, d.date, d.date, { signal });
      const c = r.total;
      d.received = c.received_online + c.received_direct_postal;
      d.resolved = c.resolved_total;
      d.late = c.resolved_late;
      d.rate = c.on_time?.standard ? c.on_time.standard.percent : null;
    } catch (e) {
      if (e.name === 'AbortError') return;
    }
    if (signal.aborted) return;
    state.trendDone += 1;
    drawTrend();
  }));
}

let trendFrame = 0;
function drawTrend() {
  cancelAnimationFrame(trendFrame);
  trendFrame = requestAnimationFrame(() => {
    const el = $('#trend-chart');
    const total = state.trend.length;
    const done = state.trendDone || 0;
    replace(el, trendChart(state.trend));
    el.dataset.complete = String(done >= total);
    el.setAttribute('aria-label', done < total ? t('trend.loading', done, total) : t('trend.title'));
  });
}

// -------------------------------------------------------------------------------------------
// Units below: one Biểu 06 each for the period (bounded by the unit list), drill-down links
// -------------------------------------------------------------------------------------------

async function loadChildren() {
  const u = state.unit;
  if (!u || !u.children.length) { replace($('#children-body')); return; }
  const signal = abortable('children');
  const { from, to } = state.view;
  state.children = new Map();
  renderChildren();
  let done = 0;
  const total = u.children.length;
  $('#children-status').textContent = t('children.loading', 0, total);
  await Promise.all(u.children.map(async (c) => {
    try {
      const r = await state.api.bieu06(c.code, from, to, { signal });
      state.children.set(c.code, r.total);
    } catch (e) {
      if (e.name === 'AbortError') return;
      state.children.set(c.code, null);
    }
    done += 1;
    if (signal.aborted) return;
    $('#children-status').textContent = done < total ? t('children.loading', done, total) : t('children.done', num(total));
    scheduleChildren();
  }));
}

let childrenFrame = 0;
function scheduleChildren() {
  cancelAnimationFrame(childrenFrame);
  childrenFrame = requestAnimationFrame(() => renderChildren());
}

function childFigures(code) {
  const c = state.children.get(code);
  if (!c) return null;
  return {
    received: c.received_total, resolved: c.resolved_total, pending: c.pending_total, overdue: c.pending_overdue,
    rate: c.on_time?.standard ? c.on_time.standard.percent : null,
  };
}

function renderChildren() {
  const u = state.unit;
  if (!u) return;
  const filter = $('#children-filter').value.trim().toLowerCase();
  const { key, asc } = state.sort;
  const rows = u.children
    .filter((c) => !filter || c.name.toLowerCase().includes(filter) || c.code.includes(filter))
    .map((c, i) => ({ c, i, f: childFigures(c.code) }));
  rows.sort((a, b) => {
    if (key === 'name') return asc ? a.i - b.i : b.i - a.i;
    const av = a.f?.[key] ?? -1;
    const bv = b.f?.[key] ?? -1;
    return (asc ? av - bv : bv - av) || a.i - b.i;
  });
  for (const th of $$('#children th[data-sort]')) {
    th.classList.toggle('sorted', th.dataset.sort === key);
    th.classList.toggle('asc', th.dataset.sort === key && asc);
  }
  const listParam = state.view.list;
  replace($('#children-body'), rows.map(({ c, f }) => {
    const href = `#${new URLSearchParams({ unit: c.code, ...(listParam ? { list: listParam } : {}), from: state.view.from, to: state.view.to })}`;
    const rateCell = f && f.rate !== null
      ? h('td', { class: 'num' }, h('span', { class: `bar ${f.rate < 80 ? 'bad' : f.rate < 95 ? 'low' : ''}` }, h('span')), pct(f.rate))
      : h('td', { class: 'num muted' }, '–');
    const row = h('tr', { 'data-unit': c.code },
      h('td', { class: 'unit-name' }, h('a', { href }, c.name), h('span', { class: 'muted' }, c.code)),
      h('td', { class: 'num' }, f ? num(f.received) : '…'),
      h('td', { class: 'num' }, f ? num(f.resolved) : '…'),
      rateCell,
      h('td', { class: 'num' }, f ? num(f.pending) : '…'),
      h('td', { class: f && f.overdue > 0 ? 'num late' : 'num' }, f ? num(f.overdue) : '…'));
    // The policy refuses style attributes in markup; setting the property is allowed.
    const bar = row.querySelector('.bar > span');
    if (bar) bar.style.width = `${Math.max(0, Math.min(100, f.rate))}%`;
    return row;
  }));
}

// -------------------------------------------------------------------------------------------
// Queues and overdue lists (limited)
// -------------------------------------------------------------------------------------------

async function loadLists() {
  const unit = state.view.unit;
  const limit = Number($('#list-limit').value) || 20;
  const signal = abortable('lists');
  const [queue, overdue] = await Promise.allSettled([
    state.api.queue(unit, limit, { signal }),
    state.api.overdue(unit, limit, { signal }),
  ]);
  if (signal.aborted) return;
  renderList('#queue-body', '#queue-count', queue, queueRow, 6);
  renderList('#overdue-body', '#overdue-count', overdue, overdueRow, 5);
}

function renderList(bodySel, countSel, result, rowOf, cols) {
  const body = $(bodySel);
  if (result.status === 'rejected') {
    replace(body, h('tr', { class: 'empty' }, h('td', { colspan: cols }, problemText(result.reason))));
    $(countSel).textContent = '';
    return;
  }
  const list = result.value;
  $(countSel).textContent = list.more ? t('list.more', num(list.items.length)) : num(list.items.length);
  if (!list.items.length) {
    replace(body, h('tr', { class: 'empty' }, h('td', { colspan: cols }, t('list.empty'))));
    return;
  }
  const now = Date.now();
  replace(body, list.items.map((item) => rowOf(item, now)));
}

const spanUnits = () => ({ d: t('span.d'), h: t('span.h'), m: t('span.m') });

function codeCell(d) {
  return h('td', { class: 'code', title: d.key }, d.code || d.key.slice(0, 13));
}

function procCell(d) {
  return h('td', { class: 'proc', title: `${d.procedure || ''} ${d.procedure_name || ''}` }, h('span', { class: 'clip' }, d.procedure_name || d.procedure || ''));
}

function overdueRow(item, now) {
  const d = item.dossier;
  const late = now - Date.parse(item.due_at);
  return h('tr', { 'data-key': d.key },
    codeCell(d), procCell(d),
    h('td', { class: 'code' }, d.handling_agency || ''),
    h('td', { class: 'when' }, fmtInstant(item.due_at)),
    h('td', { class: 'num late' }, fmtSpan(late, spanUnits())));
}

function queueRow(item, now) {
  const d = item.dossier;
  const left = Date.parse(item.due_at) - now;
  const cls = left < 0 ? 'late' : left < 86400000 ? 'soon' : 'okay';
  const text = left < 0 ? t('list.overdueBy', fmtSpan(left, spanUnits())) : fmtSpan(left, spanUnits());
  return h('tr', { 'data-key': d.key },
    codeCell(d), procCell(d),
    h('td', { class: 'nowrap' }, d.status_code ? statusLabel(d.status_code) : (d.stage || '')),
    h('td', { class: 'code' }, d.holder || ''),
    h('td', { class: 'when' }, fmtInstant(item.due_at)),
    h('td', { class: `num ${cls}` }, text));
}

// -------------------------------------------------------------------------------------------
// Live feed
// -------------------------------------------------------------------------------------------

function feedParams() {
  const p = provinceOf(state.unit);
  return {
    province: p?.code,
    type: $('#feed-type').value,
    level: $('#feed-level').value,
    unit: $('#feed-office').value,
  };
}

function restartFeed(force) {
  const params = feedParams();
  if (!params.province || !state.api) return;
  const key = JSON.stringify(params);
  if (!force && key === state.feedKey && state.feed) return;
  state.feed?.stop();
  state.feedKey = key;
  if (force) clearFeed();
  const province = provinceOf(state.unit);
  state.feed = openFeed({
    token: state.api.token,
    params,
    onEvent: (e) => feedEvent(e),
    onState: (s, detail) => feedState(s, detail, province),
  });
}

function feedState(s, detail, province) {
  const dot = $('#feed-dot');
  dot.className = `dot ${s === 'live' ? 'dot-on' : s === 'denied' ? 'dot-off' : 'dot-wait'}`;
  const status = $('#feed-status');
  if (s === 'live') status.textContent = state.feedPaused ? t('feed.paused', state.feedBuffer.length) : t('feed.live', province?.name || '');
  else if (s === 'connecting') status.textContent = t('feed.connecting');
  else if (s === 'retry') status.textContent = t('feed.retry', detail?.seconds ?? 1);
  else if (s === 'denied') {
    if (detail?.status === 401) { signOut(t('auth.bad')); return; }
    status.textContent = detail?.code === 'other_province' ? t('feed.denied') : (detail?.detail || t('feed.denied'));
  }
  state.feedState = s;
}

function feedStatusIdle() {
  if (state.feedState === 'live') $('#feed-status').textContent = t('feed.live', provinceOf(state.unit)?.name || '');
}

function feedEvent(e) {
  let envelope;
  try { envelope = JSON.parse(e.data); } catch { return; }
  const item = { id: e.id, name: e.event, ...summarise(envelope) };
  envelope = null; // The envelope holds applicant data: keep only the summary.
  if (state.feedPaused) {
    state.feedBuffer.push(item);
    if (state.feedBuffer.length > FEED_MAX) state.feedBuffer.shift();
    $('#feed-status').textContent = t('feed.paused', state.feedBuffer.length);
    return;
  }
  prependFeed([item]);
}

function officeText(item) {
  if (item.office) return item.office;
  return item.role === 'applicant' ? t('actor.applicant') : t('actor.system');
}

function feedRow(item, fresh) {
  const types = item.imported ? ['imported'] : [...new Set(item.types)];
  let status = null;
  for (let i = item.types.length - 1; i >= 0; i -= 1) {
    if (STATUS_AFTER[item.types[i]]) { status = STATUS_AFTER[item.types[i]]; break; }
  }
  const pills = types.slice(0, 3).map((ty) => h('span', { class: `pill pill-${eventTone(ty)}`, 'data-type': ty }, eventLabel(ty)));
  const route = [h('b', {}, officeText(item))];
  if (item.target && item.target !== item.office) route.push(' → ', h('b', {}, item.target));
  if (item.imported) route.push(` · ${t('feed.imported', item.steps)}`);
  if (status) route.push(' · ', h('span', { class: 'status' }, `${status} ${statusLabel(status)}`));
  return h('li', {
    class: `feed-item${fresh ? ' fresh' : ''}`, 'data-seq': item.id, 'data-code': item.code || '', 'data-key': item.key || '',
  },
  h('span', { class: 'feed-time', title: fmtInstant(item.time) }, fmtClock(item.time)),
  h('div', { class: 'feed-main' }, pills, h('span', { class: 'feed-code', title: item.key }, item.code || item.key)),
  h('div', { class: 'feed-route' }, route));
}

function prependFeed(items) {
  const list = $('#feed-list');
  for (const item of items) {
    state.feedItems.unshift(item);
    list.prepend(feedRow(item, true));
  }
  state.feedItems.length = Math.min(state.feedItems.length, FEED_MAX);
  while (list.children.length > FEED_MAX) list.lastElementChild.remove();
}

function clearFeed() {
  state.feedItems = [];
  state.feedBuffer = [];
  replace($('#feed-list'));
}

function toggleFeedPause() {
  state.feedPaused = !state.feedPaused;
  $('#feed-pause').dataset.i18n = state.feedPaused ? 'feed.resume' : 'feed.pause';
  $('#feed-pause').textContent = t($('#feed-pause').dataset.i18n);
  if (!state.feedPaused) {
    prependFeed(state.feedBuffer);
    state.feedBuffer = [];
    feedStatusIdle();
  }
}

// -------------------------------------------------------------------------------------------
// Language switch and refresh
// -------------------------------------------------------------------------------------------

function rerender() {
  if (!state.me) return;
  renderAccount();
  renderUnit();
  renderBieu06();
  renderKpis();
  renderChildren();
  drawTrend();
  loadLists();
  feedStatusIdle();
  replace($('#feed-list'), state.feedItems.map((item) => feedRow(item, false)));
  const pause = $('#feed-pause');
  pause.textContent = t(pause.dataset.i18n);
  document.documentElement.dataset.lang = currentLang();
}

function autoRefresh() {
  if (!state.api || !state.view || document.hidden) return;
  if (state.view.to >= today()) {
    loadReport();
    loadLists();
  }
}

start();
