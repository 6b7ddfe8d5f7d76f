import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { createEngine } from '../../src/app/engine.ts';
import type { Plugin } from '../../src/core/registry.ts';
import type { RecognizerInput } from '../../src/core/stages.ts';

// Test recognizers registered exactly as a third-party plugin would register them.
const testPlugin: Plugin = (r) => {
  r.recognizer.register('broken', () => ({
    name: 'broken',
    recognize: async () => {
      throw new Error('connection refused');
    },
  }));
  // Tags every capitalised word pair as ORG and the word "Paris" with an alias label.
  r.recognizer.register('pairs', () => ({
    name: 'pairs',
    recognize: async (batch: RecognizerInput[]) =>
      batch.map((input) => {
        const entities = [...input.text.matchAll(/\b[A-Z][a-z]+ [A-Z][a-z]+\b/g)].map((m) => ({
          text: m[0],
          type: 'ORG',
          start: m.index,
          end: m.index + m[0].length,
          source: 'text' as const,
          backend: 'pairs',
        }));
        const paris = input.text.indexOf('Paris');
        if (paris >= 0) entities.push({ text: 'Paris', type: 'misc', start: paris, end: paris + 5, source: 'text', backend: 'pairs' });
        const hello = input.text.indexOf('Hello');
        if (hello >= 0) entities.push({ text: 'Hello', type: 'GREETING', start: hello, end: hello + 5, source: 'text', backend: 'pairs' });
        return { entities, dropped: 0, warnings: [] };
      }),
  }));
};

function config(recognizer: Record<string, unknown>) {
  return loadConfig({
    overrides: {
      ocr: { backend: 'none' },
      cache: { enabled: false },
      recognizer: { gazetteer: { entries: { PER: ['Barack Obama'], LOC: ['Paris', '北京'] } }, ...recognizer },
    },
  });
}

test('first-wins merge keeps the higher-ranked span and adds non-overlapping ones', async () => {
  const engine = await createEngine(config({ backends: ['gazetteer', 'pairs'], fallback: 'none' }), { plugins: [testPlugin] });
  const r = await engine.recognize({ text: 'Barack Obama visits Paris with Angela Merkel', language: 'en' });
  await engine.close();
  assert.deepEqual(
    r.entities.map((e) => [e.text, e.type, e.backend]),
    [
      ['Barack Obama', 'PER', 'gazetteer'],
      ['Paris', 'LOC', 'gazetteer'],
      ['Angela Merkel', 'ORG', 'pairs'],
    ],
  );
  assert.equal(r.language, 'en');
});

test('union merge keeps both readings of an overlapping span, aliases map MISC to OTHER', async () => {
  const engine = await createEngine(config({ backends: ['gazetteer', 'pairs'], merge: 'union', fallback: 'none' }), {
    plugins: [testPlugin],
  });
  const r = await engine.recognize({ text: 'Hello Paris', language: 'en' });
  await engine.close();
  assert.deepEqual(
    r.entities.map((e) => [e.text, e.type]),
    [
      ['Hello Paris', 'ORG'],
      ['Paris', 'LOC'],
      ['Paris', 'OTHER'],
    ],
  );
  // GREETING is not a configured type: dropped, counted and explained.
  assert.equal(r.droppedEntities, 1);
  assert.ok(
    r.warnings.some((w) => w.code === 'entity.unknown_type' && w.message.includes('GREETING')),
    'unknown type warning names GREETING',
  );
});

test('a failing recognizer falls back with a warning and the user still gets entities', async () => {
  const engine = await createEngine(config({ backends: ['broken'], fallback: 'gazetteer' }), { plugins: [testPlugin] });
  const r = await engine.recognize({ text: 'Barack Obama in Paris', language: 'auto' });
  await engine.close();
  assert.deepEqual(
    r.entities.map((e) => e.text),
    ['Barack Obama', 'Paris'],
  );
  const codes = r.warnings.map((w) => w.code);
  assert.ok(codes.includes('recognizer.failed'), `warnings: ${codes}`);
  assert.ok(codes.includes('recognizer.fallback'), `warnings: ${codes}`);
  assert.match(r.warnings.find((w) => w.code === 'recognizer.failed')!.message, /broken.*connection refused/);
});

test('a bad image becomes a warning and the text is still recognized; Chinese is detected', async () => {
  const engine = await createEngine(config({ backends: ['gazetteer'], fallback: 'none' }));
  const r = await engine.recognize({
    text: '今天在北京见到了朋友',
    images: [{ kind: 'bytes', bytes: new TextEncoder().encode('this is not an image') }],
  });
  await engine.close();
  assert.equal(r.language, 'zh');
  assert.deepEqual(
    r.entities.map((e) => [e.text, e.type, e.start, e.end]),
    [['北京', 'LOC', 3, 5]],
  );
  assert.equal(r.warnings.filter((w) => w.stage === 'intake').length, 1);
  assert.equal(r.warnings[0]!.image, 0);
  assert.ok(r.timings.total! >= 0, 'total timing recorded');
});

test('plugins named in config load and register backends', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-plugin-'));
  const file = join(dir, 'shout.mjs');
  writeFileSync(
    file,
    `export default (r) => r.recognizer.register('shout', () => ({ name: 'shout', recognize: async (b) => b.map((i) => ({ entities: [{ text: i.text, type: 'ORG', start: 0, end: i.text.length, source: 'text', backend: 'shout' }], dropped: 0, warnings: [] })) }));`,
  );
  const cfg = loadConfig({
    overrides: {
      plugins: [file],
      ocr: { backend: 'none' },
      cache: { enabled: false },
      recognizer: { backends: ['shout'], fallback: 'none' },
    },
  });
  const engine = await createEngine(cfg);
  const r = await engine.recognize({ text: 'NASA' });
  await engine.close();
  assert.deepEqual(
    r.entities.map((e) => [e.text, e.backend]),
    [['NASA', 'shout']],
  );
});

test('an unknown backend name fails start-up with the registered names', async () => {
  await assert.rejects(createEngine(config({ backends: ['nope'] })), /unknown recognizer backend "nope"; registered: .*gazetteer/);
});

test('a knowledge source that no recognizer reads stops start-up', async () => {
  const cfg = loadConfig({
    overrides: {
      ocr: { backend: 'none' },
      cache: { enabled: false },
      recognizer: { backends: ['gazetteer'], fallback: 'none' },
      knowledge: { backend: 'llm', llm: { baseURL: 'http://127.0.0.1:9/v1', model: 'm' } },
    },
  });
  await assert.rejects(createEngine(cfg), /knowledge\.backend is "llm" but no recognizer reads knowledge/);
});
