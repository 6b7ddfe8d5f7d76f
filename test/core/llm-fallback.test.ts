// The engine with the real `llm` recognizer (against the OpenAI emulator on 127.0.0.1) and the
// real `local` ONNX tagger: the user always gets an answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import { createEngine, type Engine } from '../../src/app/engine.ts';
import { OpenAiEmulator, completion } from '../support/openai-emulator.ts';

let emu: OpenAiEmulator;
before(async () => (emu = await new OpenAiEmulator().start()));
after(async () => emu.stop());

function llmConfig(backends: string[], merge: 'first-wins' | 'union' = 'first-wins') {
  return loadConfig({
    overrides: {
      ocr: { backend: 'none' },
      cache: { enabled: false },
      recognizer: {
        backends,
        merge,
        fallback: 'local',
        llm: { baseURL: emu.baseURL, model: 'emu-model', timeoutMs: 300, retries: 0, structuredOutput: 'json_object' },
      },
    },
  });
}

async function withEngine<T>(backends: string[], fn: (e: Engine) => Promise<T>): Promise<T> {
  const engine = await createEngine(llmConfig(backends));
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}

const TEXT = 'Barack Obama met Angela Merkel in Berlin on Monday';

test('an LLM timeout falls back to the local tagger with a warning', async () => {
  emu.reset().script({ ...completion('{"entities":[]}'), delayMs: 1500 });
  const r = await withEngine(['llm'], (e) => e.recognize({ text: TEXT, language: 'en' }));
  const codes = r.warnings.map((w) => w.code);
  assert.ok(codes.includes('recognizer.failed') && codes.includes('recognizer.fallback'), `warnings: ${codes}`);
  assert.ok(r.entities.length > 0, 'the local tagger answered');
  assert.ok(
    r.entities.every((e) => e.backend === 'local'),
    'entities come from the fallback',
  );
  assert.ok(
    r.entities.some((e) => e.text === 'Barack Obama' && e.type === 'PER'),
    JSON.stringify(r.entities),
  );
});

test('LLM and local merge first-wins: LLM spans first, local adds what does not overlap; invented names are dropped', async () => {
  emu.reset().script(completion('```json\n{"entities":[{"text":"Angela Merkel","type":"person"},{"text":"Paris","type":"LOC"}]}\n```'));
  const r = await withEngine(['llm', 'local'], (e) => e.recognize({ text: TEXT, language: 'en' }));
  const merkel = r.entities.filter((e) => e.start === TEXT.indexOf('Angela'));
  assert.deepEqual(
    merkel.map((e) => [e.text, e.type, e.backend]),
    [['Angela Merkel', 'PER', 'llm']],
  );
  assert.ok(
    r.entities.some((e) => e.backend === 'local' && e.text === 'Barack Obama'),
    JSON.stringify(r.entities),
  );
  assert.ok(r.droppedEntities >= 1, 'Paris is in no input and is counted as dropped');
  for (const e of r.entities) assert.equal(TEXT.slice(e.start, e.end), e.text, 'offsets point at the entity text');
});

test('the LLM as knowledge source: its answer feeds the local tagger, and a failure only warns', async () => {
  const cfg = (timeoutMs: number) =>
    loadConfig({
      overrides: {
        ocr: { backend: 'none' },
        cache: { enabled: false },
        recognizer: { backends: ['local'], fallback: 'none' },
        knowledge: { backend: 'llm', llm: { baseURL: emu.baseURL, model: 'emu-model', timeoutMs, retries: 0 } },
      },
    });
  const text = 'Smash Shiba is stoked for the Grand Finals';
  const knowledge = 'Named entities: 1. Smash Shiba (person/player) 2. Grand Finals (event) Reasoning: Smash Shiba is a player.';

  emu.reset().script(completion(knowledge));
  let engine = await createEngine(cfg(2000));
  const informed = await engine.recognize({ text, language: 'en' });
  await engine.close();
  assert.equal(emu.requests.length, 1, 'one knowledge request');
  const prompt = JSON.stringify(emu.requests[0]!.body);
  assert.ok(prompt.includes('Smash Shiba is stoked'), 'the post is in the knowledge prompt');
  assert.ok(
    informed.entities.some((e) => e.text === 'Smash Shiba' && e.type === 'PER' && e.backend === 'local'),
    JSON.stringify(informed.entities),
  );

  emu.reset().script({ ...completion(knowledge), delayMs: 1500 });
  engine = await createEngine(cfg(300));
  const alone = await engine.recognize({ text, language: 'en' });
  await engine.close();
  assert.ok(
    alone.warnings.some((w) => w.code === 'knowledge.failed'),
    JSON.stringify(alone.warnings),
  );
  assert.ok(!alone.warnings.some((w) => w.code === 'recognizer.failed'), 'the tagger still answered');
});
