// Reading-accuracy measures shared by the OCR tests and bench/ocr.ts.

export function editDistance<T>(a: readonly T[], b: readonly T[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** 1 - CER over characters (spaces included), floored at 0. */
export function charAccuracy(truth: string, read: string): number {
  const t = [...truth];
  return t.length === 0 ? (read.length === 0 ? 1 : 0) : Math.max(0, 1 - editDistance(t, [...read]) / t.length);
}

/** 1 - WER over whitespace-separated words, floored at 0: "BarackObama" scores 0 for two words. */
export function wordAccuracy(truth: string, read: string): number {
  const t = truth.split(/\s+/).filter(Boolean);
  const r = read.split(/\s+/).filter(Boolean);
  return t.length === 0 ? (r.length === 0 ? 1 : 0) : Math.max(0, 1 - editDistance(t, r) / t.length);
}

/** Corpus-level accuracies: error counts summed over all pairs, then divided. */
export function corpusAccuracy(pairs: { truth: string; read: string }[]): { char: number; word: number } {
  let ce = 0,
    cn = 0,
    we = 0,
    wn = 0;
  for (const { truth, read } of pairs) {
    ce += editDistance([...truth], [...read]);
    cn += [...truth].length;
    const t = truth.split(/\s+/).filter(Boolean);
    we += editDistance(t, read.split(/\s+/).filter(Boolean));
    wn += t.length;
  }
  return { char: Math.max(0, 1 - ce / Math.max(cn, 1)), word: Math.max(0, 1 - we / Math.max(wn, 1)) };
}
