// Dedicated models per setting: posts with recorded knowledge go to the knowledge model, the rest
// to the text model, and a text model is never fed knowledge or captions.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectPath } from '../../src/config/load.ts';
import { LocalRecognizer } from '../../src/recognizers/local/recognizer.ts';
import { Tagger } from '../../src/recognizers/local/tagger.ts';
import { tokenizeEnglish } from '../../src/recognizers/local/tokenize.ts';
import type { RecognizerInput } from '../../src/core/stages.ts';

let tmp: string;
let textDir: string;
let swappedDir: string;

/** A copy of the committed English model with its manifest edited. */
function copyModel(name: string, edit: (m: Record<string, unknown>) => void): string {
  const dir = join(tmp, name);
  cpSync(projectPath('models/ner-en'), dir, { recursive: true });
  const path = join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  edit(m);
  writeFileSync(path, JSON.stringify(m));
  return dir;
}

before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'ekmm-routing-'));
  textDir = copyModel('text', (m) => {
    m.setting = 'text';
  });
  // the same weights with PER and LOC label names swapped: whatever this model tags as a person
  // comes out as LOC, so the output shows which model answered
  swappedDir = copyModel('knowledge', (m) => {
    m.setting = 'knowledge';
    m.labels = (m.labels as string[]).map((l) => l.replace('PER', '\0').replace('LOC', 'PER').replace('\0', 'LOC'));
  });
});

after(() => {
  rmSync(tmp, { recursive: true, force: true });
});

const input = (text: string, knowledge?: string): RecognizerInput => ({
  text,
  language: 'en',
  ocr: [],
  captions: [],
  ...(knowledge ? { knowledge } : {}),
});

test('knowledge-fed posts go to the knowledge model, the others to the text model', async () => {
  const rec = new LocalRecognizer({
    models: { en: textDir, zh: projectPath('models/ner-zh') },
    knowledgeModels: { en: swappedDir },
    tagOcr: false,
    tagCaptions: false,
    typeAliases: {},
    entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
  });
  const text = 'President Barack Obama spoke to reporters at the White House .';
  const knowledge = 'Named entities: 1. Barack Obama (person) 2. White House (building) Reasoning: the president.';
  const [plain, fed, plain2] = await rec.recognize([input(text), input(text, knowledge), input(text)]);
  const obama = (out: typeof plain) => out!.entities.find((e) => e.text === 'Barack Obama')?.type;
  assert.equal(obama(plain), 'PER', JSON.stringify(plain));
  assert.equal(obama(plain2), 'PER');
  assert.equal(obama(fed), 'LOC', `answered by the knowledge model: ${JSON.stringify(fed)}`);
  assert.equal((await rec.tagger('en', true)).setting, 'knowledge');
  assert.equal((await rec.tagger('en')).setting, 'text');
  await rec.close();

  // without a knowledge model, the main model serves both
  const one = new LocalRecognizer({
    models: { en: textDir, zh: projectPath('models/ner-zh') },
    tagOcr: false,
    tagCaptions: false,
    typeAliases: {},
    entityTypes: ['PER', 'LOC', 'ORG', 'OTHER'],
  });
  const [alone] = await one.recognize([input(text, knowledge)]);
  assert.equal(obama(alone), 'PER');
  assert.equal(await one.tagger('en', true), await one.tagger('en'));
  await one.close();
});

test('a text-setting model ignores knowledge and captions; the same weights as "both" read them', async () => {
  const both = await Tagger.load(projectPath('models/ner-en'));
  const textOnly = await Tagger.load(textDir);
  const post = tokenizeEnglish('Smash Shiba is stoked for the Grand Finals').map((t) => t.text);
  const knowledge = 'Named entities: 1. Smash Shiba (person/player) 2. Grand Finals (event) Reasoning: Smash Shiba is a player.';
  assert.equal(textOnly.usesKnowledge, false);
  const [fedText] = await textOnly.emissions([post], [knowledge], ['a man on a stage']);
  const [bareText] = await textOnly.emissions([post]);
  assert.deepEqual(Array.from(fedText!), Array.from(bareText!), 'knowledge and captions not fed to a text model');
  if (both.usesKnowledge) {
    const [fedBoth] = await both.emissions([post], [knowledge]);
    assert.notDeepEqual(Array.from(fedBoth!), Array.from(bareText!), 'a model trained with knowledge reads it');
  }
  await both.close();
  await textOnly.close();
});
