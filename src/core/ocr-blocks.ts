// OCR lines grouped into text blocks from their geometry, so that a name wrapped over lines
// ("Angela" / "Merkel in Berlin" on a poster) is recognized as one entity.
//
// A line continues the block of the line above it when, on the same image and in the same
// script, (1) their heights are similar, (2) the vertical gap between them is small against the
// line height, and (3) they overlap horizontally and are aligned (left, centre or right edges
// close) or overlap over most of the narrower one. Each line continues at most one line above
// and is continued by at most one below (the nearest), so side-by-side columns stay apart.
import type { Box, LanguageCode, OcrBlock, OcrLine } from './types.ts';
import { languageOf } from './language.ts';

export interface BlockRules {
  /** Taller line height / shorter line height, at most. */
  maxHeightRatio: number;
  /** Gap between one line's bottom and the next one's top, at most this many line heights. */
  maxGap: number;
  /** Lines may overlap vertically by at most this many line heights (touching boxes). */
  maxOverlap: number;
  /** Edges count as aligned within this many line heights. */
  alignTolerance: number;
  /** Or: horizontal overlap over at least this fraction of the narrower line. */
  minOverlapFraction: number;
}

// Drawn posters (test/support/draw.ts: line pitch 1.7 x font size) give detector boxes about
// 1.1-1.3 x font size high with gaps of 0.4-0.6 line heights; paragraphs in screenshots run
// tighter. A gap of 1.2 heights keeps those together while a blank line between two blocks
// (gap >= 1.7 heights) separates them.
export const DEFAULT_BLOCK_RULES: BlockRules = {
  maxHeightRatio: 1.6,
  maxGap: 1.2,
  maxOverlap: 0.35,
  alignTolerance: 1.0,
  minOverlapFraction: 0.6,
};

interface Extent {
  top: number;
  bottom: number;
  left: number;
  right: number;
  height: number;
}

function extent(box: Box): Extent {
  const xs = box.map((p) => p[0]);
  const ys = box.map((p) => p[1]);
  const top = Math.min(...ys);
  const bottom = Math.max(...ys);
  return { top, bottom, left: Math.min(...xs), right: Math.max(...xs), height: Math.max(1, bottom - top) };
}

/** How well `below` continues `above` (smaller is better), or undefined when it does not. */
function continuation(above: Extent, below: Extent, rules: BlockRules): number | undefined {
  const h = (above.height + below.height) / 2;
  if (Math.max(above.height, below.height) / Math.min(above.height, below.height) > rules.maxHeightRatio) return undefined;
  const gap = below.top - above.bottom;
  if (gap > rules.maxGap * h || gap < -rules.maxOverlap * h) return undefined;
  const overlap = Math.min(above.right, below.right) - Math.max(above.left, below.left);
  if (overlap <= 0) return undefined;
  const tol = rules.alignTolerance * h;
  const aligned =
    Math.abs(above.left - below.left) <= tol ||
    Math.abs(above.right - below.right) <= tol ||
    Math.abs((above.left + above.right) / 2 - (below.left + below.right) / 2) <= tol;
  const narrower = Math.min(above.right - above.left, below.right - below.left);
  if (!aligned && overlap < rules.minOverlapFraction * narrower) return undefined;
  return gap;
}

/**
 * Groups `lines` (in reading order, possibly from several images) into blocks. Every line is in
 * exactly one block; blocks are in the reading order of their first lines.
 */
export function groupLines(lines: readonly OcrLine[], rules: BlockRules = DEFAULT_BLOCK_RULES): OcrBlock[] {
  const ext = lines.map((l) => extent(l.box));
  const lang: LanguageCode[] = lines.map((l) => l.language ?? languageOf(l.text));
  const next = new Array<number>(lines.length).fill(-1);
  const prev = new Array<number>(lines.length).fill(-1);
  // Candidate links, best (smallest gap) first, each line used at most once on each side.
  const links: Array<{ a: number; b: number; gap: number }> = [];
  for (let a = 0; a < lines.length; a++) {
    for (let b = 0; b < lines.length; b++) {
      if (a === b || lines[a]!.image !== lines[b]!.image || lang[a] !== lang[b]) continue;
      if (ext[b]!.top <= ext[a]!.top) continue;
      const gap = continuation(ext[a]!, ext[b]!, rules);
      if (gap !== undefined) links.push({ a, b, gap });
    }
  }
  links.sort((x, y) => x.gap - y.gap || x.a - y.a || x.b - y.b);
  for (const { a, b } of links) {
    if (next[a] !== -1 || prev[b] !== -1) continue;
    next[a] = b;
    prev[b] = a;
  }
  const blocks: OcrBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (prev[i] !== -1) continue;
    const members: number[] = [];
    for (let k = i; k !== -1; k = next[k]!) members.push(k);
    members.sort((x, y) => x - y);
    blocks.push({ image: lines[i]!.image, lines: members, language: lang[i]! });
  }
  return blocks.sort((x, y) => x.lines[0]! - y.lines[0]!);
}

/** The text of a block as one string (lines joined by '\n') and where each line starts in it. */
export function blockText(block: OcrBlock, lines: readonly OcrLine[]): { text: string; starts: number[] } {
  const starts: number[] = [];
  let text = '';
  for (const i of block.lines) {
    if (starts.length) text += '\n';
    starts.push(text.length);
    text += lines[i]!.text;
  }
  return { text, starts };
}
