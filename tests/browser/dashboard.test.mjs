// The dashboard in a real headless Chromium, against a running `motcua up --demo`.
//
// Run through tools/browser-test, which starts motcua and passes (in the environment, never on a
// command line):
//   MOTCUA_URL            http://127.0.0.1:PORT
//   MOTCUA_REPORTER_TOKEN the demo reporter (demo-baocao, UB.79): reads every report
//   MOTCUA_DESK_TOKEN     the demo desk officer (demo-tiepnhan, MC.26740): sends a `receive`
//   CHROMIUM              the browser (default /usr/bin/chromium)
//   SCREENSHOT            where to save the screenshot (default: none)
//
// It checks: the page and its files come from the API's own origin only; the token is asked
// for, kept in sessionStorage and never sent in a URL; the Biểu 06 table shows, for a period
// entered with the date pickers, exactly the figures of GET /v1/units/79/reports/bieu06; a
// command sent over HTTP shows up in the live feed, without the applicant's name; the English
// switch; the drill-down to a commune. Then it saves the screenshot.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const BASE = process.env.MOTCUA_URL;
const REPORTER = process.env.MOTCUA_REPORTER_TOKEN;
const DESK = process.env.MOTCUA_DESK_TOKEN;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const SCREENSHOT = process.env.SCREENSHOT || '';
const PROVINCE = '79';
const APPLICANT = 'Trần Thị Kiểm Thử';

assert.ok(BASE && REPORTER && DESK, 'MOTCUA_URL, MOTCUA_REPORTER_TOKEN and MOTCUA_DESK_TOKEN must be set (run tools/browser-test)');

/** Local date (UTC+7) `n` days from today. */
function localDate(n = 0) {
  return new Date(Date.now() + 7 * 3600e3 + n * 86400e3).toISOString().slice(0, 10);
}

/** The last 30 closed days: a period whose report no longer changes (the live trickle and our
 * own command land today). */
const FROM = localDate(-30);
const TO = localDate(-1);

async function api(path, token, init = {}) {
  const res = await fetch(`${BASE}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${token}`, Accept: 'application/json', ...(init.headers || {}) },
  });
  const body = await res.json().catch(() => null);
  return { status: res.status, body };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** "3.931" (vi-VN) or "3,931" (en-GB) → 3931. */
const parseCount = (text) => Number(String(text).replace(/[^\d]/g, ''));

const COLS = {
  3: 'received_total', 4: 'received_online', 5: 'received_direct_postal', 6: 'carried_over',
  7: 'resolved_total', 8: 'resolved_early', 9: 'resolved_on_time', 10: 'resolved_late',
  11: 'pending_total', 12: 'pending_within', 13: 'pending_overdue',
};

let context;
let page;
let userDataDir;
const foreignRequests = [];
const tokenInUrl = [];
const pageErrors = [];

before(async () => {
  // The demo imports a month of history at start; wait until the views have projected it, i.e.
  // until the report of the closed period is the same twice in a row.
  let last = '';
  for (let i = 0; i < 120; i += 1) {
    const r = await api(`/v1/units/${PROVINCE}/reports/bieu06?from=${FROM}&to=${TO}`, REPORTER);
    const now = r.status === 200 ? JSON.stringify(r.body.total) : '';
    if (now && now === last && r.body.total.received_total > 0) break;
    last = now;
    await sleep(1000);
  }
  userDataDir = mkdtempSync(join(tmpdir(), 'motcua-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    viewport: { width: 1440, height: 1000 },
    deviceScaleFactor: 1,
    locale: 'vi-VN',
    timezoneId: 'Asia/Ho_Chi_Minh',
  });
  page = context.pages()[0] || (await context.newPage());
  page.on('request', (req) => {
    const url = req.url();
    if (!url.startsWith(BASE) && !url.startsWith('data:') && !url.startsWith('blob:')) foreignRequests.push(url);
    if (url.includes(REPORTER) || url.includes(DESK)) tokenInUrl.push(url);
  });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  // Chromium reports every 4xx as a console error; the refused token (401 on /v1/me) is expected.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text()); });
  page.on('response', (r) => {
    const url = new URL(r.url());
    if (r.status() >= 400 && !(url.pathname === '/v1/me' && r.status() === 401)) pageErrors.push(`${r.status()} ${url.pathname}`);
  });
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
});

test('the dashboard is served by the API and asks for a token', async () => {
  const res = await page.goto(`${BASE}/`);
  assert.equal(res.status(), 200);
  assert.equal(new URL(page.url()).pathname, '/dashboard/');
  assert.match(res.headers()['content-security-policy'] || '', /default-src 'none'/);
  await page.locator('#login').waitFor({ state: 'visible' });
  assert.equal(await page.locator('#token').getAttribute('type'), 'password');
});

test('a wrong token is refused, the right one signs in and stays out of URLs', async () => {
  await page.fill('#token', 'motcua_0000');
  await page.click('#login button[type=submit]');
  await page.locator('#login-error').waitFor({ state: 'visible' });
  await page.fill('#token', REPORTER);
  await page.click('#login button[type=submit]');
  await page.locator('#app-view').waitFor({ state: 'visible' });
  await page.locator('#crumbs li[aria-current=page]').filter({ hasText: 'Hồ Chí Minh' }).waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem('motcua.token')), REPORTER);
  assert.equal(await page.evaluate(() => Object.keys(localStorage).some((k) => (localStorage.getItem(k) || '').includes('motcua_'))), false);
  assert.ok(!page.url().includes(REPORTER));
  assert.match(await page.locator('#account-office').textContent(), /UB\.79/);
});

test('Biểu 06 for a period picked with the date pickers shows the API’s figures', async () => {
  await page.fill('#from', FROM);
  await page.fill('#to', TO);
  await page.click('#apply-period');
  await page.waitForFunction(([f, t]) => location.hash.includes(`from=${f}`) && location.hash.includes(`to=${t}`), [FROM, TO]);
  const caption = page.locator('#bieu06-caption');
  const [y, m, d] = TO.split('-');
  await caption.filter({ hasText: `${d}/${m}/${y}` }).waitFor();
  await page.locator('#bieu06 tr[data-row=total]').waitFor();

  const { status, body } = await api(`/v1/units/${PROVINCE}/reports/bieu06?from=${FROM}&to=${TO}`, REPORTER);
  assert.equal(status, 200);
  assert.ok(body.total.received_total > 0, 'the demo province has dossiers in the period');

  const shown = await page.$$eval('#bieu06 tr[data-row=total] td[data-col]', (tds) => Object.fromEntries(tds.map((td) => [td.dataset.col, td.textContent])));
  for (const [col, field] of Object.entries(COLS)) {
    assert.equal(parseCount(shown[col]), body.total[field], `total, column (${col}) ${field}`);
  }
  const levels = await page.$$eval('#bieu06 tr[data-row=level]', (trs) => trs.map((tr) => ({
    level: tr.dataset.level,
    cells: Object.fromEntries([...tr.querySelectorAll('td[data-col]')].map((td) => [td.dataset.col, td.textContent])),
  })));
  assert.deepEqual(levels.map((l) => l.level), body.levels.map((l) => l.level));
  levels.forEach((l, i) => {
    for (const [col, field] of Object.entries(COLS)) {
      assert.equal(parseCount(l.cells[col]), body.levels[i].total[field], `${l.level}, column (${col})`);
    }
  });
  const rate = body.total.on_time.standard;
  if (rate) {
    const kpi = await page.locator('[data-kpi=ontime] .kpi-value').textContent();
    assert.equal(Number(kpi.replace('%', '').replace(',', '.')), Math.round(rate.percent * 10) / 10);
  }
  assert.equal(parseCount(await page.locator('[data-kpi=received] .kpi-value').textContent()), body.total.received_total);
});

test('the table downloads as CSV with the same totals', async () => {
  const { body } = await api(`/v1/units/${PROVINCE}/reports/bieu06?from=${FROM}&to=${TO}`, REPORTER);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#bieu06-csv')]);
  assert.equal(download.suggestedFilename(), `bieu06_${PROVINCE}_${FROM}_${TO}.csv`);
  const text = readFileSync(await download.path(), 'utf8');
  const total = text.trim().split('\r\n').at(-1).split(',');
  assert.equal(total[1], 'Tổng cộng');
  assert.deepEqual(total.slice(2, 13).map(Number), Object.values(COLS).map((f) => body.total[f]));
});

test('the daily trend is drawn from per-day figures', async () => {
  await page.locator('#trend-chart[data-complete=true] svg').waitFor({ timeout: 60000 });
  // 14 days back from the period's end: at least the working days have dossiers.
  const bars = await page.locator('#trend-chart svg .bar-received').count();
  assert.equal(bars, 14, `${bars} days drawn`);
  assert.ok(await page.locator('#trend-chart svg .rate-dot').count() >= 5);
});

/** A `receive` at the desk of Phường Sài Gòn, as the desk officer, over HTTP. */
function receive() {
  return api('/v1/dossiers', DESK, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      command: 'receive',
      procedure: '1.004194',
      channel: 'direct',
      applicant: { name: APPLICANT, phone: '0900000000' },
      handling_agency: 'UB.26740',
      digitised: true,
    }),
  });
}

test('a command sent over HTTP arrives in the live feed, without personal data', async () => {
  await page.locator('#feed-dot.dot-on').waitFor({ timeout: 20000 });
  const sent = await receive();
  assert.equal(sent.status, 201, JSON.stringify(sent.body));
  const code = sent.body.code;
  assert.ok(code, 'a receipt gives a dossier code');
  const item = page.locator(`#feed-list li[data-code="${code}"]`);
  await item.waitFor({ timeout: 30000 });
  assert.match(await item.textContent(), /Tiếp nhận/);
  assert.match(await item.textContent(), /MC\.26740/);
  assert.match(await item.textContent(), /UB\.26740/);
  assert.ok(!(await page.content()).includes(APPLICANT), 'the applicant’s name is not on the page');

  // A little more desk work, so that the feed in the screenshot shows a morning at the desk.
  const forwarded = await api(`/v1/dossiers/${sent.body.key}/forward`, DESK, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ to: 'UB.26740' }),
  });
  assert.equal(forwarded.status, 200, JSON.stringify(forwarded.body));
  const second = await receive();
  assert.equal(second.status, 201, JSON.stringify(second.body));
  await page.locator(`#feed-list li[data-code="${second.body.code}"]`).waitFor({ timeout: 30000 });
  await page.locator(`#feed-list li[data-seq="${forwarded.body.stream_seq}"] [data-type=forwarded]`).waitFor({ timeout: 30000 });
});

test('queues and overdue lists are shown with a limit', async () => {
  await page.locator('#queue-body tr').first().waitFor();
  const rows = await page.locator('#queue-body tr[data-key]').count();
  assert.ok(rows > 0 && rows <= 20, `${rows} queue rows`);
  await page.locator('#overdue-body tr').first().waitFor();
});

test('the screenshot', async () => {
  // Let the units below and the trend finish, and the fresh-row highlight fade.
  await page.waitForFunction(() => {
    const status = document.querySelector('#children-status').textContent;
    return status && !status.includes('…');
  }, null, { timeout: 90000 });
  await page.locator('#trend-chart[data-complete=true]').waitFor({ timeout: 60000 });
  await sleep(2600);
  await page.mouse.move(0, 0);
  await page.evaluate(() => { document.activeElement?.blur(); window.scrollTo(0, 0); });
  if (SCREENSHOT) {
    // From the top bar to the end of the Biểu 06 card.
    await page.setViewportSize({ width: 1440, height: 2400 });
    await sleep(300);
    const box = await page.locator('#bieu06').locator('xpath=ancestor::section[1]').boundingBox();
    await page.screenshot({ path: SCREENSHOT, clip: { x: 0, y: 0, width: 1440, height: Math.ceil(box.y + box.height + 16) } });
    await page.setViewportSize({ width: 1440, height: 1000 });
  }
});

test('English labels on request, Vietnamese back', async () => {
  await page.click('.lang-btn[data-lang=en]');
  assert.equal((await page.locator('.brand-title').textContent()).trim(), 'One-stop operations dashboard');
  assert.equal((await page.locator('#bieu06 tr[data-row=total] td.name').textContent()).trim(), 'Total');
  await page.click('.lang-btn[data-lang=vi]');
  assert.equal((await page.locator('#bieu06 tr[data-row=total] td.name').textContent()).trim(), 'Tổng cộng');
});

test('drill-down from the province to a commune and back', async () => {
  const link = page.locator('#children-body tr[data-unit] a').first();
  const name = (await link.textContent()).trim();
  await link.click();
  await page.locator('#crumbs li[aria-current=page]').filter({ hasText: name }).waitFor();
  const code = new URLSearchParams((await page.evaluate(() => location.hash)).slice(1)).get('unit');
  assert.match(code, /^\d{5}$/);
  const { body } = await api(`/v1/units/${code}/reports/bieu06?from=${FROM}&to=${TO}`, REPORTER);
  await page.locator('#bieu06-caption').filter({ hasText: code }).waitFor();
  const total = await page.locator('#bieu06 tr[data-row=total] td[data-col="3"]').textContent();
  assert.equal(parseCount(total), body.total.received_total);
  await page.locator('#crumbs a').first().click();
  await page.locator('#crumbs li[aria-current=page]').filter({ hasText: 'Hồ Chí Minh' }).waitFor();
});

test('nothing was fetched from elsewhere, no token in a URL, no script errors', async () => {
  assert.deepEqual(foreignRequests, []);
  assert.deepEqual(tokenInUrl, []);
  assert.deepEqual(pageErrors, []);
});

test('signing out forgets the token', async () => {
  await page.click('#logout');
  await page.locator('#login').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.getItem('motcua.token')), null);
});
