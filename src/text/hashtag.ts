// Splits a hashtag's body into words: at case and digit boundaries first ("TaylorSwift",
// "NYCMarathon2024"), then one-case runs by the wordsninja frequency list ("taylorswift").
import { loadWordCosts, type WordCosts } from '../ocr/word-costs.ts';

let costs: WordCosts | undefined;
function wordCosts(): WordCosts {
  costs ??= loadWordCosts();
  return costs;
}

/** Pieces of `body` as [offset, length] pairs, in order, covering every character. */
export type Pieces = Array<[number, number]>;

// A boundary before an upper-case letter that follows a lower-case one (camelCase), before the
// last capital of a capital run followed by lower case ("NYCMarathon" -> NYC|Marathon), and
// between letters and digits.
const CASE_BOUNDARY = /(?<=\p{Ll})(?=\p{Lu})|(?<=\p{Lu})(?=\p{Lu}\p{Ll})|(?<=\p{L})(?=\p{N})|(?<=\p{N})(?=\p{L})|_+/gu;

/** Shortest piece the word list may produce: it knows "a", "i", "s"... which would shred names. */
const MIN_LIST_WORD = 2;
/** Runs shorter than this are left whole: "#love", "#nyc". */
const MIN_SPLIT_RUN = 7;

/**
 * Splits one single-case run by minimum total word cost (wordninja's dynamic programme). Only
 * a split into known words, every one at least MIN_LIST_WORD long, is accepted; otherwise the
 * run stays whole (an unknown name is better left alone than cut into syllables).
 */
export function splitByWordList(run: string, list: WordCosts = wordCosts()): number[] | undefined {
  const lower = run.toLowerCase();
  const n = lower.length;
  const best = new Array<number>(n + 1).fill(Number.POSITIVE_INFINITY);
  const from = new Array<number>(n + 1).fill(-1);
  best[0] = 0;
  for (let end = 1; end <= n; end++) {
    for (let start = Math.max(0, end - 20); start <= end - MIN_LIST_WORD; start++) {
      const c = list.cost(lower.slice(start, end));
      if (c === undefined || best[start] === Number.POSITIVE_INFINITY) continue;
      if (best[start]! + c < best[end]!) {
        best[end] = best[start]! + c;
        from[end] = start;
      }
    }
  }
  if (best[n] === Number.POSITIVE_INFINITY) return undefined;
  const lengths: number[] = [];
  for (let end = n; end > 0; end = from[end]!) lengths.unshift(end - from[end]!);
  return lengths.length > 1 ? lengths : undefined;
}

/** Word pieces of a hashtag body (without the '#'); underscores are dropped between pieces. */
export function splitHashtag(body: string): Pieces {
  const pieces: Pieces = [];
  let at = 0;
  const take = (end: number) => {
    if (end > at) pieces.push([at, end - at]);
  };
  for (const m of body.matchAll(CASE_BOUNDARY)) {
    take(m.index);
    at = m.index + m[0].length;
  }
  take(body.length);
  const out: Pieces = [];
  for (const [offset, length] of pieces) {
    const run = body.slice(offset, offset + length);
    const single = run === run.toLowerCase() || run === run.toUpperCase();
    const lengths = single && /^\p{L}+$/u.test(run) && run.length >= MIN_SPLIT_RUN ? splitByWordList(run) : undefined;
    if (!lengths) {
      out.push([offset, length]);
      continue;
    }
    let o = offset;
    for (const l of lengths) {
      out.push([o, l]);
      o += l;
    }
  }
  return out;
}
