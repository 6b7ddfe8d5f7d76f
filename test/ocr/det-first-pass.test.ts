// PipelineTuning.detFirstSide (the default): a first detection pass at 480 px on plain
// backgrounds, kept only where its boxes are high enough and hold all the ink. Real PP-OCRv4
// models on images drawn here; the detector's input sizes are recorded to see which passes ran.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type * as ort from 'onnxruntime-node';
import { PpOcrPipeline, TUNING_BEFORE, type PipelineTuning } from '../../src/ocr/pipeline.ts';
import { FIRST_PASS_TUNING, DEFAULT_TUNING, modelFiles } from '../../src/ocr/ppocr.ts';
import { readingOrder } from '../../src/ocr/reading-order.ts';
import { ENGLISH_LINES, englishPages, renderPage } from './corpus.ts';
import { degrade, renderLines, renderText, requireFont } from './render.ts';

let first: PpOcrPipeline;
let full: PpOcrPipeline;
/** Detector input [width, height] of every run of `first`, in order. */
let inputs: number[][] = [];

before(async () => {
  requireFont('DejaVu Sans');
  const one: PipelineTuning = { ...TUNING_BEFORE, recBatching: 'single', recEndPad: 16 };
  first = await PpOcrPipeline.load(modelFiles('fold'), 1, { ...one, detFirstSide: 480 });
  full = await PpOcrPipeline.load(modelFiles('fold'), 1, one);
  // The pipeline's detector session, reached past TypeScript's `private` to watch its runs.
  const det = (first as unknown as { det: ort.InferenceSession }).det;
  const run = det.run.bind(det);
  det.run = ((feeds: ort.InferenceSession.FeedsType, ...rest: []) => {
    const dims = Object.values(feeds)[0]!.dims;
    inputs.push([dims[3]!, dims[2]!]);
    return run(feeds, ...rest);
  }) as typeof det.run;
});
after(async () => {
  await first?.release();
  await full?.release();
});

async function read(p: PpOcrPipeline, png: Buffer): Promise<string> {
  const raw = await p.run(png, { detMaxSide: 960, englishSpacing: true });
  return readingOrder(raw.map((l) => l.box))
    .map((i) => raw[i]!.text)
    .join(' ');
}

test('the default tuning has the first pass', () => {
  assert.equal(DEFAULT_TUNING, FIRST_PASS_TUNING);
  assert.equal(FIRST_PASS_TUNING.detFirstSide, 480);
});

test('large text: the 480 px pass alone, reading what the 960 px pass reads', async () => {
  for (const png of [await renderPage(englishPages()[0]!), await degrade(await renderPage(englishPages()[0]!))]) {
    inputs = [];
    const text = await read(first, png);
    assert.equal(inputs.length, 1, JSON.stringify(inputs));
    assert.equal(Math.max(...inputs[0]!), 480);
    assert.equal(text, await read(full, png));
    assert.equal(text, englishPages()[0]!.lines.join(' '));
  }
});

test('small text: detected again at a larger scale, read right', async () => {
  const lines = ENGLISH_LINES.slice(0, 4);
  const png = await renderLines(1280, lines, { size: 16, font: 'DejaVu Sans', x: 40 });
  inputs = [];
  assert.equal(await read(first, png), lines.join(' '));
  assert.equal(inputs.length, 2, JSON.stringify(inputs));
  assert.ok(Math.max(...inputs[1]!) > 480, JSON.stringify(inputs));
});

test('a small caption under a large title is not lost to the first pass', async () => {
  const png = await renderText(1280, 400, [
    { text: 'Taylor Swift plays Wembley', x: 40, y: 120, size: 80 },
    { text: 'Photo by Angela Merkel in Berlin today', x: 40, y: 300, size: 14 },
  ]);
  inputs = [];
  assert.equal(await read(first, png), 'Taylor Swift plays Wembley Photo by Angela Merkel in Berlin today');
  assert.equal(inputs.length, 2, JSON.stringify(inputs));
});

test('a photo-like image (no plain background) skips the first pass', async () => {
  const { default: sharp } = await import('sharp');
  const width = 1280;
  const height = 480;
  const noise = Buffer.alloc(width * height * 3);
  for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919 + (i >> 7) * 104729) % 256;
  const png = await sharp(noise, { raw: { width, height, channels: 3 } })
    .png()
    .toBuffer();
  inputs = [];
  await read(first, png);
  assert.deepEqual(inputs, [[960, 352]]);
});
