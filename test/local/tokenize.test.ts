// Tokenizers keep exact UTF-16 offsets: every token is the slice of the text it claims to be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tokenizeChinese, tokenizeEnglish } from '../../src/recognizers/local/tokenize.ts';

function assertOffsets(text: string, tokens: { text: string; start: number; end: number }[]): void {
  let last = 0;
  for (const t of tokens) {
    assert.equal(text.slice(t.start, t.end), t.text);
    assert.ok(t.start >= last, 'tokens in order, not overlapping');
    assert.equal(text.slice(last, t.start).trim(), '', 'only whitespace is skipped');
    last = t.end;
  }
  assert.equal(text.slice(last).trim(), '');
}

test('English: tweet-style tokens as in the Twitter datasets', () => {
  const text = "RT @JayKenMinaj_: George Zimmerman's #BlackLivesMatter http://t.co/Z3neVBQ7vF (U.S.) 3.5 😀!";
  const tokens = tokenizeEnglish(text);
  assert.deepEqual(
    tokens.map((t) => t.text),
    [
      'RT',
      '@JayKenMinaj_',
      ':',
      'George',
      'Zimmerman',
      "'",
      's',
      '#BlackLivesMatter',
      'http://t.co/Z3neVBQ7vF',
      '(',
      'U',
      '.',
      'S',
      '.',
      ')',
      '3',
      '.',
      '5',
      '😀',
      '!',
    ],
  );
  assertOffsets(text, tokens);
});

test('English: offsets survive odd whitespace, accents and astral characters', () => {
  const texts = ['  Café\tMüller\n\nin  Zürich ', '𝒜𝒷𝒸 x', 'a\u00a0b', '', '   ', 'Ñandú-Perú… ok?'];
  for (const text of texts) assertOffsets(text, tokenizeEnglish(text));
  assert.deepEqual(
    tokenizeEnglish('Café Müller').map((t) => t.text),
    ['Café', 'Müller'],
  );
});

test('Chinese: one token per character, surrogate pairs kept whole, spaces skipped', () => {
  const text = '我在 北京𠀋 看到 NBA!';
  const tokens = tokenizeChinese(text);
  assert.deepEqual(
    tokens.map((t) => t.text),
    ['我', '在', '北', '京', '𠀋', '看', '到', 'N', 'B', 'A', '!'],
  );
  assertOffsets(text, tokens);
  assert.equal(tokens[4]!.end - tokens[4]!.start, 2);
});
