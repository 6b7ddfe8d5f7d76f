// The part of an image that holds anything but its background, so the detector can skip the
// empty margins of sparse images (screenshots, posters, drawn text) at the same scale.
import type { RgbImage } from './crop.ts';
import type { Quad } from './geometry.ts';

export interface Region {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A pixel is ink when one channel differs from the background by more than this (0-255). */
const INK_CONTRAST = 64;
/** Rows and columns sampled: every STEP-th pixel (text strokes are wider than this). */
const STEP = 2;

/** Per-channel median of the pixels on the image's border: the background colour. */
function borderColour(img: RgbImage): [number, number, number] {
  const samples: number[][] = [[], [], []];
  const take = (x: number, y: number): void => {
    const o = (y * img.width + x) * 3;
    for (let c = 0; c < 3; c++) samples[c]!.push(img.data[o + c]!);
  };
  for (let x = 0; x < img.width; x += STEP) {
    take(x, 0);
    take(x, img.height - 1);
  }
  for (let y = 0; y < img.height; y += STEP) {
    take(0, y);
    take(img.width - 1, y);
  }
  return samples.map((s) => s.sort((a, b) => a - b)[s.length >> 1]!) as [number, number, number];
}

/**
 * The bounding box of the ink, grown by `margin` pixels on every side and clipped to the image;
 * the whole image when there is no ink (a blank image keeps its usual path) or when the border
 * is no single colour (a photo: nearly every pixel is "ink" and the box is the image anyway).
 */
export function inkRegion(img: RgbImage, margin: number): Region {
  const full = { x: 0, y: 0, width: img.width, height: img.height };
  const [r, g, b] = borderColour(img);
  let x0 = img.width;
  let y0 = img.height;
  let x1 = -1;
  let y1 = -1;
  const d = img.data;
  for (let y = 0; y < img.height; y += STEP) {
    let o = y * img.width * 3;
    for (let x = 0; x < img.width; x += STEP, o += 3 * STEP) {
      if (Math.abs(d[o]! - r) > INK_CONTRAST || Math.abs(d[o + 1]! - g) > INK_CONTRAST || Math.abs(d[o + 2]! - b) > INK_CONTRAST) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
    }
  }
  if (x1 < 0) return full;
  const left = Math.max(0, x0 - margin);
  const top = Math.max(0, y0 - margin);
  const right = Math.min(img.width, x1 + STEP + margin);
  const bottom = Math.min(img.height, y1 + STEP + margin);
  return { x: left, y: top, width: right - left, height: bottom - top };
}

/**
 * The background colour where the image has a plain one (the border's median, with ink covering
 * under PLAIN_MAX_INK of the image), else undefined: a photo, where ink against the border colour
 * says nothing about text.
 */
export function plainBackground(img: RgbImage): [number, number, number] | undefined {
  const bg = borderColour(img);
  let ink = 0;
  let samples = 0;
  forEachInk(
    img,
    bg,
    () => ink++,
    () => samples++,
  );
  return ink > 0 && ink <= samples * PLAIN_MAX_INK ? bg : undefined;
}

/** Text covers a small share of a plain image (the bench's 10 lines: ~8% of the pixels). */
const PLAIN_MAX_INK = 0.35;

function forEachInk(
  img: RgbImage,
  [r, g, b]: [number, number, number],
  onInk: (x: number, y: number) => void,
  onSample?: () => void,
): void {
  const d = img.data;
  for (let y = 0; y < img.height; y += STEP) {
    let o = y * img.width * 3;
    for (let x = 0; x < img.width; x += STEP, o += 3 * STEP) {
      onSample?.();
      if (Math.abs(d[o]! - r) > INK_CONTRAST || Math.abs(d[o + 1]! - g) > INK_CONTRAST || Math.abs(d[o + 2]! - b) > INK_CONTRAST)
        onInk(x, y);
    }
  }
}

/**
 * How many sampled ink pixels (every STEP-th row and column) lie outside every quad grown by
 * `tolerance` pixels: ink the detector found no text box for.
 */
export function inkOutside(img: RgbImage, background: [number, number, number], quads: Quad[], tolerance: number): number {
  // Each quad as four inward edge normals (unit length) with offsets: a point is inside when its
  // signed distance to every edge is at least -tolerance. Corners are in order, either winding.
  const edges = quads.map((q) => {
    const area = q.reduce((s, p, i) => s + p[0] * q[(i + 1) % 4]![1] - q[(i + 1) % 4]![0] * p[1], 0);
    const sign = area >= 0 ? 1 : -1;
    return q.map((p, i) => {
      const n = q[(i + 1) % 4]!;
      const len = Math.hypot(n[0] - p[0], n[1] - p[1]) || 1;
      const nx = (-(n[1] - p[1]) * sign) / len;
      const ny = ((n[0] - p[0]) * sign) / len;
      return [nx, ny, -(nx * p[0] + ny * p[1])] as const;
    });
  });
  const boxes = quads.map((q) => [
    Math.min(...q.map((p) => p[0])) - tolerance,
    Math.min(...q.map((p) => p[1])) - tolerance,
    Math.max(...q.map((p) => p[0])) + tolerance,
    Math.max(...q.map((p) => p[1])) + tolerance,
  ]);
  let outside = 0;
  forEachInk(img, background, (x, y) => {
    for (let k = 0; k < edges.length; k++) {
      const bb = boxes[k]!;
      if (x < bb[0]! || x > bb[2]! || y < bb[1]! || y > bb[3]!) continue;
      if (edges[k]!.every(([nx, ny, c]) => nx * x + ny * y + c >= -tolerance)) return;
    }
    outside++;
  });
  return outside;
}
