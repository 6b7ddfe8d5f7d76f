// The pure parts of the OCR pipeline, without models: geometry, DB boxes, CTC, spacing, order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convexHull, minAreaRect, rectCorners, type Point, type Quad } from '../../src/ocr/geometry.ts';
import { boxesFromProbabilityMap } from '../../src/ocr/det-postprocess.ts';
import { ctcGreedyDecode } from '../../src/ocr/ctc.ts';
import { mergeSplitWords, restoreEnglishSpaces } from '../../src/ocr/spacing.ts';
import { loadWordCosts } from '../../src/ocr/word-costs.ts';
import { readingOrder } from '../../src/ocr/reading-order.ts';
import type { LineCrop } from '../../src/ocr/crop.ts';

test('minimum-area rectangle of a rotated rectangle recovers its sides', () => {
  const angle = (20 * Math.PI) / 180;
  const pts: Point[] = [];
  for (let u = 0; u <= 100; u += 5)
    for (let v = 0; v <= 20; v += 5)
      pts.push([50 + u * Math.cos(angle) - v * Math.sin(angle), 30 + u * Math.sin(angle) + v * Math.cos(angle)]);
  const r = minAreaRect(convexHull(pts));
  const [long, short] = [Math.max(r.length, r.breadth), Math.min(r.length, r.breadth)];
  assert.ok(Math.abs(long - 100) < 1e-6 && Math.abs(short - 20) < 1e-6, `${long} x ${short}`);
  const [tl, tr, br, bl] = rectCorners(r);
  assert.ok(tl[0] < tr[0] && bl[0] < br[0], 'left corners left of right corners');
  assert.ok(tl[1] < bl[1] && tr[1] < br[1], 'top corners above bottom corners');
});

test('DB post-processing: one box per text blob, grown back by the unclip ratio', () => {
  const w = 200,
    h = 60;
  const prob = new Float32Array(w * h);
  // Two "text" regions as DB would see them (shrunk kernels), one faint blob under box_thresh.
  for (let y = 10; y < 20; y++) for (let x = 20; x < 120; x++) prob[y * w + x] = 0.9;
  for (let y = 35; y < 45; y++) for (let x = 30; x < 90; x++) prob[y * w + x] = 0.8;
  for (let y = 50; y < 56; y++) for (let x = 150; x < 190; x++) prob[y * w + x] = 0.4;
  const boxes = boxesFromProbabilityMap(prob, w, h).sort((a, b) => a.quad[0][1] - b.quad[0][1]);
  assert.equal(boxes.length, 2);
  const [first] = boxes;
  const [tl, tr, , bl] = first!.quad;
  // Pixel centres span 99 x 9; unclip d = 1.5 * 99 * 9 / (2 * 108) = 6.19 on every side.
  assert.ok(Math.abs(tr[0] - tl[0] - (99 + 2 * 6.1875)) < 0.01, `width ${tr[0] - tl[0]}`);
  assert.ok(Math.abs(bl[1] - tl[1] - (9 + 2 * 6.1875)) < 0.01, `height ${bl[1] - tl[1]}`);
  assert.ok(Math.abs(first!.score - 0.9) < 1e-6, 'expected Math.abs(first!.score - 0.9) < 1e-6');
});

test('CTC greedy decoding collapses repeats, drops blanks, keeps timesteps', () => {
  const dict = ['a', 'b', ' '];
  const classes = 4;
  // timesteps: a a _ a b _ _ b
  const seq = [1, 1, 0, 1, 2, 0, 0, 2];
  const probs = new Float32Array(seq.length * classes);
  seq.forEach((c, t) => {
    for (let k = 0; k < classes; k++) probs[t * classes + k] = k === c ? 0.9 : 0.1 / 3;
  });
  const out = ctcGreedyDecode(probs, 0, seq.length, classes, dict);
  assert.equal(out.chars.map((c) => c.char).join(''), 'aabb');
  assert.deepEqual(
    out.chars.map((c) => [c.from, c.to]),
    [
      [0, 1],
      [3, 3],
      [4, 4],
      [7, 7],
    ],
  );
  assert.ok(Math.abs(out.score - 0.9) < 1e-6, 'expected Math.abs(out.score - 0.9) < 1e-6');
  assert.equal(ctcGreedyDecode(probs, 0, seq.length, classes, dict, 4).chars.length, 2, 'padding steps ignored');
});

/** A 48-px strip with ink blocks at the given [from, to) column ranges. */
function stripWithInk(width: number, blocks: [number, number][]): LineCrop {
  const data = new Uint8Array(width * 48).fill(250);
  for (const [a, b] of blocks) for (let y = 12; y < 36; y++) for (let x = a; x < b; x++) data[y * width + x] = 20;
  return { data, rgb: new Uint8Array(width * 48 * 3), width, height: 48 };
}

test('spacing repair: a wide blank run between Latin letters becomes a space, narrow ones do not', () => {
  // "abcde": letters 12 px wide with 2 px gaps, and a 12 px gap after "c" (half the 24 px ink height).
  const blocks: [number, number][] = [
    [0, 12],
    [14, 26],
    [28, 40],
    [52, 64],
    [66, 78],
  ];
  const crop = stripWithInk(90, blocks);
  const stride = 8;
  const chars = blocks.map(([a, b], i) => {
    const t = Math.floor((a + b) / 2 / stride);
    return { char: 'abcde'[i]!, from: t, to: t, prob: 1 };
  });
  assert.equal(restoreEnglishSpaces(chars, crop, stride), 'abc de');
  const han = chars.map((c, i) => ({ ...c, char: '北京大学的'[i]! }));
  assert.equal(restoreEnglishSpaces(han, crop, stride), '北京大学的', 'Chinese text is never spaced');
});

test('reading order: rows top to bottom, left to right within a row', () => {
  const box = (x: number, y: number, w = 100, h = 30): Quad => [
    [x, y],
    [x + w, y],
    [x + w, y + h],
    [x, y + h],
  ];
  const boxes = [box(600, 104), box(20, 200), box(20, 100), box(600, 198), box(300, 400)];
  assert.deepEqual(readingOrder(boxes), [2, 0, 1, 3, 4]);
});

test('spacing repair: splits that leave a non-word are merged back, real word pairs are kept', () => {
  const words = loadWordCosts();
  const merge = (spaced: string): string => mergeSplitWords(spaced, words, spaced.replace(/ /g, ''));
  assert.equal(merge('NASA launches Artemis f rom Cape Canaveral'), 'NASA launches Artemis from Cape Canaveral');
  assert.equal(merge('Heavy rain floods pa rt s of Hong Kong'), 'Heavy rain floods parts of Hong Kong');
  assert.equal(merge('Ext ravaganza567 Daily parade'), 'Extravaganza567 Daily parade');
  assert.equal(merge('opens a new store in New York'), 'opens a new store in New York');
  assert.equal(merge('I would set up my self in to it'), 'I would set up my self in to it');
  // A space the recognizer produced itself is never removed.
  assert.equal(mergeSplitWords('f rom', words, 'f rom'), 'f rom');
});

test('recognition batches: similar widths share a run, a wide line is not padded onto short ones', async () => {
  const { recognitionBatches } = await import('../../src/ocr/pipeline.ts');
  // Short crops all pad to the 320-px minimum: one run for them (at most six per run).
  assert.deepEqual(recognitionBatches([100, 200, 320, 150]), [[0, 3, 1, 2]]);
  assert.deepEqual(recognitionBatches(new Array(8).fill(300)), [
    [0, 1, 2, 3, 4, 5],
    [6, 7],
  ]);
  // The poster case that made recognition 2x slower: 811, 816 and 1500 px padded to 1500.
  assert.deepEqual(recognitionBatches([1500, 811, 816]), [[1, 2], [0]]);
  // Every crop appears exactly once.
  const widths = [900, 40, 2400, 330, 870, 1200, 60, 345];
  const batches = recognitionBatches(widths);
  assert.deepEqual(
    batches.flat().sort((a, b) => a - b),
    widths.map((_, i) => i),
  );
  for (const b of batches) {
    const padded = b.map((i) => Math.max(320, widths[i]!));
    assert.ok(Math.max(...padded) * b.length <= 1.15 * padded.reduce((x, y) => x + y, 0) + 1e-9, `batch ${b} pads too much`);
  }
});
