// The part of an image that holds anything but its background, so the detector can skip the
// empty margins of sparse images (screenshots, posters, drawn text) at the same scale.
import type { RgbImage } from './crop.ts';

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
