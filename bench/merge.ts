// Merge (first-wins, two recognizers) and LLM-answer alignment time against entity count, the
// old quadratic versions (bench/baseline/) and the current ones side by side in one run.
// Run: nice -n 10 npx tsx bench/merge.ts [--max 100000] [--old-budget-ms 20000]
// The old version is skipped at a size once its time at the previous size, scaled by the square of
// the growth, would exceed --old-budget-ms (the projection is printed instead, marked "~").
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { mergeEntities } from '../src/core/merge.ts';
import { alignEntities, type TypedName } from '../src/llm/align.ts';
import type { Entity } from '../src/core/types.ts';
import { mergeEntities as mergeQuadratic } from './baseline/merge-quadratic.ts';
import { alignEntities as alignQuadratic } from './baseline/align-quadratic.ts';

const { values } = parseArgs({
  options: { max: { type: 'string', default: '100000' }, 'old-budget-ms': { type: 'string', default: '20000' } },
});
const MAX = Number(values.max);
const OLD_BUDGET_MS = Number(values['old-budget-ms']);
const SIZES = [100, 1_000, 10_000, 100_000].filter((n) => n <= MAX);

/** A text of n distinct capitalised names separated by filler, like a long chat log. */
function textWith(n: number): { text: string; names: TypedName[]; spans: [number, number][] } {
  const parts: string[] = [];
  const names: TypedName[] = [];
  const spans: [number, number][] = [];
  let at = 0;
  for (let i = 0; i < n; i++) {
    const name = `Person${i} Smith`;
    const filler = i % 3 === 0 ? ' met with ' : ' and ';
    spans.push([at, at + name.length]);
    names.push({ text: name, type: 'PER' });
    parts.push(name, filler);
    at += name.length + filler.length;
  }
  return { text: parts.join(''), names, spans };
}

function entitiesFrom(spans: [number, number][], backend: string, shift: number): Entity[] {
  return spans.map(([s, e]) => ({ text: '', type: 'PER', start: s + shift, end: e + shift, source: 'text' as const, backend }));
}

function time(fn: () => unknown): number {
  const t = performance.now();
  fn();
  return performance.now() - t;
}

interface Row {
  n: number;
  chars: number;
  mergeOld: string;
  mergeNew: string;
  alignOld: string;
  alignNew: string;
}

function runOld(prev: { n: number; ms: number } | undefined, n: number, fn: () => unknown): { cell: string; ms?: number } {
  if (prev) {
    const projected = prev.ms * (n / prev.n) ** 2;
    if (projected > OLD_BUDGET_MS) return { cell: `~${fmt(projected)}` };
  }
  const ms = time(fn);
  return { cell: fmt(ms), ms };
}

function fmt(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(1)} ms`;
}

const rows: Row[] = [];
let prevMerge: { n: number; ms: number } | undefined;
let prevAlign: { n: number; ms: number } | undefined;
for (const n of SIZES) {
  const { text, names, spans } = textWith(n);
  // Two recognizers: the second proposes every span shifted by two units, so each overlaps one kept.
  const ranked = () => [entitiesFrom(spans, 'local', 0), entitiesFrom(spans, 'llm', 2)];
  const mergeNew = time(() => mergeEntities(ranked(), 'first-wins'));
  const mOld = runOld(prevMerge, n, () => mergeQuadratic(ranked(), 'first-wins'));
  if (mOld.ms !== undefined) prevMerge = { n, ms: mOld.ms };
  const sources = [{ source: 'text' as const, text }];
  const alignNew = time(() => alignEntities(names, sources, 'llm'));
  const aOld = runOld(prevAlign, n, () => alignQuadratic(names, sources, 'llm'));
  if (aOld.ms !== undefined) prevAlign = { n, ms: aOld.ms };
  rows.push({ n, chars: text.length, mergeOld: mOld.cell, mergeNew: fmt(mergeNew), alignOld: aOld.cell, alignNew: fmt(alignNew) });
}

console.log(`bench/merge.ts on ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`);
console.log('| entities | text chars | merge old | merge new | align old | align new |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| ${r.n.toLocaleString('en')} | ${r.chars.toLocaleString('en')} | ${r.mergeOld} | ${r.mergeNew} | ${r.alignOld} | ${r.alignNew} |`,
  );
console.log(`~ = projected from the previous size (quadratic), not run: it would exceed --old-budget-ms ${OLD_BUDGET_MS}`);
