import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inkRegion } from '../../src/ocr/ink-region.ts';
import type { RgbImage } from '../../src/ocr/crop.ts';
import type { Quad } from '../../src/ocr/geometry.ts';

function image(width: number, height: number, background: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(background, i * 3);
  return { data, width, height, channels: 3 };
}

function paint(img: RgbImage, x0: number, y0: number, x1: number, y1: number, colour: [number, number, number]): void {
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) img.data.set(colour, (y * img.width + x) * 3);
}

test('the box around dark text on white, grown by the margin', () => {
  const img = image(400, 200, [255, 255, 255]);
  paint(img, 100, 50, 180, 80, [20, 20, 20]);
  const r = inkRegion(img, 10);
  assert.ok(r.x <= 90 && r.x >= 88, `x ${r.x}`);
  assert.ok(r.y <= 40 && r.y >= 38, `y ${r.y}`);
  assert.ok(r.x + r.width >= 190 && r.x + r.width <= 194, `right ${r.x + r.width}`);
  assert.ok(r.y + r.height >= 90 && r.y + r.height <= 94, `bottom ${r.y + r.height}`);
});

test('light text on a dark background counts too; the margin stops at the image edge', () => {
  const img = image(300, 100, [29, 43, 68]);
  paint(img, 2, 10, 60, 30, [245, 245, 245]);
  const r = inkRegion(img, 20);
  assert.equal(r.x, 0);
  assert.equal(r.y, 0);
  assert.ok(r.width >= 80 && r.width <= 84, `width ${r.width}`);
});

test('a blank image, or faint noise below the contrast, keeps the whole image', () => {
  const blank = image(120, 80, [250, 250, 250]);
  assert.deepEqual(inkRegion(blank, 8), { x: 0, y: 0, width: 120, height: 80 });
  paint(blank, 10, 10, 100, 70, [220, 230, 240]);
  assert.deepEqual(inkRegion(blank, 8), { x: 0, y: 0, width: 120, height: 80 });
});

test('a busy photo-like image gives (nearly) the whole image', () => {
  const img = image(200, 100, [0, 0, 0]);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 7919) % 256;
  const r = inkRegion(img, 4);
  assert.ok(r.width >= 196 && r.height >= 96, JSON.stringify(r));
});

test('plainBackground: the border colour for drawn text, undefined for a photo-like or blank image', async () => {
  const { plainBackground } = await import('../../src/ocr/ink-region.ts');
  const img = image(400, 200, [255, 255, 255]);
  paint(img, 100, 50, 180, 80, [20, 20, 20]);
  assert.deepEqual(plainBackground(img), [255, 255, 255]);
  assert.equal(plainBackground(image(100, 50, [9, 9, 9])), undefined, 'no ink at all');
  const photo = image(200, 100, [0, 0, 0]);
  for (let i = 0; i < photo.data.length; i++) photo.data[i] = (i * 7919) % 256;
  assert.equal(plainBackground(photo), undefined);
});

test('inkOutside counts the sampled ink no quad covers, with a tolerance', async () => {
  const { inkOutside } = await import('../../src/ocr/ink-region.ts');
  const img = image(400, 200, [255, 255, 255]);
  paint(img, 100, 50, 180, 80, [20, 20, 20]);
  paint(img, 300, 150, 310, 160, [20, 20, 20]);
  const bg: [number, number, number] = [255, 255, 255];
  const first: Quad = [
    [100, 50],
    [180, 50],
    [180, 80],
    [100, 80],
  ];
  // Every 2nd row and column of the 10 x 10 patch: 25 samples.
  assert.equal(inkOutside(img, bg, [first], 1), 25);
  // The same quad wound the other way round.
  assert.equal(inkOutside(img, bg, [[...first].reverse() as Quad], 1), 25);
  const second: Quad = [
    [301, 151],
    [309, 151],
    [309, 159],
    [301, 159],
  ];
  assert.equal(inkOutside(img, bg, [first, second], 0), 9, 'the rows and columns at 300 and 310 fall outside');
  assert.equal(inkOutside(img, bg, [first, second], 2), 0);
});
