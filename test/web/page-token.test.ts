// The page at / when the server has EKMM_API_TOKEN set: in a real headless Chromium it asks for
// the token once, keeps it in sessionStorage (this tab only), sends it as a Bearer header (never
// in the URL), asks again when the token is refused, and works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { createApp } from '../../src/app/app.ts';
import { startWebServer } from '../../adapters/web/index.ts';
import { testConfig } from './fixtures.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.ts';

const TOKEN = 'page-api-token-7f3c';

test('with EKMM_API_TOKEN set, the page asks for the token once, keeps it for the tab and recognizes', { timeout: 120_000 }, async (t) => {
  if (!chromiumAvailable(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-page-token-'));
  const config = testConfig({ ocr: { backend: 'none' } });
  const app = await createApp(config);
  const web = await startWebServer(app.host, config, { port: 0, logger: silentLogger(), env: { EKMM_API_TOKEN: TOKEN } });
  let browser: BrowserContext | undefined;
  t.after(async () => {
    await browser?.close();
    await web.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const posts: { url: string; authorization: string | undefined; status?: number }[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push({ url: r.url(), authorization: r.headers().authorization });
  });

  await page.goto(web.url);
  assert.equal(await page.isVisible('#token-row'), true, 'the page asks for the token at once');
  await page.fill('#text-input', 'Barack Obama is in Paris.');

  // Without a token nothing is sent: the page says what it needs.
  await page.fill('#token-input', '');
  await page.click('#submit');
  assert.match((await page.textContent('#token-why')) ?? '', /needs its API token/);
  assert.equal(posts.length, 0);

  // A wrong token: the server's 403, and the page asks again.
  await page.fill('#token-input', 'wrong-token');
  await page.click('#submit');
  await page.waitForFunction(() => /refused/.test(document.getElementById('token-why')?.textContent ?? ''));
  assert.match((await page.textContent('#status')) ?? '', /^Failed: .*not valid/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('ekmm.apiToken')), null, 'a refused token is forgotten');

  // The right one: results, and the token is kept for this tab.
  await page.fill('#token-input', TOKEN);
  await page.click('#submit');
  await page.waitForSelector('#results:not([hidden])', { timeout: 60_000 });
  const marks = await page.$$eval('#text-out mark.ent', (ms) => ms.map((m) => m.firstChild?.textContent));
  assert.deepEqual(marks, ['Barack Obama', 'Paris']);
  assert.equal(await page.isVisible('#token-row'), false);
  assert.equal(await page.evaluate(() => sessionStorage.getItem('ekmm.apiToken')), TOKEN);
  assert.equal(await page.evaluate(() => localStorage.length), 0, 'nothing in localStorage');

  // A reload in the same tab does not ask again.
  await page.reload();
  assert.equal(await page.isVisible('#token-row'), false);
  await page.fill('#text-input', 'Google');
  await page.click('#submit');
  await page.waitForFunction(() => /entities/.test(document.getElementById('status')?.textContent ?? ''));
  assert.match((await page.textContent('#status')) ?? '', /^Done in \d+ ms: 1 entities\./);

  // Every request carried the token as a header, none in its URL.
  assert.deepEqual(
    posts.map((p) => p.authorization),
    ['Bearer wrong-token', `Bearer ${TOKEN}`, `Bearer ${TOKEN}`],
  );
  for (const p of posts) assert.doesNotMatch(p.url, new RegExp(`${TOKEN}|wrong-token`));
  assert.ok(!page.url().includes(TOKEN));

  // Another tab has its own sessionStorage: it asks again.
  const other = await browser.newPage();
  await other.goto(web.url);
  assert.equal(await other.isVisible('#token-row'), true);
  assert.deepEqual(pageErrors, []);
});

test('without EKMM_API_TOKEN the page never asks for a token', { timeout: 120_000 }, async (t) => {
  if (!chromiumAvailable(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-page-notoken-'));
  const config = testConfig({ ocr: { backend: 'none' } });
  const app = await createApp(config);
  const web = await startWebServer(app.host, config, { port: 0, logger: silentLogger(), env: {} });
  let browser: BrowserContext | undefined;
  t.after(async () => {
    await browser?.close();
    await web.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), { executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.goto(web.url);
  assert.equal(await page.isVisible('#token-row'), false);
  await page.fill('#text-input', 'Paris');
  await page.click('#submit');
  await page.waitForSelector('#results:not([hidden])', { timeout: 60_000 });
  assert.equal(await page.isVisible('#token-row'), false);
});
