// The committed models: load, tag clear sentences sensibly, and serve as the "local" recognizer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../src/config/load.ts';
import { Tagger } from '../../src/recognizers/local/tagger.ts';
import { LocalRecognizer } from '../../src/recognizers/local/recognizer.ts';
import { tokenizeEnglish } from '../../src/recognizers/local/tokenize.ts';
import { tagCommand } from '../../src/cli/tag.ts';
import type { RecognizerInput } from '../../src/core/stages.ts';

let en: Tagger;
let enK: Tagger;
let zh: Tagger;
let tmp: string;

before(async () => {
  en = await Tagger.load(projectPath('models/ner-en'));
  enK = await Tagger.load(projectPath('models/ner-en-knowledge'));
  zh = await Tagger.load(projectPath('models/ner-zh'));
  tmp = mkdtempSync(join(tmpdir(), 'ekmm-local-'));
});

after(async () => {
  await en.close();
  await enK.close();
  await zh.close();
  rmSync(tmp, { recursive: true, force: true });
});

const words = (s: string) => tokenizeEnglish(s).map((t) => t.text);

test('English model: a person and a place in clear sentences', async () => {
  const [a, b] = await en.tag([
    words('President Barack Obama spoke to reporters at the White House on Monday .'),
    words('Great night out in London with the whole team !'),
  ]);
  assert.deepEqual(a!.slice(1, 3), ['B-PER', 'I-PER']);
  assert.equal(b![4], 'B-LOC');
  assert.equal(a!.length, words('President Barack Obama spoke to reporters at the White House on Monday .').length);
});

test('English model: the same tags whether a post is tagged alone or in a padded batch', async () => {
  const posts = [words('Barack Obama'), words('I love New York so much , said Taylor Swift at Madison Square Garden yesterday')];
  const alone = await Promise.all(posts.map(async (p) => (await en.tag([p]))[0]));
  assert.deepEqual(await en.tag(posts), alone);
});

test('English models: the text model serves text only, the knowledge model reads recorded-style knowledge', async () => {
  assert.equal(en.setting, 'text');
  assert.equal(en.usesKnowledge, false);
  assert.equal(enK.setting, 'knowledge');
  const post = words('Smash Shiba is stoked for the Grand Finals');
  const knowledge = 'Named entities: 1. Smash Shiba (person/player) 2. Grand Finals (event) Reasoning: Smash Shiba is a player.';
  const [plain] = await en.tag([post]);
  const [withK] = await enK.tag([post], [knowledge]);
  assert.equal(plain!.length, post.length);
  assert.deepEqual(withK!.slice(0, 2), ['B-PER', 'I-PER']);
  // the gazetteer columns are on in both: a listed city without knowledge
  const [city] = await en.tag([words('Great night out in Manchester with the whole team !')]);
  assert.equal(city![4], 'B-LOC');
});

test('Chinese model: tags characters of a clear sentence', async () => {
  const text = '我今天在北京见到了刘德华。';
  const [tags] = await zh.tag([Array.from(text)]);
  assert.equal(tags!.length, text.length);
  assert.deepEqual(tags!.slice(4, 6), ['B-LOC', 'I-LOC']);
  assert.deepEqual(tags!.slice(9, 12), ['B-PER', 'I-PER', 'I-PER']);
});

test('LocalRecognizer: entities with exact offsets in text and OCR lines, languages by script', async () => {
  const rec = new LocalRecognizer({
    models: { en: projectPath('models/ner-en'), zh: projectPath('models/ner-zh') },
    tagOcr: true,
    tagCaptions: false,
    typeAliases: { MISC: 'OTHER' },
    entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
  });
  assert.equal(rec.usesKnowledge, true);
  const box: RecognizerInput['ocr'][number]['box'] = [
    [0, 0],
    [1, 0],
    [1, 1],
    [0, 1],
  ];
  const input: RecognizerInput = {
    text: 'President  Barack Obama spoke in London today.',
    language: 'en',
    ocr: [{ image: 0, text: '我今天在北京见到了刘德华。', box, score: 0.9 }],
    captions: [],
  };
  const [out] = await rec.recognize([input]);
  await rec.close();
  const per = out!.entities.find((e) => e.source === 'text' && e.type === 'PER');
  assert.ok(per, `no PER in ${JSON.stringify(out!.entities)}`);
  assert.equal(per.text, 'Barack Obama');
  assert.equal(input.text.slice(per.start, per.end), 'Barack Obama');
  assert.equal(per.backend, 'local');
  const ocrLoc = out!.entities.find((e) => e.source === 'ocr' && e.type === 'LOC');
  assert.ok(ocrLoc, `no LOC in the OCR line: ${JSON.stringify(out!.entities)}`);
  assert.equal(ocrLoc.ocrLine, 0);
  assert.equal(ocrLoc.text, '北京');
  for (const e of out!.entities) {
    const source = e.source === 'ocr' ? input.ocr[e.ocrLine!]!.text : input.text;
    assert.equal(source.slice(e.start, e.end), e.text);
  }
});

test('ekmm tag: writes one tag per token, IMGID lines kept, MISC spelling of the input kept', async () => {
  const input = join(tmp, 'in.txt');
  const output = join(tmp, 'out.txt');
  writeFileSync(
    input,
    [
      'IMGID:1',
      'Barack\tB-PER',
      'Obama\tI-PER',
      'visited\tO',
      'London\tB-LOC',
      '.\tO',
      '',
      'IMGID:2',
      'Watching\tO',
      'the\tO',
      'Super\tB-MISC',
      'Bowl\tI-MISC',
      'tonight\tO',
      '',
    ].join('\n'),
  );
  const knowledge = join(tmp, 'k.txt');
  writeFileSync(
    knowledge,
    [
      'Barack\tB-PER',
      'Obama\tI-PER',
      'visited\tO',
      'London\tB-LOC',
      '.\tO',
      '<EOS>\tX',
      'Named\tX',
      'entities:1.\tX',
      'Barack\tX',
      'Obama\tX',
      '(person)2.\tX',
      'London\tX',
      '(city)\tX',
      '',
      'Watching\tO',
      'the\tO',
      'Super\tB-MISC',
      'Bowl\tI-MISC',
      'tonight\tO',
      '<EOS>\tX',
      'Named\tX',
      'entities:1.\tX',
      'Super\tX',
      'Bowl\tX',
      '(event)\tX',
      '',
    ].join('\n'),
  );
  const code = await tagCommand(['--model', 'en', '--input', input, '--output', output, '--knowledge', knowledge]);
  assert.equal(code, 0);
  const lines = readFileSync(output, 'utf8').split('\n');
  assert.equal(lines[0], 'IMGID:1');
  assert.equal(lines[7], 'IMGID:2');
  const tokenLines = lines.filter((l) => l.includes('\t'));
  assert.deepEqual(
    tokenLines.map((l) => l.split('\t')[0]),
    ['Barack', 'Obama', 'visited', 'London', '.', 'Watching', 'the', 'Super', 'Bowl', 'tonight'],
  );
  assert.deepEqual(
    tokenLines.slice(0, 2).map((l) => l.split('\t')[1]),
    ['B-PER', 'I-PER'],
  );
  assert.ok(
    tokenLines.every((l) => !l.endsWith('OTHER')),
    'OTHER written as the input spelling MISC',
  );
});

test('Tagger.load: a missing model directory is a clear error naming it', async () => {
  await assert.rejects(Tagger.load(join(tmp, 'nope')), /manifest\.json/);
});
