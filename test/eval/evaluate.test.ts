import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conllevalChunks, STRICT_SCHEMES, strictChunks, InvalidTagError, type Dataset, type Post } from '../../src/data/index.ts';
import { AlignmentError, bootstrapF1, checkAligned, evaluate, pairedBootstrap, quantile, seededRandom } from '../../src/eval/index.ts';

const spans = (chunks: { type: string; start: number; end: number }[]) => chunks.map((c) => `${c.type}:${c.start}-${c.end}`);

test('conlleval chunks: I- after O or after another type opens a chunk', () => {
  assert.deepEqual(spans(conllevalChunks(['O', 'I-PER', 'I-PER', 'O'])), ['PER:1-3']);
  assert.deepEqual(spans(conllevalChunks(['B-PER', 'I-LOC', 'I-LOC'])), ['PER:0-1', 'LOC:1-3']);
  assert.deepEqual(spans(conllevalChunks(['B-PER', 'B-PER', 'I-PER'])), ['PER:0-1', 'PER:1-3']);
  assert.deepEqual(spans(conllevalChunks(['I-ORG'])), ['ORG:0-1']);
  assert.deepEqual(spans(conllevalChunks(['O', 'O'])), []);
  assert.deepEqual(spans(conllevalChunks([])), []);
});

test('conlleval chunks: E- closes and S- is a single-token chunk', () => {
  assert.deepEqual(spans(conllevalChunks(['B-PER', 'E-PER', 'B-PER', 'E-PER'])), ['PER:0-2', 'PER:2-4']);
  assert.deepEqual(spans(conllevalChunks(['S-LOC', 'S-LOC', 'B-ORG', 'I-ORG', 'E-ORG'])), ['LOC:0-1', 'LOC:1-2', 'ORG:2-5']);
  assert.deepEqual(spans(conllevalChunks(['E-PER', 'I-PER'])), ['PER:0-1', 'PER:1-2']);
});

test('strict IOB2: an I- that does not continue a same-type chunk is no entity', () => {
  assert.deepEqual(spans(strictChunks(['O', 'I-PER', 'I-PER'])), []);
  assert.deepEqual(spans(strictChunks(['B-PER', 'I-LOC', 'B-LOC', 'I-LOC'])), ['PER:0-1', 'LOC:2-4']);
  assert.deepEqual(spans(strictChunks(['B-PER', 'I-PER', 'B-PER'])), ['PER:0-2', 'PER:2-3']);
  assert.throws(() => strictChunks(['S-PER']), InvalidTagError);
});

test('strict IOBES: a chunk must close with E- (or be S-)', () => {
  const iobes = STRICT_SCHEMES.IOBES;
  assert.deepEqual(spans(strictChunks(['B-PER', 'E-PER', 'S-LOC'], iobes)), ['PER:0-2', 'LOC:2-3']);
  assert.deepEqual(spans(strictChunks(['B-PER', 'I-PER', 'O'], iobes)), []);
  assert.deepEqual(spans(strictChunks(['B-PER', 'I-PER', 'E-LOC'], iobes)), []);
  assert.deepEqual(spans(strictChunks(['I-PER', 'E-PER'], iobes)), []);
});

test('evaluate: percentages, per-type support, and the modes differ exactly on invalid I- tags', () => {
  const gold = [['B-PER', 'I-PER', 'O', 'I-LOC'], ['B-ORG']];
  const pred = [['B-PER', 'I-PER', 'O', 'B-LOC'], ['B-LOC']];
  const lenient = evaluate(gold, pred, 'conlleval');
  assert.equal(lenient.counts.goldEntities, 3);
  assert.equal(lenient.counts.predEntities, 3);
  assert.equal(lenient.counts.correctEntities, 2);
  assert.ok(Math.abs(lenient.f1 - 200 / 3) < 1e-9, 'expected Math.abs(lenient.f1 - 200 / 3) < 1e-9');
  assert.deepEqual(lenient.perType.LOC, { p: 50, r: 100, f1: 200 / 3, support: 1, predicted: 2, correct: 1 });
  assert.deepEqual(lenient.perType.ORG, { p: 0, r: 0, f1: 0, support: 1, predicted: 0, correct: 0 });
  assert.equal(lenient.accuracy, 60);
  // Strict: the gold I-LOC after O is no entity, so the predicted LOC there is a false positive.
  const strict = evaluate(gold, pred, 'strict');
  assert.equal(strict.counts.goldEntities, 2);
  assert.equal(strict.counts.correctEntities, 1);
  assert.equal(strict.perType.LOC!.support, 0);
  assert.equal(strict.perType.LOC!.p, 0);
});

test('evaluate: perfect, empty and mismatched inputs', () => {
  const perfect = evaluate([['B-PER', 'I-PER']], [['B-PER', 'I-PER']]);
  assert.equal(perfect.f1, 100);
  const empty = evaluate([['O']], [['O']]);
  assert.deepEqual([empty.p, empty.r, empty.f1, Object.keys(empty.perType).length], [0, 0, 0, 0]);
  // A chunk with the right span but the wrong end is wrong in both modes.
  assert.equal(evaluate([['B-PER', 'I-PER']], [['B-PER', 'O']]).counts.correctEntities, 0);
  assert.throws(() => evaluate([['O']], [['O'], ['O']]), /1 posts but pred has 2/);
  assert.throws(() => evaluate([['O', 'O']], [['O']]), /post 1: gold has 2 tags/);
  assert.throws(
    () => evaluate([['O'], ['B-PER']], [['O'], ['S-PER']], 'strict', { scheme: 'IOB2' }),
    /post 2: tag 'S-PER' at token 0 is not allowed in the IOB2 scheme/,
  );
  // IOBES strict is picked automatically when E-/S- tags occur.
  assert.equal(evaluate([['S-PER', 'B-LOC', 'E-LOC']], [['S-PER', 'B-LOC', 'I-LOC']], 'strict').counts.correctEntities, 1);
});

function noisy(gold: string[][], seed: number, rate: number): string[][] {
  const random = seededRandom(seed);
  return gold.map((tags) => tags.map((t) => (random() < rate ? (t === 'O' ? 'B-PER' : 'O') : t)));
}

function syntheticGold(n: number): string[][] {
  const random = seededRandom(7);
  return Array.from({ length: n }, () =>
    Array.from({ length: 12 }, () => {
      const r = random();
      return r < 0.7 ? 'O' : r < 0.85 ? 'B-PER' : 'B-LOC';
    }),
  );
}

test('bootstrap: seeded, reproducible, and the interval brackets the point estimate', () => {
  const gold = syntheticGold(300);
  const pred = noisy(gold, 3, 0.1);
  const point = evaluate(gold, pred).f1;
  const a = bootstrapF1(gold, pred, { samples: 300, seed: 5 });
  const b = bootstrapF1(gold, pred, { samples: 300, seed: 5 });
  assert.deepEqual(a, b);
  const [lo, hi] = a.ci95;
  assert.ok(lo < point && point < hi, `${lo} < ${point} < ${hi}`);
  assert.ok(hi - lo > 0.5 && hi - lo < 20, `width ${hi - lo}`);
  assert.notDeepEqual(bootstrapF1(gold, pred, { samples: 300, seed: 6 }).ci95, a.ci95);
  assert.deepEqual(bootstrapF1(gold, gold, { samples: 50 }).ci95, [100, 100]);
});

test('paired bootstrap: a clearly better system gets a small p, a system against itself p = 1', () => {
  const gold = syntheticGold(300);
  const good = noisy(gold, 3, 0.02);
  const bad = noisy(gold, 4, 0.2);
  const r = pairedBootstrap(gold, good, bad, { samples: 300 });
  assert.ok(r.delta > 10, `delta ${r.delta}`);
  assert.ok(r.p < 0.01, `p ${r.p}`);
  const reversed = pairedBootstrap(gold, bad, good, { samples: 300 });
  assert.ok(reversed.delta < 0 && reversed.p < 0.01, 'expected reversed.delta < 0 && reversed.p < 0.01');
  const same = pairedBootstrap(gold, good, good, { samples: 100 });
  assert.deepEqual([same.delta, same.p], [0, 1]);
});

test('quantile interpolates like numpy', () => {
  assert.equal(quantile([1, 2, 3, 4], 0.5), 2.5);
  assert.equal(quantile([5], 0.975), 5);
});

function ds(file: string, posts: [string, string[]][]): Dataset {
  const list: Post[] = posts.map(([id, tokens], i) => ({ id, tokens, tags: tokens.map(() => 'O'), format: 'twitter', line: i * 3 + 1 }));
  return { file, format: 'twitter', posts: list, issues: [], layout: { eol: '\n', gaps: [], finalEol: true, separator: '\t' } };
}

test('checkAligned names the first differing post and token', () => {
  const gold = ds('g.txt', [
    ['1', ['a', 'b']],
    ['2', ['c', 'd']],
  ]);
  checkAligned(
    gold,
    ds('p.txt', [
      ['1', ['a', 'b']],
      ['2', ['c', 'd']],
    ]),
  );
  assert.throws(
    () =>
      checkAligned(
        gold,
        ds('p.txt', [
          ['1', ['a', 'b']],
          ['2', ['c', 'x']],
        ]),
      ),
    (e: Error) => e instanceof AlignmentError && /post 2 \(gold id '2' at g\.txt:4.*token 2 is 'd' in gold but 'x' in pred/.test(e.message),
  );
  assert.throws(() => checkAligned(gold, ds('p.txt', [['1', ['a', 'b']]])), /g\.txt has 2 posts but p\.txt has 1/);
  assert.throws(
    () =>
      checkAligned(
        gold,
        ds('p.txt', [
          ['1', ['a']],
          ['2', ['c', 'd']],
        ]),
      ),
    /gold has 2 tokens, pred has 1/,
  );
});
