// The O(n log n) merge and alignment must give exactly what the old quadratic versions gave
// (kept in bench/baseline/ for the benchmark): checked on random inputs with many overlaps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeEntities } from '../../src/core/merge.ts';
import { alignEntities, type AlignSource, type TypedName } from '../../src/llm/align.ts';
import { PhraseSearch } from '../../src/llm/phrase-search.ts';
import { mergeEntities as mergeQuadratic } from '../../bench/baseline/merge-quadratic.ts';
import { alignEntities as alignQuadratic } from '../../bench/baseline/align-quadratic.ts';
import type { Entity } from '../../src/core/types.ts';

/** Small deterministic generator (mulberry32), so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomEntities(r: () => number, n: number, backend: string): Entity[] {
  const types = ['PER', 'LOC', 'ORG'];
  return Array.from({ length: n }, () => {
    const start = Math.floor(r() * 60);
    const end = start + Math.floor(r() * 8);
    const source = r() < 0.6 ? 'text' : r() < 0.5 ? 'ocr' : 'caption';
    const e: Entity = { text: 'x', type: types[Math.floor(r() * 3)]!, start, end, source, backend };
    if (source === 'ocr') e.ocrLine = Math.floor(r() * 3);
    if (source === 'caption') e.caption = Math.floor(r() * 2);
    return e;
  });
}

test('mergeEntities matches the quadratic version on random overlapping inputs (both policies)', () => {
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const ranked = Array.from({ length: 1 + Math.floor(r() * 3) }, (_, i) => randomEntities(r, Math.floor(r() * 40), `b${i}`));
    for (const policy of ['first-wins', 'union'] as const) {
      const expected = mergeQuadratic(
        ranked.map((l) => [...l]),
        policy,
      );
      const got = mergeEntities(
        ranked.map((l) => [...l]),
        policy,
      );
      assert.deepEqual(got, expected, `seed ${seed}, ${policy}`);
    }
  }
});

/**
 * How much slower `run(n)` is than `run(n / 8)`, best of five each, with the inputs built before the
 * clock starts (building them allocates as much as the merge, and a GC pause then lands in one
 * size's time only). CPU time of this process, not wall time: on a loaded machine the wall time
 * of the larger run also counts the time slices other processes took (33.9x and 67.6x measured at
 * load 6-8 with the same code). A wall-clock limit would fail on a loaded machine (speed targets live in
 * bench/merge.ts); the ratio does not depend on the machine: about 9-10 for O(n log n), 64 for the
 * old quadratic versions, so a limit of 24 leaves room for a noisy machine on either side.
 */
function growth<T>(make: (n: number) => () => T, run: (input: T) => void, n: number): number {
  const best = (size: number) => {
    let min = Infinity;
    for (let i = 0; i < 5; i++) {
      const input = make(size)();
      const t = process.cpuUsage();
      run(input);
      const used = process.cpuUsage(t);
      min = Math.min(min, used.user + used.system);
    }
    return min;
  };
  best(n / 8); // warm-up: the first run also pays for compiling the merge
  return best(n) / best(n / 8);
}

test('mergeEntities grows as n log n up to 100,000 entities, not quadratically', () => {
  const input = (n: number) => () => {
    const r = rng(7);
    return [randomEntities(r, n / 2, 'a'), randomEntities(r, n / 2, 'b')].map((l) =>
      l.map((e, i) => ({ ...e, start: e.start + i * 10, end: e.end + i * 10 })),
    );
  };
  const ratio = growth(input, (lists) => assert.ok(mergeEntities(lists, 'first-wins').length > 0), 100_000);
  assert.ok(ratio < 24, `8x the entities took ${ratio.toFixed(1)}x the time (quadratic would be ~64x)`);
});

test('PhraseSearch finds every occurrence, overlapping ones included, as indexOf would', () => {
  const r = rng(3);
  const alphabet = 'ab A';
  for (let round = 0; round < 200; round++) {
    const text = Array.from({ length: Math.floor(r() * 40) }, () => alphabet[Math.floor(r() * alphabet.length)]).join('');
    const phrases = [
      ...new Set(
        Array.from({ length: 1 + Math.floor(r() * 6) }, () =>
          Array.from({ length: 1 + Math.floor(r() * 4) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(''),
        ),
      ),
    ];
    const found = new PhraseSearch(phrases).findAll(text);
    phrases.forEach((p, id) => {
      const expected: number[] = [];
      for (let i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + 1)) expected.push(i);
      assert.deepEqual(found.get(id) ?? [], expected, `"${p}" in "${text}"`);
    });
  }
});

test('alignEntities matches the quadratic version: exact, case- and whitespace-insensitive, overlaps, repeats', () => {
  const words = ['New', 'York', 'new', 'york', 'City', 'NewYork', 'Al', 'Alabama', '北京', '大学', 'İstanbul', 'a'];
  for (let seed = 1; seed <= 300; seed++) {
    const r = rng(seed);
    const pick = () => words[Math.floor(r() * words.length)]!;
    const sentence = (n: number) => Array.from({ length: n }, () => pick()).join(r() < 0.7 ? ' ' : '  ');
    const sources: AlignSource[] = [
      { source: 'text', text: sentence(2 + Math.floor(r() * 12)) },
      { source: 'ocr', text: sentence(Math.floor(r() * 5)), ocrLine: 0 },
      { source: 'caption', text: sentence(Math.floor(r() * 5)), caption: 0 },
    ];
    const names: TypedName[] = Array.from({ length: Math.floor(r() * 10) }, () => ({
      text: Array.from({ length: 1 + Math.floor(r() * 2) }, () => pick()).join(r() < 0.5 ? ' ' : ''),
      type: r() < 0.5 ? 'LOC' : 'ORG',
    }));
    const expected = alignQuadratic(names, sources, 'llm');
    const got = alignEntities(names, sources, 'llm');
    assert.deepEqual(got, expected, `seed ${seed}`);
  }
});

test('alignEntities grows as n log n up to 100,000 names over a 1 MB text, not quadratically', () => {
  const input = (n: number) => () => {
    const names: TypedName[] = Array.from({ length: n }, (_, i) => ({ text: `Name${i}`, type: 'PER' }));
    const text = names
      .map((x) => x.text)
      .join(' ')
      .slice(0, n * 10);
    return { names, text, n };
  };
  const ratio = growth(
    input,
    ({ names, text, n }) => {
      const aligned = alignEntities(names, [{ source: 'text', text }], 'llm');
      assert.ok(aligned.entities.length > n * 0.9);
    },
    100_000,
  );
  assert.ok(ratio < 24, `8x the names took ${ratio.toFixed(1)}x the time (quadratic would be ~64x)`);
});
