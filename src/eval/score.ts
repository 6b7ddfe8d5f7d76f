// Entity-level scoring. P/R/F1 are PERCENTAGES (0-100) like conlleval.pl prints them.
import { chunksOf, type Chunk, type ChunkMode } from '../data/chunks.ts';
import { STRICT_SCHEMES, type StrictScheme } from '../data/bio.ts';

export type EvalMode = ChunkMode;

export interface TypeScore {
  /** Precision, recall and F1 in percent. */
  p: number;
  r: number;
  f1: number;
  /** Gold entities of this type. */
  support: number;
  predicted: number;
  correct: number;
}

export interface EvalCounts {
  posts: number;
  tokens: number;
  goldEntities: number;
  predEntities: number;
  correctEntities: number;
  /** Tokens whose predicted tag equals the gold tag. */
  correctTags: number;
}

export interface EvalResult {
  mode: EvalMode;
  /** Micro precision, recall and F1 in percent. */
  p: number;
  r: number;
  f1: number;
  /** Token tag accuracy in percent. */
  accuracy: number;
  perType: Record<string, TypeScore>;
  counts: EvalCounts;
  ci95?: [number, number];
}

export interface EvalOptions {
  /** Strict-mode scheme; IOB2 unless the tags are IOBES. */
  scheme?: StrictScheme['name'];
}

/** Correct / gold / predicted entity counts of one post, per type. */
export interface PostCounts {
  correct: Record<string, number>;
  gold: Record<string, number>;
  pred: Record<string, number>;
}

const key = (c: Chunk) => `${c.start}:${c.end}:${c.type}`;

function bump(rec: Record<string, number>, type: string): void {
  rec[type] = (rec[type] ?? 0) + 1;
}

export function postCounts(gold: readonly string[], pred: readonly string[], mode: EvalMode, scheme?: StrictScheme): PostCounts {
  const g = chunksOf(gold, mode, scheme);
  const p = chunksOf(pred, mode, scheme);
  const counts: PostCounts = { correct: {}, gold: {}, pred: {} };
  const goldKeys = new Set(g.map(key));
  for (const c of g) bump(counts.gold, c.type);
  for (const c of p) {
    bump(counts.pred, c.type);
    if (goldKeys.has(key(c))) bump(counts.correct, c.type);
  }
  return counts;
}

export function percent(num: number, den: number): number {
  return den === 0 ? 0 : (100 * num) / den;
}

export function f1Of(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

/** Micro F1 (percent) from summed counts. */
export function microF1(correct: number, gold: number, pred: number): number {
  return f1Of(percent(correct, pred), percent(correct, gold));
}

function sum(rec: Record<string, number>): number {
  let s = 0;
  for (const v of Object.values(rec)) s += v;
  return s;
}

export function evaluate(
  gold: readonly (readonly string[])[],
  pred: readonly (readonly string[])[],
  mode: EvalMode = 'conlleval',
  options: EvalOptions = {},
): EvalResult {
  if (gold.length !== pred.length) throw new Error(`gold has ${gold.length} posts but pred has ${pred.length}`);
  const scheme = mode === 'strict' ? STRICT_SCHEMES[options.scheme ?? detectStrictScheme(gold, pred)] : undefined;
  const total: PostCounts = { correct: {}, gold: {}, pred: {} };
  let tokens = 0;
  let correctTags = 0;
  gold.forEach((g, i) => {
    const p = pred[i]!;
    if (g.length !== p.length) throw new Error(`post ${i + 1}: gold has ${g.length} tags but pred has ${p.length}`);
    tokens += g.length;
    g.forEach((tag, t) => {
      if (tag === p[t]) correctTags++;
    });
    let c: PostCounts;
    try {
      c = postCounts(g, p, mode, scheme);
    } catch (err) {
      throw new Error(`post ${i + 1}: ${(err as Error).message}`);
    }
    for (const part of ['correct', 'gold', 'pred'] as const) {
      for (const [type, n] of Object.entries(c[part])) total[part][type] = (total[part][type] ?? 0) + n;
    }
  });
  const types = [...new Set([...Object.keys(total.gold), ...Object.keys(total.pred)])].sort();
  const perType: Record<string, TypeScore> = {};
  for (const type of types) {
    const correct = total.correct[type] ?? 0;
    const support = total.gold[type] ?? 0;
    const predicted = total.pred[type] ?? 0;
    const p = percent(correct, predicted);
    const r = percent(correct, support);
    perType[type] = { p, r, f1: f1Of(p, r), support, predicted, correct };
  }
  const counts: EvalCounts = {
    posts: gold.length,
    tokens,
    goldEntities: sum(total.gold),
    predEntities: sum(total.pred),
    correctEntities: sum(total.correct),
    correctTags,
  };
  const p = percent(counts.correctEntities, counts.predEntities);
  const r = percent(counts.correctEntities, counts.goldEntities);
  return { mode, p, r, f1: f1Of(p, r), accuracy: percent(correctTags, tokens), perType, counts };
}

function detectStrictScheme(...sets: readonly (readonly (readonly string[])[])[]): StrictScheme['name'] {
  return sets.some((s) => s.some((tags) => tags.some((t) => t.startsWith('E-') || t.startsWith('S-')))) ? 'IOBES' : 'IOB2';
}
