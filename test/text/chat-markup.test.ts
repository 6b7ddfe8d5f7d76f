import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MARKUP_RULES, normalizeChatText, isAllCapsLine } from '../../src/text/chat-markup.ts';
import { splitHashtag } from '../../src/text/hashtag.ts';
import { MappedText } from '../../src/text/offset-map.ts';
import { entityFromView, type TaggingView } from '../../src/recognizers/views.ts';
import { LocalRecognizer } from '../../src/recognizers/local/recognizer.ts';
import { projectPath } from '../../src/config/load.ts';
import type { MessageHints, OcrLine } from '../../src/core/types.ts';
import { languageOf } from '../../src/core/language.ts';

/** Deterministic PRNG (mulberry32) so a failing case can be reproduced from its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Pieces chat text is made of, markup and its broken variants included.
const PIECES = [
  'Taylor',
  'Swift',
  'LONDON',
  'Paris',
  'sooooo',
  'Looooondon',
  'gooood',
  'TAYLOR SWIFT IN LONDON',
  'the',
  'in',
  ' ',
  ' ',
  '  ',
  '\n',
  '\t',
  '#TaylorSwift',
  '#worldcupfinal',
  '#NYCMarathon2024',
  '#',
  '##x',
  '#_a',
  '@taylorswift13',
  '@',
  '@everyone',
  '@here',
  '<@123>',
  '<@!456>',
  '<@&789>',
  '<#555>',
  '<:pog:998877>',
  '<a:dance:42>',
  '<t:1700000000:R>',
  '<@',
  '<#>',
  '<:x:>',
  '>',
  '<',
  'https://t.co/abc',
  'www.example.com/x?y=1',
  '<https://x.org>',
  '😍',
  '🏃‍♂️',
  '🇬🇧',
  '1️⃣',
  '©',
  '👍🏽',
  '北京',
  '上海欢迎你',
  '哈哈哈哈',
  '习近平',
  '·',
  '𝐁𝐨𝐥𝐝',
  '𝒶𝒶𝒶𝒶',
  'é',
  'e\u0301',
  'İSTANBUL',
  'ǅ',
  'ß',
  'ﬁ',
  '!!!',
  '...',
  ',',
  '-',
  "'s",
  '123',
];

function randomText(rand: () => number): string {
  const n = 1 + Math.floor(rand() * 14);
  let s = '';
  for (let i = 0; i < n; i++) s += PIECES[Math.floor(rand() * PIECES.length)]!;
  return s;
}

function randomHints(rand: () => number, text: string): MessageHints {
  const mentions = [
    { kind: 'user' as const, id: '123', name: 'Serena Williams' },
    { kind: 'user' as const, id: '456', name: '' },
    { kind: 'role' as const, id: '789', name: 'Moderators' },
    { kind: 'channel' as const, id: '555', name: 'berlin-news' },
  ].filter(() => rand() < 0.6);
  const spans = Array.from({ length: Math.floor(rand() * 3) }, () => {
    const a = Math.floor(rand() * (text.length + 2)) - 1;
    const b = a + Math.floor(rand() * 8) - 1;
    return { kind: rand() < 0.5 ? ('mention' as const) : ('text_mention' as const), start: a, end: b };
  });
  return { mentions, spans };
}

const isLowSurrogate = (s: string, i: number) =>
  i > 0 && i < s.length && /[\uDC00-\uDFFF]/.test(s[i]!) && /[\uD800-\uDBFF]/.test(s[i - 1]!);

test('property: every span of the normalised view maps back to a raw span whose slice is the entity text', () => {
  for (let seed = 1; seed <= 1500; seed++) {
    const rand = prng(seed);
    const raw = randomText(rand);
    const mapped = normalizeChatText(raw, { hints: randomHints(rand, raw) });
    const view: TaggingView = { source: 'text', language: 'en', mapped };
    const n = mapped.view.length;
    let lastStart = 0;
    let lastEnd = 0;
    for (let i = 0; i < n; i++) {
      const r = mapped.toRaw(i, i + 1);
      assert.ok(r.start >= lastStart && r.end >= lastEnd, `seed ${seed}: map not monotonic at view unit ${i} of ${JSON.stringify(raw)}`);
      lastStart = r.start;
      lastEnd = r.end;
    }
    for (let k = 0; k < 40 && n > 0; k++) {
      const s = Math.floor(rand() * n);
      const e = s + 1 + Math.floor(rand() * (n - s));
      const r = mapped.toRaw(s, e);
      const where = `seed ${seed}, view [${s}, ${e}) of ${JSON.stringify(mapped.view)} from ${JSON.stringify(raw)}`;
      assert.ok(r.start >= 0 && r.start <= r.end && r.end <= raw.length, where);
      assert.ok(!isLowSurrogate(raw, r.start) && !isLowSurrogate(raw, r.end), `${where}: splits a surrogate pair`);
      const entity = entityFromView(view, s, e, 'PER', 'test', []);
      if (!entity) {
        assert.ok(r.start === r.end || mapped.cutsWhole(s, e), `${where}: a non-empty raw span gave no entity`);
        continue;
      }
      assert.equal(raw.slice(entity.start, entity.end), entity.text, where);
    }
  }
});

const recognizer = new LocalRecognizer({
  models: { en: projectPath('models/ner-en'), zh: projectPath('models/ner-zh') },
  tagOcr: true,
  tagCaptions: true,
  typeAliases: { MISC: 'OTHER' },
  entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
});

test('property: the local recognizer over random chat text, OCR lines and captions reports text.slice(start, end) === entity.text, always', async () => {
  const box = (y: number): OcrLine['box'] => [
    [10, y],
    [400, y],
    [400, y + 40],
    [10, y + 40],
  ];
  const inputs = Array.from({ length: 300 }, (_, seed) => {
    const rand = prng(10_000 + seed);
    const text = randomText(rand);
    const ocr: OcrLine[] = Array.from({ length: Math.floor(rand() * 4) }, (_, k) => ({
      image: 0,
      text: randomText(rand),
      box: box(k * 60),
      score: 0.9,
    }));
    return {
      text,
      language: 'en' as const,
      ocr,
      captions: [{ image: 0, text: randomText(rand), backend: 'recorded' }],
      hints: randomHints(rand, text),
    };
  });
  // Plus names that certainly tag, so the property is checked on many real entities.
  inputs.push({
    text: 'OMG #TaylorSwift in Looooondon with <@123> 😍 <:pog:1>',
    language: 'en',
    ocr: [],
    captions: [],
    hints: { mentions: [{ kind: 'user', id: '123', name: 'Serena Williams' }], spans: [] },
  });
  const outputs = await recognizer.recognize(inputs);
  let checked = 0;
  outputs.forEach((out, i) => {
    const input = inputs[i]!;
    for (const e of out.entities) {
      checked++;
      const where = `input ${i} ${JSON.stringify(e)}`;
      if (e.source === 'text') assert.equal(input.text.slice(e.start, e.end), e.text, where);
      if (e.source === 'caption') assert.equal(input.captions[e.caption!]!.text.slice(e.start, e.end), e.text, where);
      if (e.source === 'ocr') {
        const spans = e.spans!;
        assert.deepEqual([spans[0]!.ocrLine, spans[0]!.start, spans[0]!.end], [e.ocrLine, e.start, e.end], where);
        for (const sp of spans) assert.ok(sp.start < sp.end && sp.end <= input.ocr[sp.ocrLine]!.text.length, where);
        const joiner = languageOf(input.ocr[spans[0]!.ocrLine]!.text) === 'zh' ? '' : ' ';
        assert.equal(spans.map((sp) => input.ocr[sp.ocrLine]!.text.slice(sp.start, sp.end)).join(joiner), e.text, where);
      }
    }
  });
  assert.ok(checked >= 50, `only ${checked} entities were produced; the property needs real ones`);
});

test('hashtags: split at case and digit boundaries, then by the word list; short or unknown runs stay whole', () => {
  const words = (body: string) => splitHashtag(body).map(([o, l]) => body.slice(o, o + l));
  assert.deepEqual(words('TaylorSwift'), ['Taylor', 'Swift']);
  assert.deepEqual(words('NYCMarathon2024'), ['NYC', 'Marathon', '2024']);
  assert.deepEqual(words('taylorswift'), ['taylor', 'swift']);
  assert.deepEqual(words('BLACK_LIVES_MATTER'), ['BLACK', 'LIVES', 'MATTER']);
  assert.deepEqual(words('love'), ['love']);
  assert.deepEqual(words('qzxvbnmkl'), ['qzxvbnmkl']);
});

test('markup: each rule with its exact view and the way back', () => {
  const hints: MessageHints = {
    mentions: [
      { kind: 'user', id: '123', name: 'Serena Williams' },
      { kind: 'channel', id: '555', name: 'berlin-news' },
    ],
  };
  const cases: Array<[string, string]> = [
    ['#TaylorSwift tonight', ' Taylor Swift tonight'],
    ['hi <@123> and <@!9>', 'hi Serena Williams and @9'],
    ['role <@&77> in <#555>', 'role @77 in berlin-news'],
    ['gg <:pog:998877> <a:dance:42> ok', 'gg     ok'],
    ['see https://t.co/abc now', 'see   now'],
    ['so happy 😍🇬🇧 yes', 'so happy   yes'],
    ['@everyone read this @taylorswift13', '  read this @taylorswift13'],
    ['sooooo gooood in Looooondon', 'soo good in London'],
    ['BARACK OBAMA ARRIVES IN THE USA', 'Barack Obama Arrives in the USA'],
    ['Meet BTS in Seoul', 'Meet BTS in Seoul'],
    ['上海欢迎你哈哈哈哈', '上海欢迎你哈哈哈哈'],
  ];
  for (const [raw, view] of cases) assert.equal(normalizeChatText(raw, { hints, rules: MARKUP_RULES }).view, view, raw);
  // By default URLs stay (the Twitter models saw them); only Discord's embed guard goes.
  assert.equal(normalizeChatText('see https://t.co/abc and <https://x.org/a> now').view, 'see https://t.co/abc and  https://x.org/a  now');
  const m = normalizeChatText('hi <@123>!', { hints });
  assert.deepEqual(m.toRaw(3, 10), { start: 3, end: 9 }); // "Serena" stands for the whole mention
  assert.ok(m.showsView(3, 18));
  const e = normalizeChatText('in Looooondon!');
  assert.equal(e.view, 'in London!');
  assert.deepEqual(e.toRaw(3, 9), { start: 3, end: 13 });
  // A hashtag names one thing or none: an entity takes all of its words or none of them.
  const tag = normalizeChatText('go #BlackhawksRally now');
  const at = tag.view.indexOf('Blackhawks');
  assert.ok(tag.cutsWhole(at, at + 'Blackhawks'.length));
  assert.ok(!tag.cutsWhole(at, at + 'Blackhawks Rally'.length));
  assert.equal(isAllCapsLine('OK'), false);
  assert.equal(isAllCapsLine('GAME OVER 2024!'), true);
});

test('markup: spans the platform marked are copied untouched', () => {
  const raw = 'thanks SOOOO much JOHN SMITH';
  const m = normalizeChatText(raw, { hints: { spans: [{ kind: 'text_mention', start: 18, end: 28 }] } });
  assert.ok(m.view.endsWith('JOHN SMITH'), m.view);
  assert.equal(MappedText.identity(raw).view, raw);
});

test('the tagger reads the normalised view: hashtag, resolved mention, elongation and ALL CAPS names are found on the raw text', async () => {
  const text = 'OMG #TaylorSwift is in Looooondon with <@123> 😍 <:pog:998877>';
  const caps = 'BREAKING: BARACK OBAMA ARRIVES IN BERLIN';
  const hints: MessageHints = { mentions: [{ kind: 'user', id: '123', name: 'Serena Williams' }] };
  const [a, b] = await recognizer.recognize([
    { text, language: 'en', ocr: [], captions: [], hints },
    { text: caps, language: 'en', ocr: [], captions: [] },
  ]);
  const shown = (out: typeof a) => out!.entities.map((e) => [e.type, e.text, e.display ?? null]);
  assert.deepEqual(shown(a), [
    ['PER', 'TaylorSwift', 'Taylor Swift'],
    ['LOC', 'Looooondon', null],
    ['PER', '<@123>', 'Serena Williams'],
  ]);
  assert.deepEqual(shown(b), [
    ['PER', 'BARACK OBAMA', 'Barack Obama'],
    ['LOC', 'BERLIN', 'Berlin'],
  ]);
  const [before] = await new LocalRecognizer({
    models: { en: projectPath('models/ner-en'), zh: projectPath('models/ner-zh') },
    tagOcr: false,
    tagCaptions: false,
    typeAliases: {},
    entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
    markup: false,
  }).recognize([{ text, language: 'en', ocr: [], captions: [], hints }]);
  assert.deepEqual(
    before!.entities.map((e) => e.text),
    ['Looooondon'],
    'without normalisation the hashtag and the mention are missed',
  );
});

test.after(() => recognizer.close());
