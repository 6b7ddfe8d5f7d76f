// The moderators' dashboard in a real headless Chromium: charts for a seeded community, filters
// that change them, a CSV download holding what is shown, the Chinese interface, and nothing
// loaded from outside our server. Screenshots go to test/artifacts/ (git-ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig, PROJECT_ROOT } from '../../src/config/load.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import { startWebServer } from '../../adapters/web/index.ts';
import { Host } from '../../src/host/index.ts';
import { memoryLogger } from '../support/logs.ts';
import { dashboardLinkFor } from '../../src/stats/dashboard-token.ts';
import type { RecordInput } from '../../src/stats/entity-stats.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.ts';

const ARTIFACTS = join(PROJECT_ROOT, 'test/artifacts');
const A = 'discord:9001';
const B = 'telegram:-42';

function seed(): RecordInput[] {
  const day = (n: number) => new Date(Date.now() - n * 86_400_000);
  const out: RecordInput[] = [];
  let id = 0;
  const msg = (channelId: string, at: Date, entities: RecordInput['entities']) =>
    out.push({ communityId: A, channelId, messageId: String(id++), at, entities });
  for (let d = 0; d < 30; d++) {
    // Taylor Swift rises in the last week; Paris is steady; Berlin only in older days.
    const swift = d < 7 ? 6 : 1;
    for (let i = 0; i < swift; i++)
      msg('general', day(d), [
        { text: i % 3 === 1 ? 'taylor swift' : 'Taylor Swift', type: 'PER', source: i % 2 ? 'ocr' : 'text' },
        { text: 'Paris', type: 'LOC' },
      ]);
    for (let i = 0; i < 3; i++)
      msg(i ? 'travel' : 'memes', day(d), [
        { text: 'Paris', type: 'LOC', source: i === 2 ? 'caption' : 'text' },
        { text: 'UNESCO', type: 'ORG' },
      ]);
    if (d >= 10)
      msg('travel', day(d), [
        { text: 'Berlin', type: 'LOC' },
        { text: 'Angela Merkel', type: 'PER' },
      ]);
    if (d % 3 === 0)
      msg('memes', day(d), [
        { text: '北京', type: 'LOC', source: 'ocr' },
        { text: 'Jay Chou', type: 'PER', source: 'ocr' },
      ]);
  }
  out.push({ communityId: B, channelId: 'x', messageId: 'b', entities: [{ text: 'Secret Org', type: 'ORG' }] });
  return out;
}

async function loaded(page: Page, action: () => Promise<unknown>): Promise<void> {
  const before = await page.evaluate(() => document.body.dataset.loaded ?? '');
  await action();
  await page.waitForFunction(
    (prev) => (document.body.dataset.loaded ?? '') !== prev && document.body.dataset.loaded !== undefined,
    before,
    { timeout: 30_000 },
  );
}

async function topShown(page: Page): Promise<Record<string, Array<[string, string]>>> {
  return page.$$eval('#top-charts figure', (figs) =>
    Object.fromEntries(
      figs.map((f) => [
        (f.querySelector('.chart') as HTMLElement).dataset.type,
        [...f.querySelectorAll('details tbody tr')].map(
          (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '') as [string, string],
        ),
      ]),
    ),
  );
}

test('the dashboard renders, filters, exports what it shows and speaks Chinese', { timeout: 180_000 }, async (t) => {
  if (!chromiumAvailable(t)) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const env = { EKMM_DASHBOARD_SECRET: 'page-test-secret-0123456789abcdef' };
  const config = loadConfig({ skipDefaultFile: true, env: {}, overrides: { stats: { url: 'memory://' } } });
  const opened = await openEntityStats(config);
  await opened.stats.recordMany(seed());
  const executor = { kind: 'unused', recognize: () => Promise.reject(new Error('not used by the dashboard')) };
  const web = await startWebServer(new Host({ config, executor, stats: opened.stats }), config, {
    port: 0,
    env,
    logger: memoryLogger().logger,
  });
  let browser: Browser | undefined;
  t.after(async () => {
    await browser?.close();
    await web.close();
    await opened.close();
  });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
  });
  const link = dashboardLinkFor(config, A, { serverUrl: web.url, env }).url;
  assert.ok(link.startsWith(`${web.url}/dashboard#t=`));

  // --- English, as the browser asks -------------------------------------------------------
  const en = await browser.newContext({ locale: 'en-US', viewport: { width: 1280, height: 1000 }, acceptDownloads: true });
  const page = await en.newPage();
  const errors: string[] = [];
  const outside: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith(web.url) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) outside.push(r.url());
  });
  await loaded(page, () => page.goto(link));
  assert.equal(new URL(page.url()).hash, '', 'the token is taken out of the address bar');
  assert.equal(await page.textContent('h1 [data-i18n="title"]'), 'Entity dashboard');
  assert.equal(await page.textContent('#community-name'), A);

  const top30 = await topShown(page);
  assert.deepEqual(Object.keys(top30).sort(), ['LOC', 'ORG', 'PER']);
  assert.deepEqual(top30.PER?.[0], ['Taylor Swift', '65'], 'the most frequent surface form, case variants merged');
  assert.ok((await page.$$('#top-charts .ct-bar')).length >= 6, 'bars drawn');
  const barLabels = await page.$$eval('#top-charts .ct-label', (ls) => ls.map((l) => l.textContent ?? ''));
  assert.ok(barLabels.includes('Taylor Swift') && barLabels.includes('北京'), `SVG labels: ${barLabels.join(', ')}`);
  assert.match(
    (await page.getAttribute('#top-charts .chart[data-type="PER"]', 'aria-label')) ?? '',
    /Taylor Swift 65/,
    'charts carry a text summary',
  );
  assert.equal((await page.$$('#trend-chart .ct-line')).length, 3, 'trend lines for the three top entities');
  assert.equal((await page.$$('#share-chart .ct-slice-donut')).length, 3);
  assert.ok((await page.$$('#channels-chart .ct-bar')).length >= 3);
  const pairs = await page.$$eval('#pairs-table tbody tr td:first-child', (tds) => tds.map((td) => td.textContent));
  assert.ok(pairs.includes('Paris + UNESCO') && pairs.includes('Paris + Taylor Swift'), `pairs: ${pairs.join('; ')}`);
  await page.screenshot({ path: join(ARTIFACTS, 'dashboard-en.png'), fullPage: true });

  // --- filters change what is shown ----------------------------------------------------------
  await loaded(page, () => page.selectOption('#days', '7'));
  const top7 = await topShown(page);
  assert.deepEqual(top7.PER?.[0], ['Taylor Swift', '42']);
  assert.ok(!top7.LOC?.some(([name]) => name === 'Berlin'), 'Berlin was mentioned only before the last week');
  const rising = await page.$$eval('#rising-table tbody tr', (trs) =>
    trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)),
  );
  assert.deepEqual(rising[0], ['Taylor Swift', 'People', '42', '7', '×5.38'], 'this week against the previous one');
  await loaded(page, () => page.selectOption('#channel', 'memes'));
  const memes = await topShown(page);
  assert.deepEqual(
    memes.PER?.map(([n]) => n),
    ['Jay Chou'],
    'only the memes channel',
  );
  await loaded(page, () => page.selectOption('#channel', ''));
  await loaded(page, () => page.selectOption('#type', 'LOC'));
  assert.deepEqual(Object.keys(await topShown(page)), ['LOC']);
  // A custom range: only the older days.
  await loaded(page, () => page.selectOption('#days', 'custom'));
  const old = new Date(Date.now() - 20 * 86_400_000).toISOString().slice(0, 10);
  await loaded(page, () => page.fill('#from', old));
  await loaded(page, () => page.fill('#to', old));
  assert.equal(await page.textContent('#window-label'), `${old} to ${old}`);
  assert.deepEqual(
    (await topShown(page)).LOC?.map(([n, c]) => `${n}=${c}`),
    ['Paris=4', 'Berlin=1'],
  );
  await loaded(page, () => page.selectOption('#days', '30'));
  await loaded(page, () => page.selectOption('#type', ''));

  // --- the CSV holds what is shown -----------------------------------------------------------
  await loaded(page, () => page.check('#trend-picks input[value="LOC:北京"]'));
  const shown = await topShown(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const csvPath = join(ARTIFACTS, 'dashboard.csv');
  await download.saveAs(csvPath);
  const csv = readFileSync(csvPath, 'utf8').replace(/^\ufeff/, '');
  const rows = csv
    .trim()
    .split('\r\n')
    .map((l) => l.split(','));
  assert.deepEqual(rows[0], ['section', 'type', 'entity', 'channel', 'day', 'count', 'previous']);
  for (const [type, entries] of Object.entries(shown)) {
    const inCsv = rows.filter((r) => r[0] === 'top' && r[1] === type).map((r) => [r[2], r[5]]);
    assert.deepEqual(
      inCsv,
      entries.map(([n, c]) => [n, c.replace(/,/g, '')]),
      `top ${type} in the CSV equals the chart`,
    );
  }
  const trendEntities = new Set(rows.filter((r) => r[0] === 'trend').map((r) => r[2]));
  assert.deepEqual(
    [...trendEntities].sort(),
    ['Paris', 'Taylor Swift', 'UNESCO', '北京'].sort(),
    'the followed entities, including the one picked',
  );
  assert.equal(rows.filter((r) => r[0] === 'trend' && r[2] === '北京').length, 30, 'one trend row per day');
  assert.ok(rows.some((r) => r[0] === 'pair' && r[2] === 'Paris + UNESCO'));
  assert.ok(rows.some((r) => r[0] === 'source' && r[2] === 'ocr'));
  assert.ok(!csv.includes('Secret Org'), 'nothing of another community');
  assert.equal((await page.$$('#trend-chart .ct-line')).length, 4);

  // --- switch to Chinese ---------------------------------------------------------------------
  await page.click('#lang-zh');
  assert.equal(await page.textContent('#top-section h2'), '热门实体');
  assert.equal(await page.getAttribute('html', 'lang'), 'zh-CN');
  assert.deepEqual(errors, [], 'no script errors');
  assert.deepEqual(outside, [], 'nothing requested outside our server');
  await en.close();

  // --- a Chinese browser gets Chinese at once --------------------------------------------------
  const zh = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 1000 } });
  const zhPage = await zh.newPage();
  await loaded(zhPage, () => zhPage.goto(dashboardLinkFor(config, A, { serverUrl: web.url, env }).url));
  const headings = await zhPage.$$eval('main h2', (hs) => hs.map((h) => h.textContent));
  // The watchlist panel's heading too (the panel stays hidden where the server keeps no watchlists).
  assert.deepEqual(headings, ['热门实体', '每日趋势', '上升最快', '图片与文字来源占比', '各频道', '共同出现', '关注列表']);
  assert.equal(await zhPage.textContent('#csv'), '下载 CSV');
  assert.deepEqual(await zhPage.$$eval('#top-charts h3', (hs) => hs.map((h) => h.textContent)), ['地点', '组织', '人物']);
  await zhPage.screenshot({ path: join(ARTIFACTS, 'dashboard-zh.png'), fullPage: true });
  await zhPage.click('#lang-en');
  assert.equal(await zhPage.textContent('#top-section h2'), 'Top entities');
  await zh.close();

  // --- an expired link says so ---------------------------------------------------------------
  const late = await browser.newContext({ locale: 'en-US' });
  const latePage = await late.newPage();
  const { DashboardTokens } = await import('../../src/stats/dashboard-token.ts');
  const expired = new DashboardTokens(env.EKMM_DASHBOARD_SECRET).sign(A, 1000, new Date(Date.now() - 10_000));
  await latePage.goto(`${web.url}/dashboard#t=${expired}`);
  await latePage.waitForSelector('#notice:not([hidden])');
  assert.match((await latePage.textContent('#notice')) ?? '', /expired/);
  assert.equal(await latePage.isHidden('#board'), true);
  await late.close();
});
