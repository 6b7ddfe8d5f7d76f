// The char CNN outside the graph (training/split_char_cnn.py + char-cnn.ts): the convolution's own
// arithmetic, and the committed English models' emissions equal to the graphs that still held it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { projectPath } from '../../src/config/load.ts';
import { CharCnn, CharVectors } from '../../src/recognizers/local/char-cnn.ts';
import { Tagger } from '../../src/recognizers/local/tagger.ts';

interface Parity {
  tokens: string[][];
  knowledge: (string | null)[];
  captions: (string | null)[];
  'ner-en': { text: number[][] };
  'ner-en-knowledge': { text: number[][]; knowledge: number[][] };
}

/** A Conv1d over the ids padded to `C` positions, masked to -1e4 past the token, max-pooled: the graph's way. */
function graphWay(emb: number[][], w: number[][][], bias: number[], padding: number, ids: number[], C: number): number[] {
  const padded = [...ids, ...new Array<number>(C - ids.length).fill(0)];
  const width = w[0]![0]!.length;
  const best = bias.map(() => -Infinity);
  for (let i = 0; i < C; i++) {
    bias.forEach((b, f) => {
      let s = b;
      for (let j = 0; j < width; j++) {
        const c = i + j - padding;
        if (c < 0 || c >= C) continue;
        emb[padded[c]!]!.forEach((e, d) => {
          s += w[f]![d]![j]! * e;
        });
      }
      best[f] = Math.max(best[f]!, i < ids.length ? s : -1e4);
    });
  }
  return ids.length === 0 ? bias.map(() => 0) : best;
}

test('CharCnn: a token vector is the padded, masked, max-pooled convolution, whatever the padding length', () => {
  // small random weights (fixed seed), two kernels of widths 3 and 2 as train.py --char-kernels 3,2 makes
  let seed = 7;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return Math.fround(seed / 2 ** 31 - 0.5);
  };
  const rows = 6;
  const dim = 4;
  const emb = Array.from({ length: rows }, (_, c) => Array.from({ length: dim }, () => (c === 0 ? 0 : rnd())));
  const kernels = [
    { width: 3, padding: 1, filters: 5 },
    { width: 2, padding: 1, filters: 3 },
  ].map((k) => ({
    ...k,
    w: Array.from({ length: k.filters }, () => Array.from({ length: dim }, () => Array.from({ length: k.width }, rnd))),
    bias: Array.from({ length: k.filters }, rnd),
  }));
  const cnn = CharCnn.parse(
    JSON.stringify({
      format: 'ekmm-char-cnn/1',
      masked: -1e4,
      embedding: { rows, dim, data: emb.flat() },
      kernels: kernels.map((k) => ({ width: k.width, padding: k.padding, filters: k.filters, weight: k.w.flat(2), bias: k.bias })),
    }),
    'inline',
  );
  assert.equal(cnn.filters, 8);
  for (const ids of [[], [3], [1, 5], [2, 2, 4, 1, 5, 3, 3]] as number[][]) {
    const out: Float32Array = new Float32Array(cnn.filters + 2);
    cnn.vector(Int32Array.from(ids), ids.length, out, 1);
    assert.equal(out[0], 0, 'nothing written before the offset');
    assert.equal(out[cnn.filters + 1], 0, 'nothing written after the vector');
    for (const C of [Math.max(1, ids.length), ids.length + 3]) {
      const want = kernels.flatMap((k) => graphWay(emb, k.w, k.bias, k.padding, ids, C));
      want.forEach((v, f) => {
        assert.ok(Math.abs(out[1 + f]! - v) < 1e-6, `ids ${ids} padded to ${C}, filter ${f}: ${out[1 + f]} vs ${v}`);
      });
    }
  }
  assert.throws(() => CharCnn.parse('{"format":"ekmm-char-cnn/1"}', 'bad.json'), /bad\.json: invalid char CNN file at masked/);
});

test('English models without the char CNN in the graph: emissions of the graphs that held it, to float rounding', async () => {
  const want = JSON.parse(readFileSync(projectPath('test/local/fixtures/char-cnn-parity.json'), 'utf8')) as Parity;
  const close = (got: Float32Array[], ref: number[][], what: string) => {
    assert.equal(got.length, ref.length);
    got.forEach((g, i) => {
      assert.equal(g.length, ref[i]!.length, `${what}: post ${i} size`);
      g.forEach((v, j) => assert.ok(Math.abs(v - ref[i]![j]!) < 1e-4, `${what}: post ${i} value ${j}: ${v} vs ${ref[i]![j]}`));
    });
  };
  for (const name of ['ner-en', 'ner-en-knowledge'] as const) {
    const t = await Tagger.load(projectPath(`models/${name}`));
    try {
      assert.ok(t.manifest.onnx.inputs.includes('char_features'), `${name} reads char vectors`);
      close(await t.emissions(want.tokens), want[name].text, `${name} text only`);
      if (name === 'ner-en-knowledge')
        close(await t.emissions(want.tokens, want.knowledge, want.captions), want[name].knowledge, `${name} + knowledge`);
    } finally {
      await t.close();
    }
  }
});

test('CharVectors: char ids of the first max chars code points, unknown chars as UNK, then the CNN', () => {
  const cnn = CharCnn.parse(readFileSync(projectPath('models/ner-en/char_cnn.json'), 'utf8'), 'char_cnn.json');
  const lines = readFileSync(projectPath('models/ner-en/chars.txt'), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const chars = new Map(lines.map((c, i) => [c, i]));
  const vectors = new CharVectors(cnn, chars, 20);
  const F = cnn.filters;
  const vec = (token: string) => {
    const out = new Float32Array(F);
    vectors.write(token, out, 0);
    return Array.from(out);
  };
  const direct = (ids: number[]) => {
    const out = new Float32Array(F);
    cnn.vector(Int32Array.from(ids), ids.length, out, 0);
    return Array.from(out);
  };
  assert.deepEqual(vec('Obama'), direct(Array.from('Obama', (c) => chars.get(c)!)));
  assert.notDeepEqual(vec('Obama'), vec('obama'), 'case matters to the CNN');
  assert.ok(!chars.has('\u{13000}'), 'a hieroglyph is not in the chars vocabulary');
  assert.deepEqual(vec('a\u{13000}'), direct([chars.get('a')!, 1]), 'one code point, one UNK id');
  // only the first 20 code points count, as train.py's t[:MAX_CHARS]
  assert.deepEqual(vec(`${'a'.repeat(20)}b`), vec('a'.repeat(20)));
  assert.notDeepEqual(vec(`${'a'.repeat(19)}b`), vec('a'.repeat(20)));
  assert.deepEqual(vec(''), new Array<number>(F).fill(0));
});
