// CRF decoding: Viterbi must find the same best path as trying every path.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bioSpans, pathScore, viterbi, type CrfParams } from '../../src/recognizers/local/viterbi.ts';

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function allPaths(length: number, labels: number): number[][] {
  if (length === 0) return [[]];
  return allPaths(length - 1, labels).flatMap((p) => Array.from({ length: labels }, (_, l) => [...p, l]));
}

test('viterbi equals brute force on random small problems', () => {
  const rand = lcg(7);
  for (let trial = 0; trial < 200; trial++) {
    const L = 2 + Math.floor(rand() * 3);
    const T = 1 + Math.floor(rand() * 5);
    const r = () => (rand() - 0.5) * 6;
    const crf: CrfParams = {
      transitions: Array.from({ length: L }, () => Array.from({ length: L }, r)),
      start: Array.from({ length: L }, r),
      end: Array.from({ length: L }, r),
    };
    const em = Float32Array.from({ length: T * L }, r);
    let best = -Infinity;
    for (const p of allPaths(T, L)) best = Math.max(best, pathScore(em, p, L, crf));
    const path = viterbi(em, T, L, crf);
    assert.equal(path.length, T);
    assert.ok(Math.abs(pathScore(em, path, L, crf) - best) < 1e-4, `trial ${trial}: viterbi path is not the best`);
  }
});

test('viterbi reads a row of a batched emission tensor at an offset', () => {
  const crf: CrfParams = {
    transitions: [
      [0, -5],
      [-5, 0],
    ],
    start: [0, 0],
    end: [0, 0],
  };
  // two sequences of 3 tokens, 2 labels; the second prefers label 1 throughout
  const em = Float32Array.from([5, 0, 5, 0, 5, 0, 0, 5, 0, 5, 0, 5]);
  assert.deepEqual(viterbi(em, 3, 2, crf, 0), [0, 0, 0]);
  assert.deepEqual(viterbi(em, 3, 2, crf, 6), [1, 1, 1]);
  assert.deepEqual(viterbi(em, 0, 2, crf), []);
});

test('bioSpans follows conlleval: an I- after O or another type opens a chunk', () => {
  assert.deepEqual(bioSpans(['B-PER', 'I-PER', 'O', 'I-LOC', 'I-LOC', 'I-ORG', 'B-ORG', 'B-ORG', 'I-ORG']), [
    { start: 0, end: 2, type: 'PER' },
    { start: 3, end: 5, type: 'LOC' },
    { start: 5, end: 6, type: 'ORG' },
    { start: 6, end: 7, type: 'ORG' },
    { start: 7, end: 9, type: 'ORG' },
  ]);
  assert.deepEqual(bioSpans(['O', 'O']), []);
});
