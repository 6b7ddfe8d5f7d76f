// The page as a newcomer meets it, in a real headless Chromium against a real engine and server:
// an empty submit asks for input, an image can be pasted or dropped, a sample message fills the
// form, the Score column shows only when a backend gives scores, OCR lines are numbered per image,
// and the results fit a 390 px phone screen. Screenshots go to test/artifacts/ (git-ignored).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { createApp } from '../../src/app/app.ts';
import { PROJECT_ROOT } from '../../src/config/load.ts';
import type { Plugin } from '../../src/core/registry.ts';
import type { RecognizerInput, RecognizerOutput } from '../../src/core/stages.ts';
import { startWebServer } from '../../adapters/web/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { drawTextImage, testConfig } from './fixtures.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.ts';

const ARTIFACTS = join(PROJECT_ROOT, 'test/artifacts');

/** A third-party style backend that gives scores: it finds "Paris" in the text, score 0.87. */
const scoredPlugin: Plugin = (registries) => {
  registries.recognizer.register('scored', () => ({
    name: 'scored',
    async recognize(batch: RecognizerInput[]): Promise<RecognizerOutput[]> {
      return batch.map((input) => {
        const at = input.text.indexOf('Paris');
        const entities =
          at < 0 ? [] : [{ text: 'Paris', type: 'LOC', start: at, end: at + 5, source: 'text' as const, score: 0.87, backend: 'scored' }];
        return { entities, dropped: 0, warnings: [] };
      });
    },
  }));
};

/** Files given to the page as a paste or a drop do: built in the page from bytes. */
async function dispatchFiles(page: Page, kind: 'paste' | 'drop', files: { name: string; base64: string }[]): Promise<void> {
  await page.evaluate(
    ({ kind, files }) => {
      const dt = new DataTransfer();
      for (const f of files) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: 'image/png' }));
      }
      if (kind === 'paste') document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
      else document.getElementById('form')!.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    },
    { kind, files },
  );
}

test('the page: asks for input, takes pasted/dropped images, offers a sample, hides empty scores, fits 390 px', {
  timeout: 180_000,
}, async (t) => {
  if (!chromiumAvailable(t)) return;
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-page2-'));
  const posterA = await drawTextImage(['Barack Obama visits Paris', 'Google opens an office']);
  const posterB = await drawTextImage(['Paris in spring', 'Barack Obama again']);

  const config = testConfig({
    recognizer: {
      backends: ['scored', 'gazetteer'],
      fallback: 'none',
      gazetteer: { entries: { PER: ['Barack Obama'], LOC: ['Paris'], ORG: ['Google'] } },
    },
  });
  const app = await createApp(config, { plugins: [scoredPlugin] });
  const web = await startWebServer(app.host, config, { port: 0, logger: silentLogger() });
  let browser: BrowserContext | undefined;
  t.after(async () => {
    await browser?.close();
    await web.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 390, height: 844 },
  });
  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(r.url());
  });
  await page.goto(web.url);

  // 1. An empty submit sends nothing and asks for text or an image.
  await page.click('#submit');
  assert.equal(await page.getAttribute('#status', 'class'), 'error');
  assert.match((await page.textContent('#status')) ?? '', /Type a message or add an image first/);
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'text-input');
  assert.deepEqual(posts, []);
  assert.equal(await page.isHidden('#results'), true);
  await page.screenshot({ path: join(ARTIFACTS, 'page-empty-submit-390.png'), fullPage: true });

  // 2. The sample fills the text and attaches a drawn poster; its OCR lines are read.
  await page.click('#sample');
  await page.waitForFunction(() => (document.getElementById('image-input') as HTMLInputElement).files?.length === 1);
  assert.match(await page.inputValue('#text-input'), /Barack Obama met Angela Merkel in Berlin/);
  assert.match((await page.textContent('#attached')) ?? '', /sample-poster\.png/);
  await page.click('#submit');
  await page.waitForFunction(() => /Done/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 90_000 });
  const sampleLines = await page.$$eval('.image-block[data-image="0"] li[data-ocr-line]', (items) =>
    items.map((li) => li.textContent ?? ''),
  );
  assert.ok(
    sampleLines.some((l) => /Taylor Swift/i.test(l)),
    `sample OCR lines: ${JSON.stringify(sampleLines)}`,
  );
  // No backend gave a score to this message's entities: the Score column is hidden.
  assert.deepEqual(await page.$$eval('#entity-rows tr', (rows) => rows.map((r) => r.children[0]?.textContent)), ['Barack Obama']);
  assert.equal(await page.isVisible('#entity-table th.score-col'), false);

  // 3. Text with Paris (the scoring backend), one pasted and one dropped image.
  await page.fill('#text-input', 'Barack Obama landed in Paris');
  await page.evaluate(() => {
    (document.getElementById('image-input') as HTMLInputElement).value = '';
  });
  await dispatchFiles(page, 'paste', [{ name: 'pasted.png', base64: posterA.toString('base64') }]);
  await dispatchFiles(page, 'drop', [{ name: 'dropped.png', base64: posterB.toString('base64') }]);
  assert.equal(await page.textContent('#attached'), 'attached: pasted.png, dropped.png');
  await page.click('#submit');
  await page.waitForFunction(
    () => /Done/.test(document.getElementById('status')?.textContent ?? '') && document.querySelectorAll('.image-block').length === 2,
    undefined,
    {
      timeout: 90_000,
    },
  );
  assert.equal(await page.isVisible('#entity-table th.score-col'), true);
  const rows = await page.$$eval('#entity-rows tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent ?? '')));
  const paris = rows.find((r) => r[0] === 'Paris' && r[2] === 'text');
  assert.ok(paris, JSON.stringify(rows));
  assert.equal(paris[4], '0.87');
  assert.equal(paris[5], 'scored');

  // OCR lines are numbered per image: image 2's lines start again at 1.
  const numbers = await page.$$eval('.image-block li[data-ocr-line]', (items) =>
    items.map((li) => [li.closest('.image-block')?.getAttribute('data-image'), (li as HTMLLIElement).value]),
  );
  assert.deepEqual(numbers, [
    ['0', 1],
    ['0', 2],
    ['1', 1],
    ['1', 2],
  ]);
  const where = rows
    .filter((r) => r[2] === 'ocr')
    .map((r) => `${r[0]} @ ${r[3]}`)
    .sort();
  assert.deepEqual(where, [
    'Barack Obama @ image 1, line 1',
    'Barack Obama @ image 2, line 2',
    'Google @ image 1, line 2',
    'Paris @ image 1, line 1',
    'Paris @ image 2, line 1',
  ]);

  // 4. It fits the 390 px screen: nothing wider than the viewport, the table inside its card.
  const fit = await page.evaluate(() => {
    const table = document.getElementById('entity-table')!.getBoundingClientRect();
    const card = document.getElementById('entity-table')!.closest('.card')!.getBoundingClientRect();
    return {
      page: document.documentElement.scrollWidth,
      viewport: window.innerWidth,
      table: [table.left, table.right],
      card: [card.left, card.right],
    };
  });
  assert.ok(fit.page <= fit.viewport, `page is ${fit.page} px wide in a ${fit.viewport} px viewport`);
  assert.ok(fit.table[0]! >= fit.card[0]! && fit.table[1]! <= fit.card[1]!, `table ${fit.table} spills out of its card ${fit.card}`);
  await page.screenshot({ path: join(ARTIFACTS, 'page-results-390.png'), fullPage: true });
  await page.setViewportSize({ width: 1200, height: 900 });
  await page.screenshot({ path: join(ARTIFACTS, 'page-results-1200.png'), fullPage: true });
  assert.ok(readFileSync(join(ARTIFACTS, 'page-results-390.png')).byteLength > 1000);

  assert.deepEqual(pageErrors, []);
  writeFileSync(join(ARTIFACTS, 'page-rows.json'), JSON.stringify(rows, null, 2));
});
