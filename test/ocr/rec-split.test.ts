// PipelineTuning.recSplit: an image's line crops shared between the pipeline's recognizer and one
// in a helper thread (src/ocr/rec-helper.ts). The text read is the same as with one recognizer,
// the helper really runs (its thread exists and is stopped on release), and it is not used where
// the pipeline has only one core to give.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PpOcrPipeline, TUNING_BEFORE, type PipelineTuning, type RawLine } from '../../src/ocr/pipeline.ts';
import { modelFiles } from '../../src/ocr/ppocr.ts';
import { RecHelperClient } from '../../src/ocr/rec-split.ts';
import { chinesePage, englishPages, renderPage } from './corpus.ts';
import { degrade, requireFont } from './render.ts';

const SINGLE: PipelineTuning = { ...TUNING_BEFORE, recBatching: 'single', recEndPad: 16 };

test('crops shared with a helper thread are read exactly as by one recognizer', async () => {
  requireFont('DejaVu Sans');
  const started: RecHelperClient[] = [];
  const original = RecHelperClient.start;
  RecHelperClient.start = async (...args) => {
    const helper = await original.apply(RecHelperClient, args);
    started.push(helper);
    return helper;
  };
  let split: PpOcrPipeline | undefined;
  let one: PpOcrPipeline | undefined;
  try {
    split = await PpOcrPipeline.load(modelFiles('fold'), 2, { ...SINGLE, recSplit: true });
    one = await PpOcrPipeline.load(modelFiles('fold'), 2, SINGLE);
    assert.equal(started.length, 1, 'recSplit with two threads starts one helper');
    const helperRuns: number[] = [];
    const run = started[0]!.run.bind(started[0]!);
    started[0]!.run = (image, runs) => {
      helperRuns.push(runs.length);
      return run(image, runs);
    };
    const page = englishPages()[1]!;
    for (const png of [await renderPage(page), await degrade(await renderPage(page)), await renderPage(chinesePage())]) {
      const a: RawLine[] = await split.run(png, { detMaxSide: 960, englishSpacing: true });
      const b: RawLine[] = await one.run(png, { detMaxSide: 960, englishSpacing: true });
      assert.ok(a.length >= 6, `${a.length} lines`);
      assert.deepEqual(
        a.map((l) => [l.text, l.box]),
        b.map((l) => [l.text, l.box]),
      );
      for (const [i, l] of a.entries()) assert.ok(Math.abs(l.score - b[i]!.score) < 1e-4);
    }
    assert.equal(helperRuns.length, 3, 'every image sent the helper a share');
    assert.ok(
      helperRuns.every((n) => n >= 2),
      `helper shares ${helperRuns.join(', ')}`,
    );
  } finally {
    RecHelperClient.start = original;
    await split?.release();
    await one?.release();
  }
  const pixel = { data: new Uint8Array(new SharedArrayBuffer(3)), width: 1, height: 1 };
  await assert.rejects(started[0]!.run(pixel, []), /recognizer helper|exited|terminated/i, 'released: the helper thread is gone');
});

test('recSplit is not used with one intra-op thread (the OCR workers already share the cores)', async () => {
  const original = RecHelperClient.start;
  let starts = 0;
  RecHelperClient.start = async (...args) => {
    starts++;
    return original.apply(RecHelperClient, args);
  };
  try {
    const p = await PpOcrPipeline.load(modelFiles('fold'), 1, { ...SINGLE, recSplit: true });
    await p.release();
    assert.equal(starts, 0);
  } finally {
    RecHelperClient.start = original;
  }
});
