import { test, describe, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LlmKnowledge, createLlmKnowledge, formatExampleAnswer } from '../../src/llm/knowledge.ts';
import { ExampleIndex, parseExamples, jaccard, tokenSet } from '../../src/llm/examples.ts';
import { loadConfig } from '../../src/config/load.ts';
import { openStore } from '../../src/store/open.ts';
import type { RecognizerInput } from '../../src/core/stages.ts';
import { OpenAiEmulator, completion, httpError } from '../support/openai-emulator.ts';

const CONLL = `IMGID:1
Kawhi\tB-PER
Leonard\tI-PER
wins\tO
NBA\tB-ORG
award\tO

IMGID:2
Rain\tO
in\tO
Seattle\tB-LOC
today\tO

IMGID:3
王\tB-PER
小\tI-PER
明\tI-PER
去\tO
北\tB-LOC
京\tI-LOC
`;

const JSONL = [
  JSON.stringify({
    text: 'Taylor Swift sings in London',
    entities: [
      { text: 'Taylor Swift', type: 'PER' },
      { text: 'London', type: 'LOC' },
    ],
    caption: 'a woman on stage',
  }),
  JSON.stringify({ tokens: ['Go', 'Spurs', 'go'], tags: ['O', 'B-ORG', 'O'] }),
].join('\n');

describe('few-shot examples', () => {
  test('CoNLL (BIO, IMGID lines, Chinese characters) and JSONL both parse', () => {
    const conll = parseExamples(CONLL, 'ex.conll');
    assert.deepEqual(
      conll.map((e) => e.text),
      ['Kawhi Leonard wins NBA award', 'Rain in Seattle today', '王小明去北京'],
    );
    assert.deepEqual(conll[0]!.entities, [
      { text: 'Kawhi Leonard', type: 'PER' },
      { text: 'NBA', type: 'ORG' },
    ]);
    assert.deepEqual(conll[2]!.entities, [
      { text: '王小明', type: 'PER' },
      { text: '北京', type: 'LOC' },
    ]);
    const jsonl = parseExamples(JSONL, 'ex.jsonl');
    assert.equal(jsonl[0]!.caption, 'a woman on stage');
    assert.deepEqual(jsonl[1]!.entities, [{ text: 'Spurs', type: 'ORG' }]);
    assert.equal(formatExampleAnswer(conll[0]!), 'Named entities: 1. Kawhi Leonard (PER) 2. NBA (ORG)');
  });

  test('bad example files name file and line', () => {
    assert.throws(() => parseExamples('{"text": "x", "entities": [{"text": 1}]}', 'ex.jsonl'), /ex\.jsonl:1: entities\[0\]/);
    assert.throws(() => parseExamples('{"text": "x"}\n{oops', 'ex.jsonl'), /ex\.jsonl:1: expected/);
    assert.throws(() => parseExamples('Kawhi\tB-PER\nwins\tX-TAG\n', 'ex.conll'), /ex\.conll:2: tag "X-TAG"/);
    assert.throws(() => parseExamples('justonetoken\n', 'ex.conll'), /ex\.conll:1: expected "token<TAB>tag"/);
  });

  test('similar examples by token Jaccard, stable on ties', () => {
    assert.equal(jaccard(tokenSet('a b c'), tokenSet('b c d')), 0.5);
    const index = new ExampleIndex([...parseExamples(CONLL, 'c'), ...parseExamples(JSONL, 'j')]);
    assert.deepEqual(
      index.similar('Leonard won the NBA finals award', 2).map((e) => e.text),
      ['Kawhi Leonard wins NBA award', 'Rain in Seattle today'],
    );
    assert.equal(index.similar('北京下雨', 1)[0]!.text, '王小明去北京');
    assert.deepEqual(index.similar('x', 0), []);
  });
});

describe('llm knowledge over HTTP', () => {
  let emu: OpenAiEmulator;
  let dir: string;
  before(async () => {
    emu = await new OpenAiEmulator().start();
    dir = mkdtempSync(join(tmpdir(), 'ekmm-knowledge-'));
  });
  after(async () => {
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(() => emu.reset().otherwise(httpError(500)));

  const input: RecognizerInput = {
    text: 'Leonard takes the NBA award home',
    language: 'en',
    ocr: [
      {
        image: 0,
        text: 'BLOCK OF THE YEAR',
        box: [
          [0, 0],
          [1, 0],
          [1, 1],
          [0, 1],
        ],
        score: 0.9,
      },
    ],
    captions: [{ image: 0, text: 'a basketball player holding a trophy', backend: 'recorded' }],
  };

  test('PGIM-style prompt: similar examples as turns, then caption + OCR + text; answer is the knowledge', async () => {
    const file = join(dir, 'examples.conll');
    writeFileSync(file, CONLL);
    const config = loadConfig({
      skipDefaultFile: true,
      env: {},
      overrides: {
        knowledge: { backend: 'llm', examplesFile: file, examples: 1, llm: { baseURL: emu.baseURL, model: 'k-model', maxTokens: 300 } },
      },
    });
    const store = await openStore('memory://');
    const knowledge = createLlmKnowledge(config, store);
    emu.script(completion('<think>hmm</think>Named entities: 1. Leonard (PER) 2. NBA (ORG) Reasoning: Kawhi Leonard is a player.'));
    assert.deepEqual(await knowledge.knowledge([input]), [
      'Named entities: 1. Leonard (PER) 2. NBA (ORG) Reasoning: Kawhi Leonard is a player.',
    ]);
    const messages = emu.chatRequests[0]!.body?.messages as Array<{ role: string; content: string }>;
    assert.deepEqual(
      messages.map((m) => m.role),
      ['system', 'user', 'assistant', 'user'],
    );
    assert.equal(messages[1]!.content, 'Text: Kawhi Leonard wins NBA award\nImage: (no description)');
    assert.equal(messages[2]!.content, 'Named entities: 1. Kawhi Leonard (PER) 2. NBA (ORG)');
    assert.equal(
      messages[3]!.content,
      'Text: Leonard takes the NBA award home\nImage: a basketball player holding a trophy\nText in the image: BLOCK OF THE YEAR',
    );
    assert.equal(emu.chatRequests[0]!.body?.temperature, 0);
    assert.equal(emu.chatRequests[0]!.body?.max_tokens, 300);
    // Cached by prompt + model + template version.
    await knowledge.knowledge([input]);
    assert.equal(emu.chatRequests.length, 1);
    emu.script(completion('Named entities: none'));
    const other = new LlmKnowledge({ ...config.knowledge.llm!, model: 'k-model-2' }, [], 1, config.entityTypes, { cache: store });
    assert.deepEqual(await other.knowledge([input]), ['Named entities: none']);
    assert.equal(emu.chatRequests.length, 2);
    await store.close();
  });

  test('a truncated answer is returned but not cached; errors propagate', async () => {
    const store = await openStore('memory://');
    const k = new LlmKnowledge(
      { baseURL: emu.baseURL, model: 'm', apiKeyEnv: 'X', timeoutMs: 2000, retries: 0, backoffMs: 0, maxTokens: 5 },
      [],
      0,
      ['PER'],
      { cache: store },
    );
    emu.script(completion('Named entities: 1. Leo', 'length'), completion('Named entities: 1. Leonard (PER)'));
    assert.deepEqual(await k.knowledge([input]), ['Named entities: 1. Leo']);
    assert.deepEqual(await k.knowledge([input]), ['Named entities: 1. Leonard (PER)']);
    await assert.rejects(k.knowledge([{ ...input, text: 'other' }]), /HTTP 500/);
    await store.close();
  });

  test('missing knowledge.llm section is a clear error', () => {
    assert.throws(() => createLlmKnowledge(loadConfig({ skipDefaultFile: true, env: {} })), /knowledge\.llm section/);
  });
});
