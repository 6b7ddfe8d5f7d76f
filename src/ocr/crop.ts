// Cutting a text box out of the image, straightened, at the recognizer's input height.
import { distance, type Quad } from './geometry.ts';

/** Interleaved 8-bit RGB. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** Grey 8-bit crop at recognizer height; rows of `width` bytes. */
export interface LineCrop {
  data: Uint8Array;
  rgb: Uint8Array;
  width: number;
  height: number;
}

export const REC_HEIGHT = 48;
/** Longest crop fed to the recognizer; longer lines are squeezed (rare: ~40 characters at 48 px). */
export const REC_MAX_WIDTH = 2400;

/** PaddleOCR turns boxes this much taller than wide by 90° (vertical text). */
const VERTICAL_RATIO = 1.5;

/** The quad's corners in reading order (turned when vertical), and the crop's width at REC_HEIGHT. */
function cropGeometry(quad: Quad): { corners: Quad; width: number; srcH: number } {
  let [p0, p1, p2, p3] = quad;
  const w = Math.max(distance(p0, p1), distance(p3, p2));
  const h = Math.max(distance(p0, p3), distance(p1, p2));
  if (h / Math.max(w, 1) >= VERTICAL_RATIO) [p0, p1, p2, p3] = [p1, p2, p3, p0];
  const srcW = Math.max(distance(p0, p1), distance(p3, p2), 1);
  const srcH = Math.max(distance(p0, p3), distance(p1, p2), 1);
  const width = Math.max(8, Math.min(REC_MAX_WIDTH, Math.ceil((REC_HEIGHT * srcW) / srcH)));
  return { corners: [p0, p1, p2, p3], width, srcH };
}

/**
 * The width cropLine(img, quad) will have, without sampling anything: the recognizer's runs are
 * planned (and shared between threads) before any crop is cut.
 */
export function cropWidth(quad: Quad): number {
  return cropGeometry(quad).width;
}

/**
 * Samples the quad (TL, TR, BR, BL) into a REC_HEIGHT-high strip with bilinear corner
 * interpolation; supersampling keeps tall text from aliasing when it is shrunk to 48 px.
 */
export function cropLine(img: RgbImage, quad: Quad): LineCrop {
  const { corners, width, srcH } = cropGeometry(quad);
  const [p0, p1, p2, p3] = corners;
  const height = REC_HEIGHT;
  const k = Math.min(4, Math.max(1, Math.ceil(srcH / height)));
  const rgb = new Uint8Array(width * height * 3);
  const grey = new Uint8Array(width * height);
  // Bilinear sampling inlined, in the same operation order as a per-sample helper would do it
  // (the crop is bit for bit what it was): the helper's calls and per-pixel typed arrays cost
  // about as much as the arithmetic (~30 ms for 10 lines of 900 px).
  const d = img.data;
  const iw = img.width;
  const maxX = img.width - 1;
  const maxY = img.height - 1;
  const n = k * k;
  for (let v = 0; v < height; v++) {
    for (let u = 0; u < width; u++) {
      let acc0 = 0;
      let acc1 = 0;
      let acc2 = 0;
      for (let sy = 0; sy < k; sy++) {
        const t = (v + (sy + 0.5) / k) / height;
        for (let sx = 0; sx < k; sx++) {
          const s = (u + (sx + 0.5) / k) / width;
          const x = (1 - s) * (1 - t) * p0[0] + s * (1 - t) * p1[0] + s * t * p2[0] + (1 - s) * t * p3[0];
          const y = (1 - s) * (1 - t) * p0[1] + s * (1 - t) * p1[1] + s * t * p2[1] + (1 - s) * t * p3[1];
          const xc = Math.min(Math.max(x - 0.5, 0), maxX);
          const yc = Math.min(Math.max(y - 0.5, 0), maxY);
          const x0 = Math.floor(xc);
          const y0 = Math.floor(yc);
          const x1 = Math.min(x0 + 1, maxX);
          const y1 = Math.min(y0 + 1, maxY);
          const fx = xc - x0;
          const fy = yc - y0;
          const i00 = (y0 * iw + x0) * 3;
          const i01 = (y0 * iw + x1) * 3;
          const i10 = (y1 * iw + x0) * 3;
          const i11 = (y1 * iw + x1) * 3;
          acc0 += (d[i00]! * (1 - fx) + d[i01]! * fx) * (1 - fy) + (d[i10]! * (1 - fx) + d[i11]! * fx) * fy;
          acc1 += (d[i00 + 1]! * (1 - fx) + d[i01 + 1]! * fx) * (1 - fy) + (d[i10 + 1]! * (1 - fx) + d[i11 + 1]! * fx) * fy;
          acc2 += (d[i00 + 2]! * (1 - fx) + d[i01 + 2]! * fx) * (1 - fy) + (d[i10 + 2]! * (1 - fx) + d[i11 + 2]! * fx) * fy;
        }
      }
      const o = v * width + u;
      const r = acc0 / n,
        g = acc1 / n,
        b = acc2 / n;
      rgb[o * 3] = r;
      rgb[o * 3 + 1] = g;
      rgb[o * 3 + 2] = b;
      grey[o] = 0.299 * r + 0.587 * g + 0.114 * b;
    }
  }
  return { data: grey, rgb, width, height };
}
