// Bootstrap over posts: a 95% interval for micro F1 and a paired test between two systems.
import { STRICT_SCHEMES } from '../data/bio.ts';
import { microF1, postCounts, type EvalMode } from './score.ts';

export interface BootstrapOptions {
  samples?: number;
  seed?: number;
  mode?: EvalMode;
}

/** mulberry32: small, fast, and the same sequence on every platform for a given seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Totals {
  correct: Int32Array;
  gold: Int32Array;
  pred: Int32Array;
}

function microTotals(gold: readonly (readonly string[])[], pred: readonly (readonly string[])[], mode: EvalMode): Totals {
  if (gold.length !== pred.length) throw new Error(`gold has ${gold.length} posts but pred has ${pred.length}`);
  const n = gold.length;
  const t: Totals = { correct: new Int32Array(n), gold: new Int32Array(n), pred: new Int32Array(n) };
  const hasIobes = [...gold, ...pred].some((tags) => tags.some((x) => x.startsWith('E-') || x.startsWith('S-')));
  const scheme = mode === 'strict' ? STRICT_SCHEMES[hasIobes ? 'IOBES' : 'IOB2'] : undefined;
  gold.forEach((g, i) => {
    const c = postCounts(g, pred[i]!, mode, scheme);
    for (const part of ['correct', 'gold', 'pred'] as const) {
      let s = 0;
      for (const v of Object.values(c[part])) s += v;
      t[part][i] = s;
    }
  });
  return t;
}

/** Linear-interpolated quantile of sorted values (numpy's default). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

function resampleIndices(n: number, random: () => number, out: Int32Array): void {
  for (let i = 0; i < n; i++) out[i] = Math.floor(random() * n);
}

/** Percentile 95% interval of micro F1 (percent) over `samples` resamplings of the posts. */
export function bootstrapF1(
  gold: readonly (readonly string[])[],
  pred: readonly (readonly string[])[],
  options: BootstrapOptions = {},
): { ci95: [number, number]; samples: number; seed: number } {
  const samples = options.samples ?? 1000;
  const seed = options.seed ?? 12345;
  const t = microTotals(gold, pred, options.mode ?? 'conlleval');
  const n = gold.length;
  const random = seededRandom(seed);
  const idx = new Int32Array(n);
  const f1s: number[] = [];
  for (let s = 0; s < samples; s++) {
    resampleIndices(n, random, idx);
    let c = 0,
      g = 0,
      p = 0;
    for (const i of idx) {
      c += t.correct[i]!;
      g += t.gold[i]!;
      p += t.pred[i]!;
    }
    f1s.push(microF1(c, g, p));
  }
  f1s.sort((a, b) => a - b);
  return { ci95: [quantile(f1s, 0.025), quantile(f1s, 0.975)], samples, seed };
}

export interface PairedBootstrapResult {
  f1A: number;
  f1B: number;
  /** f1A - f1B in percentage points on the full data. */
  delta: number;
  /** Share of resamples in which the system that is better on the full data is not better (Koehn 2004). */
  p: number;
  samples: number;
  seed: number;
}

export function pairedBootstrap(
  gold: readonly (readonly string[])[],
  predA: readonly (readonly string[])[],
  predB: readonly (readonly string[])[],
  options: BootstrapOptions = {},
): PairedBootstrapResult {
  const samples = options.samples ?? 1000;
  const seed = options.seed ?? 12345;
  const mode = options.mode ?? 'conlleval';
  const a = microTotals(gold, predA, mode);
  const b = microTotals(gold, predB, mode);
  const total = (t: Totals) => [t.correct, t.gold, t.pred].map((arr) => arr.reduce((x, y) => x + y, 0)) as [number, number, number];
  const f1A = microF1(...total(a));
  const f1B = microF1(...total(b));
  const delta = f1A - f1B;
  const sign = delta >= 0 ? 1 : -1;
  const n = gold.length;
  const random = seededRandom(seed);
  const idx = new Int32Array(n);
  let notBetter = 0;
  for (let s = 0; s < samples; s++) {
    resampleIndices(n, random, idx);
    let ca = 0,
      cb = 0,
      g = 0,
      pa = 0,
      pb = 0;
    for (const i of idx) {
      ca += a.correct[i]!;
      cb += b.correct[i]!;
      g += a.gold[i]!;
      pa += a.pred[i]!;
      pb += b.pred[i]!;
    }
    if (sign * (microF1(ca, g, pa) - microF1(cb, g, pb)) <= 0) notBetter++;
  }
  return { f1A, f1B, delta, p: notBetter / samples, samples, seed };
}
