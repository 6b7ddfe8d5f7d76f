// Knowledge/caption features: the same rules as training/ekmm_data.py, checked on hand-made cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  CASES,
  caseClass,
  FEATURES,
  GAZ_LISTS,
  gazetteerFeatures,
  mapLlmType,
  parseGazetteer,
  matchKey,
  parseEntityList,
  textKeys,
  tokenFeatures,
  wordKey,
} from '../../src/recognizers/local/features.ts';

const KEYWORDS = { PER: ['person', 'player'], LOC: ['location', 'city'], ORG: ['organization', 'team'] };
const col = (name: string) => FEATURES.indexOf(name as (typeof FEATURES)[number]);

test('keys: word key lowercases, maps URLs and digits; match key strips edge punctuation', () => {
  assert.equal(wordKey('Obama'), 'obama');
  assert.equal(wordKey('HTTP://t.co/x'), '<url>');
  assert.equal(wordKey('2015ers'), '0000ers');
  assert.equal(matchKey('#Obama!'), 'obama');
  assert.equal(matchKey("O'Neil,"), "o'neil");
  assert.equal(matchKey('...'), '');
  assert.deepEqual(
    [...textKeys('Zimmerman, (person)Reasoning:The')].sort(),
    ['person', 'person)reasoning:the', 'reasoning', 'the', 'zimmerman'].sort(),
  );
});

test('entity list: numbered items glued together as in the recorded PGIM files', () => {
  const k =
    'Named entities:1. JayKenMinaj (person/handle)2. George Zimmerman (person)3. Tower(location)4. Red Sox (team/organization)5. Swan upping (event)Reasoning:The Tower (city) is ...';
  assert.deepEqual(
    parseEntityList(k, KEYWORDS).map(({ keys, type }) => ({ keys, type })),
    [
      { keys: ['jaykenminaj'], type: 'PER' },
      { keys: ['george', 'zimmerman'], type: 'PER' },
      { keys: ['tower'], type: 'LOC' },
      { keys: ['red', 'sox'], type: 'ORG' },
      { keys: ['swan', 'upping'], type: 'OTHER' },
    ],
  );
  assert.deepEqual([...parseEntityList(k, KEYWORDS)[0]!.typeWords], ['person', 'handle']);
  assert.deepEqual(parseEntityList('no list here', KEYWORDS), []);
  assert.equal(mapLlmType('event/festival', KEYWORDS), 'OTHER');
  assert.equal(mapLlmType('event/organization', KEYWORDS), 'ORG', 'words without a type are skipped');
  assert.equal(mapLlmType('league/organization', KEYWORDS), 'ORG');
});

test('knowledge and caption switch on exactly the features they should', () => {
  const tokens = ['Me', 'and', 'George', 'Zimmerman', 'in', 'Boston', '!'];
  const none = tokenFeatures(tokens, null, null, KEYWORDS);
  assert.ok(
    none.every((row) => row.every((v) => v === 0)),
    'no knowledge, no caption: all zero',
  );

  const k = 'Named entities: 1. George Zimmerman (person) 2. Boston (city) Reasoning: Zimmerman went to Boston with me.';
  const f = tokenFeatures(tokens, k, null, KEYWORDS);
  assert.ok(
    f.every((row) => row[col('knowledge_present')] === 1),
    "expected f.every((row) => row[col('knowledge_present')] === 1)",
  );
  assert.deepEqual(
    f.map((r) => r[col('in_knowledge_text')]),
    [1, 0, 1, 1, 0, 1, 0],
  );
  assert.deepEqual(
    f.map((r) => r[col('listed_span_PER')]),
    [0, 0, 1, 1, 0, 0, 0],
  );
  assert.deepEqual(
    f.map((r) => r[col('listed_span_begin')]),
    [0, 0, 1, 0, 0, 1, 0],
  );
  assert.deepEqual(
    f.map((r) => r[col('listed_span_LOC')]),
    [0, 0, 0, 0, 0, 1, 0],
  );
  assert.deepEqual(
    f.map((r) => r[col('listed_word_PER')]),
    [0, 0, 1, 1, 0, 0, 0],
  );
  assert.ok(
    f.every((row) => row[col('caption_present')] === 0),
    "expected f.every((row) => row[col('caption_present')] === 0)",
  );

  const c = tokenFeatures(tokens, null, 'a man standing in boston harbor', KEYWORDS);
  assert.deepEqual(
    c.map((r) => r[col('in_caption')]),
    [0, 0, 0, 0, 1, 1, 0],
  );
  assert.ok(
    c.every((row) => row[col('caption_present')] === 1 && row[col('knowledge_present')] === 0),
    "expected c.every((row) => row[col('caption_present')] === 1 && row[col('know...",
  );

  // a listed name that is only part of a longer run still marks its words, but not as a span
  const partial = tokenFeatures(['George', 'Washington'], 'Named entities: 1. George Clooney (person)', null, KEYWORDS);
  assert.deepEqual(
    partial.map((r) => [r[col('listed_span_PER')], r[col('listed_word_PER')]]),
    [
      [0, 1],
      [0, 0],
    ],
  );
});

test('same tokens, keys and features as training/ekmm_data.py (fixture from make_parity_fixture.py)', async () => {
  const { readFileSync } = await import('node:fs');
  const { tokenizeEnglish } = await import('../../src/recognizers/local/tokenize.ts');
  const { featureNames } = await import('../../src/recognizers/local/features.ts');
  const fx = JSON.parse(readFileSync(new URL('./fixtures/features-parity.json', import.meta.url), 'utf8')) as {
    type_keywords: Record<string, string[]>;
    type_words: string[];
    feature_names: string[];
    posts: {
      text: string;
      tokens: string[];
      knowledge: string | null;
      caption: string | null;
      word_keys: string[];
      match_keys: string[];
      features: number[][];
      cases: string[];
      gazetteer_features: number[][];
    }[];
    feature_names_case_gazetteer: string[];
    gazetteer: string[];
  };
  assert.deepEqual(featureNames(fx.type_words), fx.feature_names);
  assert.deepEqual(featureNames(fx.type_words, true, true), fx.feature_names_case_gazetteer);
  const gaz = parseGazetteer(`${fx.gazetteer.join('\n')}\n`, 'fixture');
  for (const p of fx.posts) {
    assert.deepEqual(
      tokenizeEnglish(p.text).map((t) => t.text),
      p.tokens,
      p.text,
    );
    assert.deepEqual(p.tokens.map(wordKey), p.word_keys, p.text);
    assert.deepEqual(p.tokens.map(matchKey), p.match_keys, p.text);
    const f = tokenFeatures(p.tokens, p.knowledge, p.caption, fx.type_keywords, fx.type_words);
    assert.deepEqual(
      f.map((row) => Array.from(row)),
      p.features,
      p.text,
    );
    assert.deepEqual(
      p.tokens.map((t) => CASES[caseClass(t)]),
      p.cases,
      p.text,
    );
    const withCase = tokenFeatures(p.tokens, p.knowledge, p.caption, fx.type_keywords, fx.type_words, true);
    assert.deepEqual(
      withCase.map((row) => Array.from(row.slice(0, p.features[0]?.length ?? 0))),
      p.features,
    );
    assert.deepEqual(
      gazetteerFeatures(p.tokens, gaz).map((row) => Array.from(row)),
      p.gazetteer_features,
      p.text,
    );
    // the gazetteer columns come last, after the case columns, and leave the others as they were
    const all = tokenFeatures(p.tokens, p.knowledge, p.caption, fx.type_keywords, fx.type_words, true, gaz);
    assert.deepEqual(
      all.map((row) => Array.from(row.slice(row.length - GAZ_LISTS.length))),
      p.gazetteer_features,
    );
    assert.deepEqual(
      all.map((row) => Array.from(row.slice(0, row.length - GAZ_LISTS.length))),
      withCase.map((row) => Array.from(row)),
    );
  }
  assert.ok(
    fx.posts.some((p) => p.gazetteer_features.some((row) => row.filter((v) => v === 1).length >= 2)),
    'a token in two lists exercised',
  );
  assert.ok(
    fx.posts.some((p) => p.features.some((row) => row.slice(FEATURES.length).some((v) => v === 1))),
    'type-word columns exercised',
  );
});

test('gazetteer file: one list and its keys per line, a clear error naming the line otherwise', () => {
  const gaz = parseGazetteer('city\tnew york\nfirst\tgeorge\n', 'g.tsv');
  assert.equal(gaz.longest.city, 2);
  assert.deepEqual(
    gazetteerFeatures(['George', 'in', 'NEW', 'York', '!'], gaz).map((r) => Array.from(r)),
    [
      [0, 0, 0, 1],
      [0, 0, 0, 0],
      [0, 0, 1, 0],
      [0, 0, 1, 0],
      [0, 0, 0, 0],
    ],
  );
  assert.throws(() => parseGazetteer('city\tnew york\ntown\tbern\n', 'g.tsv'), /g\.tsv:2: expected/);
  assert.throws(() => parseGazetteer('city new york\n', 'g.tsv'), /g\.tsv:1: expected/);
  assert.throws(() => parseGazetteer('city\tnew  york\n', 'g.tsv'), /g\.tsv:1: expected/);
});
