// DB (Differentiable Binarization) post-processing: probability map -> text boxes.
// Follows PaddleOCR's DBPostProcess: threshold, components, min-area box, box score, unclip.
import { convexHull, minAreaRect, rectCorners, type Point, type Quad } from './geometry.ts';

export interface DbSettings {
  /** Pixel probability above which a pixel is text. */
  thresh: number;
  /** Mean probability a box needs to be kept. */
  boxThresh: number;
  /** How far boxes grow back out: DB shrinks text regions by this ratio during training. */
  unclipRatio: number;
  /** Boxes with a shorter side (in map pixels) are noise. */
  minSize: number;
  maxCandidates: number;
}

export const DB_DEFAULTS: DbSettings = { thresh: 0.3, boxThresh: 0.6, unclipRatio: 1.5, minSize: 3, maxCandidates: 1000 };

export interface DetectedBox {
  quad: Quad;
  score: number;
}

interface Component {
  /** Per row (y): leftmost and rightmost x; enough for the convex hull of a pixel set. */
  rows: Map<number, [number, number]>;
  sum: number;
  count: number;
}

/** 8-connected components of the thresholded map, by iterative flood fill. */
function components(prob: Float32Array, width: number, height: number, thresh: number): Component[] {
  const label = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const out: Component[] = [];
  for (let start = 0; start < prob.length; start++) {
    if (label[start] || prob[start]! <= thresh) continue;
    const comp: Component = { rows: new Map(), sum: 0, count: 0 };
    let top = 0;
    stack[top++] = start;
    label[start] = 1;
    while (top > 0) {
      const idx = stack[--top]!;
      const x = idx % width;
      const y = (idx - x) / width;
      comp.sum += prob[idx]!;
      comp.count++;
      const row = comp.rows.get(y);
      if (!row) comp.rows.set(y, [x, x]);
      else {
        if (x < row[0]) row[0] = x;
        if (x > row[1]) row[1] = x;
      }
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const n = ny * width + nx;
          if (!label[n] && prob[n]! > thresh) {
            label[n] = 1;
            stack[top++] = n;
          }
        }
      }
    }
    out.push(comp);
  }
  return out;
}

/**
 * Boxes in map coordinates. The score is the mean probability over the component's pixels
 * (PaddleOCR's "fast" score uses the box polygon; on clean text the two agree closely).
 */
export function boxesFromProbabilityMap(prob: Float32Array, width: number, height: number, s: DbSettings = DB_DEFAULTS): DetectedBox[] {
  const boxes: DetectedBox[] = [];
  const comps = components(prob, width, height, s.thresh)
    .filter((c) => c.count >= 4)
    .sort((a, b) => b.count - a.count)
    .slice(0, s.maxCandidates);
  for (const c of comps) {
    const score = c.sum / c.count;
    if (score < s.boxThresh) continue;
    const points: Point[] = [];
    for (const [y, [x0, x1]] of c.rows) points.push([x0, y], [x1, y]);
    const rect = minAreaRect(convexHull(points));
    if (Math.min(rect.length, rect.breadth) < s.minSize) continue;
    // Unclip: offset the polygon outwards by area * ratio / perimeter (as pyclipper does for a rectangle).
    const area = rect.length * rect.breadth;
    const perimeter = 2 * (rect.length + rect.breadth);
    const d = perimeter > 0 ? (area * s.unclipRatio) / perimeter : 0;
    const grown = { ...rect, length: rect.length + 2 * d, breadth: rect.breadth + 2 * d };
    if (Math.min(grown.length, grown.breadth) < s.minSize + 2) continue;
    boxes.push({ quad: rectCorners(grown), score });
  }
  return boxes;
}
