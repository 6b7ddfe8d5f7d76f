import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import { createEngine, type Engine } from '../../src/app/engine.ts';
import { blockText, groupLines } from '../../src/core/ocr-blocks.ts';
import type { Box, Entity, OcrLine } from '../../src/core/types.ts';
import { mergeEntities } from '../../src/core/merge.ts';
import { drawPoster } from '../support/draw.ts';
import { OTHER_BLOCK, wrappedCases } from './wrapped-names.ts';

const line = (text: string, left: number, top: number, width: number, height: number, image = 0): OcrLine => {
  const box: Box = [
    [left, top],
    [left + width, top],
    [left + width, top + height],
    [left, top + height],
  ];
  return { image, text, box, score: 0.95 };
};
const groups = (lines: OcrLine[]) => groupLines(lines).map((b) => b.lines);

test('blocks: close, aligned lines of one height join; a blank line, another height, another image or another script splits', () => {
  // A paragraph, left-aligned, then a blank line's gap, then a second paragraph.
  assert.deepEqual(
    groups([line('Angela', 40, 50, 190, 50), line('Merkel visits Berlin', 40, 135, 520, 50), line('Tickets on sale', 40, 330, 400, 50)]),
    [[0, 1], [2]],
  );
  // Centred lines of different widths.
  assert.deepEqual(groups([line('Taylor Swift', 300, 50, 300, 50), line('live', 400, 130, 100, 48)]), [[0, 1]]);
  // A headline twice the height of the text under it.
  assert.deepEqual(groups([line('BIG SALE', 40, 20, 600, 110), line('Paris store', 40, 150, 300, 50)]), [[0], [1]]);
  // Two columns side by side: each column is its own block.
  assert.deepEqual(
    groups([
      line('Left one', 40, 50, 300, 50),
      line('Right one', 600, 50, 300, 50),
      line('Left two', 40, 130, 300, 50),
      line('Right two', 600, 130, 300, 50),
    ]),
    [
      [0, 2],
      [1, 3],
    ],
  );
  // Same place on two images.
  assert.deepEqual(groups([line('Barack', 40, 50, 200, 50, 0), line('Obama', 40, 130, 200, 50, 1)]), [[0], [1]]);
  // A Chinese line under an English one.
  assert.deepEqual(groups([line('Welcome', 40, 50, 200, 50), line('欢迎光临', 40, 130, 200, 50)]), [[0], [1]]);
  // Every line lands in exactly one block.
  const many = Array.from({ length: 30 }, (_, i) => line(`l${i}`, (i % 3) * 400, Math.floor(i / 3) * 80, 300, 50));
  assert.deepEqual(
    groupLines(many)
      .flatMap((b) => b.lines)
      .sort((a, b) => a - b),
    many.map((_, i) => i),
  );
  const { text, starts } = blockText({ image: 0, lines: [0, 1], language: 'en' }, [line('Angela', 0, 0, 1, 1), line('Merkel', 0, 0, 1, 1)]);
  assert.deepEqual([text, starts], ['Angela\nMerkel', [0, 7]]);
});

let engine: Engine | undefined;
after(() => engine?.close());

test('drawn posters, real OCR: a name wrapped over lines is one entity with a span on every line it touches', async () => {
  engine = await createEngine(loadConfig({ overrides: { cache: { enabled: false } } }));
  // One English and one Chinese case of the benchmark's set (bench/wrapped-names.ts runs all).
  const cases = wrappedCases();
  const english = cases.find((c) => c.lines[0] === 'Angela')!;
  const chinese = cases.find((c) => c.lines[0] === '欢迎来到北')!;
  const png = await drawPoster([{ lines: english.lines, anchor: english.anchor }, OTHER_BLOCK]);
  const r = await engine.recognize({ text: '', images: [{ kind: 'bytes', bytes: png }] });
  assert.deepEqual(
    r.ocr.map((l) => [l.text, l.block]),
    [
      ['Angela', 0],
      ['Merkel visits Berlin today', 0],
      ['Tickets on sale now', 1],
    ],
  );
  const merkel = r.entities.find((e) => e.type === 'PER');
  assert.ok(merkel, `no person in ${JSON.stringify(r.entities)}`);
  assert.equal(merkel.text, 'Angela Merkel');
  assert.deepEqual([merkel.ocrLine, merkel.start, merkel.end], [0, 0, 6]);
  assert.deepEqual(merkel.spans, [
    { ocrLine: 0, start: 0, end: 6 },
    { ocrLine: 1, start: 0, end: 6 },
  ]);
  assert.deepEqual(
    r.entities.filter((e) => e.type === 'LOC').map((e) => [e.text, e.spans]),
    [['Berlin', [{ ocrLine: 1, start: 14, end: 20 }]]],
  );

  const zh = await engine.recognize({
    text: '',
    images: [{ kind: 'bytes', bytes: await drawPoster([{ lines: chinese.lines, anchor: chinese.anchor }, OTHER_BLOCK]) }],
  });
  const pku = zh.entities.find((e) => e.text === '北京大学');
  assert.ok(pku, `北京大学 not found whole in ${JSON.stringify(zh.entities)}`);
  assert.deepEqual(pku.spans, [
    { ocrLine: 0, start: 4, end: 5 },
    { ocrLine: 1, start: 0, end: 3 },
  ]);
});

test('merge: a name wrapped over lines blocks lower-ranked entities on any line it touches, and is one duplicate', () => {
  const wrapped: Entity = {
    text: 'Angela Merkel',
    type: 'PER',
    start: 0,
    end: 6,
    source: 'ocr',
    ocrLine: 0,
    backend: 'local',
    spans: [
      { ocrLine: 0, start: 0, end: 6 },
      { ocrLine: 1, start: 0, end: 6 },
    ],
  };
  const onSecondLine: Entity = { text: 'Merkel', type: 'PER', start: 0, end: 6, source: 'ocr', ocrLine: 1, backend: 'llm' };
  const elsewhere: Entity = { text: 'Berlin', type: 'LOC', start: 14, end: 20, source: 'ocr', ocrLine: 1, backend: 'llm' };
  assert.deepEqual(
    mergeEntities([[wrapped], [onSecondLine, elsewhere]], 'first-wins').map((e) => e.text),
    ['Angela Merkel', 'Berlin'],
  );
  assert.deepEqual(mergeEntities([[wrapped], [{ ...wrapped, spans: [...wrapped.spans!] }]], 'union').length, 1);
  assert.equal(mergeEntities([[wrapped], [onSecondLine]], 'union').length, 2);
});
