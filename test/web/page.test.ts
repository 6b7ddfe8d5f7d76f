// The page driven by a real headless Chromium against a real engine: type, attach, submit, and
// check the entities come back highlighted in the text and in the image's OCR lines.
// Set EKMM_PAGE_SCREENSHOT=/path.png to keep a screenshot of the result.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { createApp } from '../../src/app/app.ts';
import { startWebServer } from '../../adapters/web/index.ts';
import { drawTextImage, testConfig } from './fixtures.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { CHROMIUM, CHROMIUM_ARGS, chromiumAvailable } from '../support/chromium.ts';

test('a person types text, attaches an image and sees highlighted entities', { timeout: 120_000 }, async (t) => {
  if (!chromiumAvailable(t)) return;
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-page-'));
  const imagePath = join(dir, 'poster.png');
  writeFileSync(imagePath, await drawTextImage(['Barack Obama visits Paris', 'Google opens an office']));
  const brokenPath = join(dir, 'broken.png');
  writeFileSync(brokenPath, 'not an image');

  const config = testConfig();
  const app = await createApp(config);
  const web = await startWebServer(app.host, config, { port: 0, logger: silentLogger() });
  // Registered before launching, so a failed launch still releases the engine's worker threads.
  let browser: BrowserContext | undefined;
  t.after(async () => {
    await browser?.close();
    await web.close();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });
  // A fresh profile per run: nothing cached or remembered from earlier runs.
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    args: CHROMIUM_ARGS,
    viewport: { width: 1200, height: 900 },
  });

  const page = await browser.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (err) => pageErrors.push(err.message));
  await page.goto(web.url);
  await page.fill('#text-input', 'Barack Obama said <b>hello</b> from Paris.');
  await page.selectOption('#language-input', 'en');
  await page.setInputFiles('#image-input', [imagePath, brokenPath]);
  await page.click('#submit');
  await page.waitForSelector('#results:not([hidden])', { timeout: 60_000 });

  // The text: entities highlighted, the rest (including markup-looking text) shown literally.
  const textMarks = await page.$$eval('#text-out mark.ent', (marks) =>
    marks.map((m) => [m.firstChild?.textContent, (m as HTMLElement).dataset.type, (m as HTMLElement).dataset.source]),
  );
  assert.deepEqual(textMarks, [
    ['Barack Obama', 'PER', 'text'],
    ['Paris', 'LOC', 'text'],
  ]);
  assert.match((await page.textContent('#text-out')) ?? '', /<b>hello<\/b>/);

  // The image: OCR lines listed, their entities highlighted.
  const ocrMarks = await page.$$eval('.image-block[data-image="0"] li[data-ocr-line] mark.ent', (marks) =>
    marks.map((m) => [m.firstChild?.textContent, (m as HTMLElement).dataset.type]),
  );
  assert.deepEqual(ocrMarks.sort(), [
    ['Barack Obama', 'PER'],
    ['Google', 'ORG'],
    ['Paris', 'LOC'],
  ]);
  const lines = await page.$$eval('.image-block[data-image="0"] li[data-ocr-line]', (items) => items.map((li) => li.textContent ?? ''));
  assert.ok(
    lines.some((l) => /visits/.test(l)),
    `OCR lines: ${JSON.stringify(lines)}`,
  );

  // The preview canvas was drawn at the image's size.
  const canvasWidth = await page.$eval('.image-block[data-image="0"] canvas', (c) => (c as HTMLCanvasElement).width);
  assert.ok(canvasWidth > 500, `canvas width ${canvasWidth}`);

  // The broken image shows up as a warning, both in the list and under its image.
  const warnings = await page.$$eval('#warnings li', (items) => items.map((li) => li.textContent ?? ''));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /image 2/);
  assert.match((await page.textContent('.image-block[data-image="1"]')) ?? '', /not read/);

  // The legend counts each configured type.
  const legend = await page.$$eval('#legend .chip', (chips) => chips.map((c) => c.textContent));
  assert.deepEqual(legend, ['PER2', 'LOC2', 'ORG1', 'OTHER0']);

  assert.deepEqual(pageErrors, []);
  if (process.env.EKMM_PAGE_SCREENSHOT) await page.screenshot({ path: process.env.EKMM_PAGE_SCREENSHOT, fullPage: true });
});
