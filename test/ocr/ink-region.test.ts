import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inkRegion } from '../../src/ocr/ink-region.ts';
import type { RgbImage } from '../../src/ocr/crop.ts';

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
