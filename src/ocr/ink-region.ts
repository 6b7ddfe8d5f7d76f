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

/** Whether the pixel at byte offset `o` differs from the background (r, g, b) by more than INK_CONTRAST in a channel. */
function isInk(d: Uint8Array, o: number, r: number, g: number, b: number): boolean {
  return Math.abs(d[o]! - r) > INK_CONTRAST || Math.abs(d[o + 1]! - g) > INK_CONTRAST || Math.abs(d[o + 2]! - b) > INK_CONTRAST;
}

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
      if (isInk(d, o, r, g, b)) {
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
 * says nothing about text. Stops counting as soon as the share is passed (photos are the big images).
 */
export function plainBackground(img: RgbImage): [number, number, number] | undefined {
  const bg = borderColour(img);
  const [r, g, b] = bg;
  // A share needs no fine grid: every SHARE_STEP-th pixel (1/16 of inkOutside's samples).
  const limit = Math.ceil(img.width / SHARE_STEP) * Math.ceil(img.height / SHARE_STEP) * PLAIN_MAX_INK;
  const d = img.data;
  let ink = 0;
  for (let y = 0; y < img.height; y += SHARE_STEP) {
    let o = y * img.width * 3;
    for (let x = 0; x < img.width; x += SHARE_STEP, o += 3 * SHARE_STEP) {
      if (isInk(d, o, r, g, b)) {
        if (++ink > limit) return undefined;
      }
    }
  }
  return ink > 0 ? bg : undefined;
}

/** Text covers a small share of a plain image (the bench's 10 lines: ~8% of the pixels). */
const PLAIN_MAX_INK = 0.35;
const SHARE_STEP = 8;

/**
 * How many sampled ink pixels (every STEP-th row and column) lie outside every quad grown by
 * `tolerance` pixels: ink the detector found no text box for. The quads are first marked on the
 * sample grid, so each ink sample is one lookup (callbacks per sample cost ~8 ms on 1280 x 644).
 */
export function inkOutside(img: RgbImage, background: [number, number, number], quads: Quad[], tolerance: number): number {
  const gw = Math.ceil(img.width / STEP);
  const gh = Math.ceil(img.height / STEP);
  const covered = new Uint8Array(gw * gh);
  for (const q of quads) {
    // Inward unit normals of the four edges (either winding): a point is inside when its signed
    // distance to every edge is at least -tolerance.
    const area = q.reduce((sum, p, i) => sum + p[0] * q[(i + 1) % 4]![1] - q[(i + 1) % 4]![0] * p[1], 0);
    const sign = area >= 0 ? 1 : -1;
    const edges = q.map((p, i) => {
      const n = q[(i + 1) % 4]!;
      const len = Math.hypot(n[0] - p[0], n[1] - p[1]) || 1;
      const nx = (-(n[1] - p[1]) * sign) / len;
      const ny = ((n[0] - p[0]) * sign) / len;
      return [nx, ny, -(nx * p[0] + ny * p[1]) + tolerance] as const;
    });
    const x0 = Math.max(0, Math.ceil((Math.min(...q.map((p) => p[0])) - tolerance) / STEP));
    const x1 = Math.min(gw - 1, Math.floor((Math.max(...q.map((p) => p[0])) + tolerance) / STEP));
    const y0 = Math.max(0, Math.ceil((Math.min(...q.map((p) => p[1])) - tolerance) / STEP));
    const y1 = Math.min(gh - 1, Math.floor((Math.max(...q.map((p) => p[1])) + tolerance) / STEP));
    const [e0, e1, e2, e3] = edges as [(typeof edges)[0], (typeof edges)[0], (typeof edges)[0], (typeof edges)[0]];
    for (let gy = y0; gy <= y1; gy++) {
      const y = gy * STEP;
      for (let gx = x0; gx <= x1; gx++) {
        const x = gx * STEP;
        if (
          e0[0] * x + e0[1] * y + e0[2] >= 0 &&
          e1[0] * x + e1[1] * y + e1[2] >= 0 &&
          e2[0] * x + e2[1] * y + e2[2] >= 0 &&
          e3[0] * x + e3[1] * y + e3[2] >= 0
        )
          covered[gy * gw + gx] = 1;
      }
    }
  }
  const [r, g, b] = background;
  const d = img.data;
  let outside = 0;
  for (let gy = 0; gy < gh; gy++) {
    let o = gy * STEP * img.width * 3;
    for (let gx = 0; gx < gw; gx++, o += 3 * STEP) {
      if (covered[gy * gw + gx]) continue;
      if (isInk(d, o, r, g, b)) outside++;
    }
  }
  return outside;
}
