// Okapi BM25 over short texts (k1 1.2, b 0.75, Lucene's smoothed idf), with an inverted index
// so a query touches only the documents sharing a term. Small enough to write and test here;
// the maintained npm BM25 packages pull in a whole NLP pipeline for these forty lines.
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/** Lower-cased word terms; URLs dropped; Chinese/Japanese/Korean text one character a term. */
export function terms(text: string): string[] {
  const out: string[] = [];
  for (const m of text
    .replace(/https?:\/\/\S+|www\.\S+/g, ' ')
    .toLowerCase()
    .matchAll(/[\p{L}\p{N}]+/gu)) {
    if (UNSPACED.test(m[0])) for (const ch of m[0]) out.push(ch);
    else out.push(m[0]);
  }
  return out;
}

export class Bm25 {
  private readonly postings = new Map<string, Array<[doc: number, tf: number]>>();
  private readonly lengths: number[];
  private readonly avgLength: number;

  constructor(
    docs: readonly string[],
    private readonly k1 = 1.2,
    private readonly b = 0.75,
  ) {
    this.lengths = docs.map((doc, d) => {
      const tf = new Map<string, number>();
      const list = terms(doc);
      for (const t of list) tf.set(t, (tf.get(t) ?? 0) + 1);
      for (const [t, n] of tf) {
        let p = this.postings.get(t);
        if (!p) this.postings.set(t, (p = []));
        p.push([d, n]);
      }
      return list.length;
    });
    this.avgLength = this.lengths.reduce((s, n) => s + n, 0) / Math.max(1, this.lengths.length);
  }

  get size(): number {
    return this.lengths.length;
  }

  idf(term: string): number {
    const n = this.postings.get(term)?.length ?? 0;
    return Math.log(1 + (this.lengths.length - n + 0.5) / (n + 0.5));
  }

  /** Scores of the documents that share a term with the query (the rest score 0). */
  scores(query: string): Map<number, number> {
    const out = new Map<number, number>();
    for (const term of new Set(terms(query))) {
      const postings = this.postings.get(term);
      if (!postings) continue;
      const idf = this.idf(term);
      for (const [d, tf] of postings) {
        const norm = tf + this.k1 * (1 - this.b + (this.b * this.lengths[d]!) / (this.avgLength || 1));
        out.set(d, (out.get(d) ?? 0) + (idf * tf * (this.k1 + 1)) / norm);
      }
    }
    return out;
  }
}
