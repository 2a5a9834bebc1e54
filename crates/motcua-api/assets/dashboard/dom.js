// Small DOM and formatting helpers. Text is always set as text (never as HTML), so nothing the
// API returns can become markup.

// The SVG namespace, taken from the HTML parser rather than written out.
const SVG_NS = (() => {
  const t = document.createElement('template');
  t.innerHTML = '<svg></svg>';
  return t.content.firstChild.namespaceURI;
})();

/** Builds an element: h('td', {class: 'num'}, '12'). Attributes starting with "on" are listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}

/** Builds an SVG element. */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  return fill(el, attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/** Replaces the children of an element. */
export function replace(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

// -------------------------------------------------------------------------------------------
// Time: report dates are local days of Việt Nam (UTC+7, no daylight saving).
// -------------------------------------------------------------------------------------------

export const TZ = 'Asia/Ho_Chi_Minh';
const OFFSET_MS = 7 * 3600 * 1000;

/** Today's local date, YYYY-MM-DD. */
export function today() {
  return new Date(Date.now() + OFFSET_MS).toISOString().slice(0, 10);
}

/** The date `n` days after `date` (YYYY-MM-DD); n may be negative. */
export function addDays(date, n) {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

/** Every date from `from` to `to`, inclusive. */
export function daysBetween(from, to) {
  const out = [];
  for (let d = from; d <= to && out.length < 400; d = addDays(d, 1)) out.push(d);
  return out;
}

export function isDate(text) {
  return /^\d{4}-\d{2}-\d{2}$/.test(text || '') && !Number.isNaN(Date.parse(`${text}T00:00:00Z`));
}

// -------------------------------------------------------------------------------------------
// Numbers and instants, in the page's language.
// -------------------------------------------------------------------------------------------

let locale = 'vi-VN';
export function setLocale(lang) {
  locale = lang === 'en' ? 'en-GB' : 'vi-VN';
}

export function num(n) {
  return new Intl.NumberFormat(locale).format(n ?? 0);
}

export function pct(p, digits = 1) {
  if (p === null || p === undefined || Number.isNaN(p)) return '–';
  return `${new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(p)}%`;
}

/** dd/mm/yyyy (vi) or 23 Nov 2026 (en) of a local date YYYY-MM-DD. */
export function fmtDate(date) {
  if (!date) return '';
  const d = new Date(`${date}T00:00:00Z`);
  return new Intl.DateTimeFormat(locale, { day: '2-digit', month: locale === 'vi-VN' ? '2-digit' : 'short', year: 'numeric', timeZone: 'UTC' }).format(d);
}

/** dd/mm (vi) or 23 Nov (en) of a local date, for chart axes. */
export function fmtDay(date) {
  const d = new Date(`${date}T00:00:00Z`);
  return new Intl.DateTimeFormat(locale, { day: '2-digit', month: locale === 'vi-VN' ? '2-digit' : 'short', timeZone: 'UTC' }).format(d);
}

/** Local date and time (UTC+7) of an RFC 3339 instant. */
export function fmtInstant(iso) {
  if (!iso) return '';
  return new Intl.DateTimeFormat(locale, { day: '2-digit', month: '2-digit', year: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false, timeZone: TZ }).format(new Date(iso));
}

/** HH:MM:SS in UTC+7. */
export function fmtClock(iso) {
  return new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZone: TZ }).format(new Date(iso));
}

/** A duration in milliseconds as "3 ngày 4 giờ" / "3 d 4 h" (days, hours, minutes; at most two parts). */
export function fmtSpan(ms, units) {
  const m = Math.floor(Math.abs(ms) / 60000);
  const d = Math.floor(m / 1440);
  const hh = Math.floor((m % 1440) / 60);
  const mm = m % 60;
  const parts = [];
  if (d) parts.push(`${d} ${units.d}`);
  if (hh || d) parts.push(`${hh} ${units.h}`);
  if (!d) parts.push(`${mm} ${units.m}`);
  return parts.slice(0, 2).join(' ');
}
