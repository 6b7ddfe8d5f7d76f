// Chinese lexicon features: the same rules as training/ekmm_data.py lexicon_features, the lexicon
// file's errors, and the served Chinese model reading them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../src/config/load.ts';
import { tagCommand } from '../../src/cli/tag.ts';
import { Tagger } from '../../src/recognizers/local/tagger.ts';
import {
  LEX_GROUPS,
  LEX_POSITIONS,
  LEX_WIDTH,
  lexiconFeatureNames,
  lexiconFeatures,
  lexiconKey,
  parseLexicon,
} from '../../src/recognizers/local/features.ts';
import { tokenizeChinese } from '../../src/recognizers/local/tokenize.ts';

interface Fixture {
  feature_names: string[];
  lexicon: string[];
  full_lexicon: string;
  full_words: number;
  sentences: { text: string; tokens: string[]; keys: string[]; small: number[][]; full: number[][] }[];
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/lexicon-parity-zh.json', import.meta.url), 'utf8')) as Fixture;
const rows = (flat: Float32Array) =>
  Array.from({ length: flat.length / LEX_WIDTH }, (_, i) => Array.from(flat.subarray(i * LEX_WIDTH, (i + 1) * LEX_WIDTH)));
const col = (group: (typeof LEX_GROUPS)[number], pos: (typeof LEX_POSITIONS)[number]) =>
  LEX_GROUPS.indexOf(group) * LEX_POSITIONS.length + LEX_POSITIONS.indexOf(pos);

test('same tokens, keys and lexicon features as training/ekmm_data.py (fixture from make_parity_fixture.py)', () => {
  assert.deepEqual(lexiconFeatureNames(), fx.feature_names);
  const small = parseLexicon(`${fx.lexicon.join('\n')}\n`, 'fixture');
  const fullPath = projectPath(fx.full_lexicon);
  const full = parseLexicon(readFileSync(fullPath, 'utf8'), fullPath);
  assert.equal(full.words, fx.full_words, 'the fixture was made from this lexicon-zh.tsv');
  for (const s of fx.sentences) {
    assert.deepEqual(
      tokenizeChinese(s.text).map((t) => t.text),
      s.tokens,
      s.text,
    );
    assert.deepEqual(s.tokens.map(lexiconKey), s.keys, s.text);
    assert.deepEqual(rows(lexiconFeatures(s.tokens, small)), s.small, `small lexicon: ${s.text}`);
    assert.deepEqual(rows(lexiconFeatures(s.tokens, full)), s.full, `lexicon-zh.tsv: ${s.text}`);
  }
  // the fixture exercises every column, with both lexicons
  for (const which of ['small', 'full'] as const) {
    const on = fx.feature_names.map((_, j) => fx.sentences.some((s) => s[which].some((r) => r[j] === 1)));
    assert.ok(on.every(Boolean), `${which}: columns never on: ${fx.feature_names.filter((_, j) => !on[j]).join(', ')}`);
  }
});

test('lexicon features: nested and overlapping words, a word in two classes, no single characters', () => {
  const lex = parseLexicon('LOC\t北京\nORG\t北京大学\nWORD\t大学\nWORD\t北京\nPER\t刘德华\n', 'l.tsv');
  assert.equal(lex.words, 4);
  assert.equal(lex.maxLength, 4);
  const f = rows(lexiconFeatures(Array.from('在北京大学'), lex));
  assert.deepEqual(Array.from(f[0]!), new Array(15).fill(0), '在 is in no word');
  const on = (i: number) => fx.feature_names.filter((_, j) => f[i]![j] === 1);
  assert.deepEqual(on(1), ['lex_LOC_B', 'lex_ORG_B', 'lex_ANY_B']);
  assert.deepEqual(on(2), ['lex_LOC_E', 'lex_ORG_M', 'lex_ANY_M', 'lex_ANY_E']);
  assert.deepEqual(on(3), ['lex_ORG_M', 'lex_ANY_B', 'lex_ANY_M']);
  assert.deepEqual(on(4), ['lex_ORG_E', 'lex_ANY_E']);
  assert.equal(f[1]![col('PER', 'B')], 0);
  // a name cut off by the end of the text is no match; Latin letters match lowercased
  assert.deepEqual(rows(lexiconFeatures(Array.from('刘德'), lex)), [new Array(15).fill(0), new Array(15).fill(0)]);
  const latin = parseLexicon('MISC\tnba\n', 'l.tsv');
  assert.equal(rows(lexiconFeatures(Array.from('看NBA'), latin))[1]![col('MISC', 'B')], 1);
});

test('lexicon file: one class and word per line, a clear error naming the file and line otherwise', () => {
  assert.throws(() => parseLexicon('LOC\t北京\nCITY\t上海\n', 'l.tsv'), /l\.tsv:2: expected '<PER\|LOC\|ORG\|MISC\|WORD>\\t/);
  assert.throws(() => parseLexicon('LOC 北京\n', 'l.tsv'), /l\.tsv:1: expected .*got "LOC 北京"/);
  assert.throws(() => parseLexicon('LOC\t京\n', 'l.tsv'), /l\.tsv:1: expected/, 'a single character');
  assert.throws(() => parseLexicon('LOC\t北 京\n', 'l.tsv'), /l\.tsv:1: expected/, 'whitespace');
  assert.throws(() => parseLexicon('MISC\tNBA\n', 'l.tsv'), /l\.tsv:1: expected/, 'not lowercased');
  assert.throws(() => parseLexicon('\n', 'l.tsv'), /l\.tsv: no lexicon words/);
});

const ZH = projectPath('models/ner-zh');
let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ekmm-lexicon-'));
});
after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

/** A copy of the Chinese model directory (the graph linked) without its lexicon file. */
function copyWithoutLexicon(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  for (const f of ['manifest.json', 'words.txt', 'bigrams.txt']) copyFileSync(join(ZH, f), join(dir, f));
  symlinkSync(join(ZH, 'model.onnx'), join(dir, 'model.onnx'));
  return dir;
}

test('served Chinese model: reads the lexicon and tags a place it lists that CMNER train never has', async () => {
  // 日喀则 is LOC in lexicon-zh.tsv and appears nowhere in CMNER train; the lexicon models of seeds
  // 1-3 all tag 日喀则市 here, the model before the lexicon only 日喀
  const zh = await Tagger.load(ZH);
  try {
    assert.equal(zh.manifest.lexicon?.file, 'lexicon.tsv');
    assert.ok(zh.manifest.onnx.inputs.includes('features'));
    assert.deepEqual(zh.manifest.features, lexiconFeatureNames());
    const [tags] = await zh.tag([Array.from('我们到了日喀则市')]);
    assert.deepEqual(tags, ['O', 'O', 'O', 'O', 'B-LOC', 'I-LOC', 'I-LOC', 'I-LOC']);
  } finally {
    await zh.close();
  }
  // the same through `ekmm tag` on a CMNER-format file
  const input = join(tmp, 'in.txt');
  const output = join(tmp, 'out.txt');
  writeFileSync(input, `WID:1\n${Array.from('我们到了日喀则市', (c) => `${c}\tO`).join('\n')}\n`);
  assert.equal(await tagCommand(['--model', ZH, '--input', input, '--output', output]), 0);
  const tagged = readFileSync(output, 'utf8')
    .split('\n')
    .filter((l) => l.includes('\t'))
    .map((l) => l.split('\t')[1]);
  assert.deepEqual(tagged, ['O', 'O', 'O', 'O', 'B-LOC', 'I-LOC', 'I-LOC', 'I-LOC']);
});

test('served Chinese model: a missing or malformed lexicon file is an error naming the file (and line)', async () => {
  const missing = copyWithoutLexicon('missing');
  await assert.rejects(Tagger.load(missing), (err: Error) => {
    assert.match(err.message, /cannot read the lexicon file .*missing\/lexicon\.tsv that .*manifest\.json names/);
    return true;
  });
  const bad = copyWithoutLexicon('bad');
  writeFileSync(join(bad, 'lexicon.tsv'), 'LOC\t北京\nPER\t刘德华\nCITY\t吐鲁番\n');
  await assert.rejects(Tagger.load(bad), /bad\/lexicon\.tsv:3: expected '<PER\|LOC\|ORG\|MISC\|WORD>/);
});
