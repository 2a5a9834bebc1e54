// The daily trend as an inline SVG: bars for dossiers received and resolved each day (resolved
// late in red on top of resolved), a line for the day's on-time rate on the right axis.

import { s, fmtDay, num, pct } from './dom.js';
import { t } from './i18n.js';

const W = 880;
const H = 260;
const PAD = { top: 16, right: 46, bottom: 30, left: 44 };

/** A "nice" upper bound for an axis. */
function niceMax(v) {
  if (v <= 4) return 4;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * days: [{date, received, resolved, late, rate (percent or null)}], oldest first; entries whose
 * figures are not loaded yet have received === null.
 */
export function trendChart(days) {
  const svg = s('svg', { viewBox: `0 0 ${W} ${H}`, 'aria-label': t('trend.title') });
  const loaded = days.filter((d) => d.received !== null);
  const innerW = W - PAD.left - PAD.right;
  const innerH = H - PAD.top - PAD.bottom;
  const max = niceMax(Math.max(1, ...loaded.map((d) => Math.max(d.received, d.resolved))));
  const y = (v) => PAD.top + innerH - (v / max) * innerH;
  const yr = (p) => PAD.top + innerH - (p / 100) * innerH;
  const step = innerW / Math.max(1, days.length);
  const x = (i) => PAD.left + i * step;

  const grid = s('g', { class: 'grid' });
  const axis = s('g', { class: 'axis' });
  for (let k = 0; k <= 4; k += 1) {
    const v = (max / 4) * k;
    grid.append(s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v) }));
    axis.append(s('text', { x: PAD.left - 8, y: y(v) + 4, 'text-anchor': 'end' }, num(Math.round(v))));
    axis.append(s('text', { x: W - PAD.right + 8, y: yr(25 * k) + 4, 'text-anchor': 'start' }, `${25 * k}%`));
  }
  svg.append(grid);

  const bars = s('g');
  const bw = Math.max(2, Math.min(18, step * 0.32));
  const labelEvery = days.length > 16 ? Math.ceil(days.length / 10) : 1;
  days.forEach((d, i) => {
    const cx = x(i) + step / 2;
    if (i % labelEvery === 0 || i === days.length - 1) {
      axis.append(s('text', { x: cx, y: H - 10, 'text-anchor': 'middle' }, fmtDay(d.date)));
    }
    if (d.received === null) return;
    bars.append(s('rect', { class: 'bar-received', x: cx - bw - 1, y: y(d.received), width: bw, height: Math.max(0, y(0) - y(d.received)), rx: 2 }));
    bars.append(s('rect', { class: 'bar-resolved', x: cx + 1, y: y(d.resolved), width: bw, height: Math.max(0, y(0) - y(d.resolved)), rx: 2 }));
    if (d.late > 0) {
      bars.append(s('rect', { class: 'bar-late', x: cx + 1, y: Math.min(y(d.late), y(0) - 1.5), width: bw, height: Math.max(1.5, y(0) - y(d.late)), rx: 1 }));
    }
  });
  svg.append(bars, axis);

  const points = days.map((d, i) => (d.rate === null || d.rate === undefined ? null : [x(i) + step / 2, yr(d.rate)]));
  let dpath = '';
  let pen = false;
  for (const p of points) {
    if (!p) { pen = false; continue; }
    dpath += `${pen ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
    pen = true;
  }
  if (dpath) svg.append(s('path', { class: 'rate-line', d: dpath }));
  for (const p of points) if (p) svg.append(s('circle', { class: 'rate-dot', cx: p[0], cy: p[1], r: 3 }));

  // Hover bands with a native tooltip per day.
  days.forEach((d, i) => {
    if (d.received === null) return;
    svg.append(s('rect', { class: 'hover-band', x: x(i), y: PAD.top, width: step, height: innerH },
      s('title', {}, t('trend.tip', fmtDay(d.date), num(d.received), num(d.resolved), num(d.late), pct(d.rate)))));
  });

  if (!loaded.length) {
    svg.append(s('text', { class: 'empty', x: W / 2, y: H / 2, 'text-anchor': 'middle' }, t('trend.empty')));
  }
  return svg;
}
