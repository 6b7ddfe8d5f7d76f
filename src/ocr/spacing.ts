// Space repair for English in the Chinese-English recognizer's output.
// The recognizer often emits "BarackObamameets": the spaces are visible in the image but not
// in the CTC output. Each character's CTC timesteps give its x position in the crop; a run of
// ink-free columns between two Latin characters that is wide compared with the text height is
// a word gap, and a space goes back in there.
import type { DecodedChar } from './ctc.ts';
import type { LineCrop } from './crop.ts';
import type { WordCosts } from './word-costs.ts';

// Tuned on 100 rendered Twitter-2015 lines (5 fonts incl. monospace and a CJK font's Latin, 18-44 px;
// 537 true spaces, 1962 letter gaps), blank run / ink height: letter gaps median 0.11, p99 0.25,
// max 0.32 (monospace); word gaps min 0.21, p5 0.33. A fixed cut misfiles 20-40 of them; "at least
// twice this line's median letter gap, and at least 0.2" misfiled 2 spaces and 0 letter gaps.
// Held out (Twitter-2017 lines, clean and degraded, `npx tsx bench/ocr.ts --tweets 150`): word
// accuracy 0.43 -> 0.98 clean, 0.22 -> 0.96 degraded.
/** A word gap is at least this many times the line's median gap between characters... */
export const WORD_GAP_VS_MEDIAN = 2.0;
/** ...and at least this fraction of the ink height. */
export const WORD_GAP_FLOOR = 0.2;
/** Lines with too few gaps to take a median use a fixed cut (best single value on the same data). */
export const WORD_GAP_FIXED = 0.26;
const MIN_GAPS_FOR_MEDIAN = 4;
/**
 * A space between two lower-case pieces is taken back when the joined word is this much cheaper
 * (in -log p) than the two pieces. Splits the gap rule really makes leave a non-word behind and
 * differ by 14-25 ("f rom" 14.5, "pa rt" 16.4); two real words differ by at most ~7 ("my self"
 * 7.2, "be come" 6.0, "set up" 3.4), and those must stay apart.
 */
export const MERGE_MARGIN = 8;
/** A lone letter other than "a"/"I" is no word: "part s" (3.9) merges on this smaller margin. */
export const ORPHAN_LETTER_MARGIN = 3;

const LATIN = /[A-Za-z0-9\u00C0-\u024F.,:;!?'"’)(&%$@#-]/;

function otsu(grey: Uint8Array): number {
  const hist = new Array<number>(256).fill(0);
  for (const v of grey) hist[v]!++;
  const total = grey.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * hist[i]!;
  let sumB = 0,
    wB = 0,
    best = 0,
    thresh = 127;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      thresh = t;
    }
  }
  return thresh;
}

export interface InkProfile {
  /** Ink pixels per column. */
  columns: Int32Array;
  /** Rows spanned by ink (cap height plus descenders, roughly the font size). */
  inkHeight: number;
}

export function inkProfile(crop: LineCrop): InkProfile {
  const t = otsu(crop.data);
  let dark = 0;
  for (const v of crop.data) if (v <= t) dark++;
  // Ink is the minority class: dark text on light ground or light text on dark ground.
  const inkIsDark = dark <= crop.data.length / 2;
  const columns = new Int32Array(crop.width);
  const rows = new Int32Array(crop.height);
  for (let y = 0; y < crop.height; y++) {
    for (let x = 0; x < crop.width; x++) {
      const v = crop.data[y * crop.width + x]!;
      if (inkIsDark ? v <= t : v > t) {
        columns[x]!++;
        rows[y]!++;
      }
    }
  }
  // Rows with a trace of ink (a stray pixel row of a neighbouring line is ignored).
  const minRow = Math.max(1, crop.width * 0.01);
  let top = -1,
    bottom = -1;
  for (let y = 0; y < crop.height; y++) {
    if (rows[y]! >= minRow) {
      if (top < 0) top = y;
      bottom = y;
    }
  }
  return { columns, inkHeight: top < 0 ? crop.height : bottom - top + 1 };
}

/** Longest run of ink-free columns within [from, to). */
export function longestBlankRun(columns: Int32Array, from: number, to: number): number {
  let best = 0,
    run = 0;
  for (let x = Math.max(0, from); x < Math.min(columns.length, to); x++) {
    if (columns[x] === 0) {
      run++;
      if (run > best) best = run;
    } else run = 0;
  }
  return best;
}

/** Blank-run widths between consecutive Latin characters, in units of ink height (for measuring). */
export function gapRatios(chars: DecodedChar[], crop: LineCrop, stride: number): number[] {
  const profile = inkProfile(crop);
  const centre = (c: DecodedChar): number => ((c.from + c.to + 1) / 2) * stride;
  const out: number[] = [];
  for (let i = 0; i + 1 < chars.length; i++) {
    const run = longestBlankRun(profile.columns, Math.floor(centre(chars[i]!)), Math.ceil(centre(chars[i + 1]!)));
    out.push(run / profile.inkHeight);
  }
  return out;
}

// Full-width punctuation the Chinese recognizer likes to emit inside English text.
const FULL_WIDTH: Record<string, string> = {
  '，': ',',
  '：': ':',
  '；': ';',
  '！': '!',
  '？': '?',
  '（': '(',
  '）': ')',
  '“': '"',
  '”': '"',
};
const CJK = /[\u3400-\u9fff\uf900-\ufaff]/;

function median(values: number[]): number {
  const v = [...values].sort((a, b) => a - b);
  return v[Math.floor((v.length - 1) / 2)] ?? 0;
}

export function restoreEnglishSpaces(chars: DecodedChar[], crop: LineCrop, stride: number, words?: WordCosts): string {
  if (!chars.some((c) => /[A-Za-z]/.test(c.char))) return chars.map((c) => c.char).join('');
  const englishLine = !chars.some((c) => CJK.test(c.char));
  const text = chars.map((c) => (englishLine ? (FULL_WIDTH[c.char] ?? c.char) : c.char));
  const gaps = gapRatios(chars, crop, stride);
  const candidate = (i: number): boolean => text[i] !== ' ' && text[i + 1] !== ' ' && LATIN.test(text[i]!) && LATIN.test(text[i + 1]!);
  const latinGaps = gaps.filter((_, i) => candidate(i));
  const cut = latinGaps.length >= MIN_GAPS_FOR_MEDIAN ? Math.max(WORD_GAP_FLOOR, WORD_GAP_VS_MEDIAN * median(latinGaps)) : WORD_GAP_FIXED;
  let out = '';
  for (let i = 0; i < text.length; i++) {
    out += text[i]!;
    if (i + 1 < text.length && candidate(i) && gaps[i]! >= cut) out += ' ';
  }
  return words ? mergeSplitWords(out, words, text.join('')) : out;
}

/**
 * Undoes insertions that split a common lower-case word ("pa rt s" -> "parts"); a space the
 * recognizer itself produced (present in `recognized`) is never touched.
 */
export function mergeSplitWords(spaced: string, words: WordCosts, recognized: string): string {
  const tokens = spaced.split(' ');
  const own = new Set<number>();
  // Character offsets (ignoring spaces) where the recognizer had a space of its own.
  let n = 0;
  for (const ch of recognized) {
    if (ch === ' ') own.add(n);
    else n++;
  }
  const out: string[] = [];
  let offset = 0;
  for (const token of tokens) {
    const prev = out[out.length - 1];
    // Whole left word (capitalised or not), and the letters that start the right piece.
    const left = prev !== undefined && /^[A-Z]?[a-z]+$/.test(prev) ? prev.toLowerCase() : undefined;
    const right = /^[a-z]+/.exec(token)?.[0];
    if (prev !== undefined && left && right && !own.has(offset)) {
      const joined = words.cost(left + right);
      const apart = (words.cost(left) ?? 25) + (words.cost(right) ?? 25);
      const orphan = [left, right].some((piece) => piece.length === 1 && piece !== 'a' && piece !== 'i');
      if (joined !== undefined && joined + (orphan ? ORPHAN_LETTER_MARGIN : MERGE_MARGIN) < apart) {
        out[out.length - 1] = prev + token;
        offset += token.length;
        continue;
      }
    }
    out.push(token);
    offset += token.length;
  }
  return out.join(' ');
}
