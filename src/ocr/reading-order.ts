// Reading order: rows top to bottom, boxes within a row left to right.
import type { Quad } from './geometry.ts';

interface Placed {
  top: number;
  bottom: number;
  left: number;
}

function extent(q: Quad): Placed {
  const ys = q.map((p) => p[1]);
  return { top: Math.min(...ys), bottom: Math.max(...ys), left: Math.min(...q.map((p) => p[0])) };
}

/**
 * Returns the indices of `boxes` in reading order. A box joins the current row when its
 * vertical centre lies within the row's first box (so two boxes on one text line, split by a
 * wide gap, read left then right even if one sits a few pixels higher).
 */
export function readingOrder(boxes: Quad[]): number[] {
  const placed = boxes.map(extent);
  const byTop = boxes.map((_, i) => i).sort((a, b) => placed[a]!.top - placed[b]!.top || placed[a]!.left - placed[b]!.left);
  const rows: number[][] = [];
  for (const i of byTop) {
    const p = placed[i]!;
    const centre = (p.top + p.bottom) / 2;
    const row = rows[rows.length - 1];
    const anchor = row ? placed[row[0]!]! : undefined;
    if (row && anchor && centre >= anchor.top && centre <= anchor.bottom) row.push(i);
    else rows.push([i]);
  }
  return rows.flatMap((row) => row.sort((a, b) => placed[a]!.left - placed[b]!.left));
}
