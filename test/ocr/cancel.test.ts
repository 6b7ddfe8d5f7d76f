// OCR cancellation reaches the worker: a message past its deadline (or whose caller has gone)
// stops its OCR job in the worker thread, so the next message does not wait behind it. Real
// PP-OCRv4 models, a real one-worker pool, images drawn here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import { loadConfig } from '../../src/config/load.ts';
import { PpOcr } from '../../src/ocr/ppocr.ts';
import { createEngine, type AssembledEngine } from '../../src/app/engine.ts';
import type { PreparedImage } from '../../src/core/stages.ts';
import { drawTextLines } from '../support/draw.ts';

const WORDS = ['Barack Obama', 'visits', 'Paris', 'and', 'Berlin', 'with', 'Angela Merkel', 'on', 'Monday', 'morning'];
const LINES = Array.from({ length: 12 }, (_, i) => Array.from({ length: 6 }, (_, j) => WORDS[(i * 3 + j) % WORDS.length]).join(' '));

let bigPng: Buffer;
let smallPng: Buffer;
let big: PreparedImage;
let small: PreparedImage;

async function prepared(png: Buffer, index = 0): Promise<PreparedImage> {
  const meta = await sharp(png).metadata();
  return { index, png, width: meta.width!, height: meta.height!, format: 'png', sha256: `cancel-${index}-${png.length}` };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const config = loadConfig({ skipDefaultFile: true, env: {}, overrides: { ocr: { workers: 1 } } });

let ocr: PpOcr;
before(async () => {
  bigPng = await drawTextLines(LINES, 40);
  smallPng = await drawTextLines(['Hello Paris'], 40);
  big = await prepared(bigPng);
  small = await prepared(smallPng);
  ocr = await PpOcr.create(config.ocr);
  await ocr.readDetailed([small], 'en');
});
after(async () => ocr?.close());

/** How long the small image waits and reads when it arrives 300 ms after the large one started. */
async function nextAfterLarge(options: {
  deadline?: number;
}): Promise<{ nextMs: number; large: Awaited<ReturnType<PpOcr['readDetailed']>> }> {
  const reading = ocr.readDetailed([big], 'en', options);
  await sleep(300);
  const t = performance.now();
  const next = await ocr.readDetailed([small], 'en');
  const nextMs = performance.now() - t;
  assert.match(next.lines[0]!.map((l) => l.text).join(' '), /Hello Paris/);
  return { nextMs, large: await reading };
}

test('a deadline shorter than OCR stops the job in the worker: the next image is read at once (compared with no cancellation)', async () => {
  const without = await nextAfterLarge({});
  assert.equal(without.large.lines[0]!.length, LINES.length, 'uncancelled, every line is read');
  const stoppedBefore = ocr.poolStats().stopped;
  const withCancel = await nextAfterLarge({ deadline: Date.now() + 300 });
  assert.deepEqual(withCancel.large.lines, [[]]);
  assert.equal(withCancel.large.warnings[0]?.code, 'ocr.cancelled', JSON.stringify(withCancel.large.warnings));
  assert.match(withCancel.large.warnings[0]!.message, /^image 1: OCR stopped: the message deadline passed/);
  assert.equal(ocr.poolStats().stopped, stoppedBefore + 1, 'the worker stopped early');
  assert.equal(ocr.poolStats().restarted, 0, 'no worker was terminated');
  assert.ok(
    withCancel.nextMs < without.nextMs / 2,
    `next image after a cancelled one took ${withCancel.nextMs.toFixed(0)} ms, after an uncancelled one ${without.nextMs.toFixed(0)} ms`,
  );
});

test("a caller's abort skips the images still queued and stops the running one", async () => {
  const controller = new AbortController();
  const before = ocr.poolStats();
  const reading = ocr.readDetailed([big, await prepared(bigPng, 1), await prepared(bigPng, 2)], 'en', { signal: controller.signal });
  await sleep(100);
  controller.abort();
  const result = await reading;
  assert.deepEqual(
    result.warnings.map((w) => [w.code, w.image]),
    [
      ['ocr.cancelled', 0],
      ['ocr.cancelled', 1],
      ['ocr.cancelled', 2],
    ],
  );
  assert.match(result.warnings[1]!.message, /OCR skipped: the message was cancelled/);
  const after = ocr.poolStats();
  assert.equal(after.skipped - before.skipped, 2, 'two images never reached the worker');
  // The running one stops at its next step: within one ONNX call, not the whole image.
  const t = Date.now();
  while (ocr.poolStats().busy > 0) {
    assert.ok(Date.now() - t < 5000, 'the worker is free again');
    await sleep(10);
  }
  assert.equal(ocr.poolStats().stopped - before.stopped, 1);
});

test("through the engine: the message deadline reaches the OCR worker, and the next message's OCR runs at once", async () => {
  let probe: PpOcr | undefined;
  const engine: AssembledEngine = await createEngine(
    loadConfig({
      skipDefaultFile: true,
      env: {},
      overrides: {
        ocr: { backend: 'ppocr-probe', workers: 1 },
        cache: { enabled: false },
        recognizer: { backends: ['local'] },
        limits: { deadline: { imagesMs: 600, reserveMs: 200 } },
      },
    }),
    { plugins: [(r) => r.ocr.register('ppocr-probe', async (ctx) => (probe = await PpOcr.create(ctx.config.ocr)))] },
  );
  try {
    await engine.recognize({ text: 'warm up', language: 'en', images: [{ kind: 'bytes', bytes: smallPng }] });
    const t = Date.now();
    const late = await engine.recognize({ text: 'Look at this', language: 'en', images: [{ kind: 'bytes', bytes: bigPng }] });
    assert.ok(Date.now() - t < 3000, `answered after ${Date.now() - t} ms`);
    assert.ok(
      late.warnings.some((w) => w.code === 'ocr.cancelled' || w.code === 'deadline.exceeded'),
      JSON.stringify(late.warnings),
    );
    const next = await engine.recognize(
      { text: 'and this', language: 'en', images: [{ kind: 'bytes', bytes: smallPng }] },
      { deadlineMs: 20_000 },
    );
    assert.match(next.ocr.map((l) => l.text).join(' '), /Hello Paris/);
    const stats = probe!.poolStats();
    assert.equal(stats.stopped + stats.skipped, 1, JSON.stringify(stats));
    assert.equal(stats.restarted, 0);
  } finally {
    await engine.close();
  }
});
