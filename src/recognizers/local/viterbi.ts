// CRF decoding outside the ONNX graph: the graph gives per-token emission scores, the manifest
// the transition scores learned with them.

export interface CrfParams {
  /** transitions[i][j]: score of label i followed by label j. */
  transitions: number[][];
  start: number[];
  end: number[];
}

/**
 * Best label path for one sequence. `emissions` holds `length` rows of `labels` scores starting
 * at `offset` (so a row of a batched ONNX output can be decoded in place).
 */
export function viterbi(emissions: Float32Array | number[], length: number, labels: number, crf: CrfParams, offset = 0): number[] {
  if (length === 0) return [];
  let score = new Float64Array(labels);
  for (let j = 0; j < labels; j++) score[j] = crf.start[j]! + emissions[offset + j]!;
  const back = new Int32Array(length * labels);
  let next = new Float64Array(labels);
  for (let t = 1; t < length; t++) {
    const row = offset + t * labels;
    for (let j = 0; j < labels; j++) {
      let best = -Infinity;
      let arg = 0;
      for (let i = 0; i < labels; i++) {
        const s = score[i]! + crf.transitions[i]![j]!;
        if (s > best) {
          best = s;
          arg = i;
        }
      }
      next[j] = best + emissions[row + j]!;
      back[t * labels + j] = arg;
    }
    [score, next] = [next, score];
  }
  let tag = 0;
  let best = -Infinity;
  for (let j = 0; j < labels; j++) {
    const s = score[j]! + crf.end[j]!;
    if (s > best) {
      best = s;
      tag = j;
    }
  }
  const path = new Array<number>(length);
  path[length - 1] = tag;
  for (let t = length - 1; t > 0; t--) {
    tag = back[t * labels + tag]!;
    path[t - 1] = tag;
  }
  return path;
}

/** Total CRF score of a path (used by tests to check decoding against brute force). */
export function pathScore(emissions: ArrayLike<number>, path: readonly number[], labels: number, crf: CrfParams): number {
  if (path.length === 0) return 0;
  let s = crf.start[path[0]!]! + emissions[path[0]!]!;
  for (let t = 1; t < path.length; t++) {
    s += crf.transitions[path[t - 1]!]![path[t]!]! + emissions[t * labels + path[t]!]!;
  }
  return s + crf.end[path[path.length - 1]!]!;
}

export interface Span {
  /** Token indices, end exclusive. */
  start: number;
  end: number;
  type: string;
}

/** Chunks of a BIO tag sequence with conlleval semantics (an I-X after O or another type begins one). */
export function bioSpans(tags: readonly string[]): Span[] {
  const spans: Span[] = [];
  let cur: Span | null = null;
  tags.forEach((tag, i) => {
    const dash = tag.indexOf('-');
    const prefix = dash < 0 ? tag : tag.slice(0, dash);
    const type = dash < 0 ? '' : tag.slice(dash + 1);
    const begins = prefix === 'B' || (prefix === 'I' && (cur === null || cur.type !== type));
    if (cur && (tag === 'O' || begins)) {
      spans.push(cur);
      cur = null;
    }
    if (begins) cur = { start: i, end: i + 1, type };
    else if (cur && prefix === 'I') cur.end = i + 1;
  });
  if (cur) spans.push(cur);
  return spans;
}
