import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { openStore } from '../../src/store/open.ts';
import { cacheKey, cached, sha256Hex, CachedCaptioner, CachedOcr, CachedKnowledge, withKnowledgeCache } from '../../src/cache/index.ts';
import { OpenAiCaptioner } from '../../src/captioners/openai.ts';
import { LlmKnowledge } from '../../src/llm/knowledge.ts';
import type { Ocr, PreparedImage, RecognizerInput } from '../../src/core/stages.ts';
import type { OcrLine } from '../../src/core/types.ts';
import { OpenAiEmulator, completion } from '../support/openai-emulator.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function image(index: number, color: string): Promise<PreparedImage> {
  const png = await sharp({ create: { width: 8, height: 6, channels: 3, background: color } })
    .png()
    .toBuffer();
  return { index, png, width: 8, height: 6, format: 'png', sha256: sha256Hex(png) };
}

describe('cache keys', () => {
  const base = { contentHash: 'a'.repeat(64), model: 'ppocr-v4', templateVersion: '1' };
  test('same parts give the same key; kind, model, template or content change it', () => {
    assert.equal(cacheKey('ocr', base), cacheKey('ocr', { ...base }));
    assert.match(cacheKey('ocr', base), /^ocr:[0-9a-f]{64}$/);
    const variants = [
      cacheKey('caption', base),
      cacheKey('ocr', { ...base, model: 'ppocr-v5' }),
      cacheKey('ocr', { ...base, templateVersion: '2' }),
      cacheKey('ocr', { ...base, contentHash: 'b'.repeat(64) }),
      cacheKey('ocr', { ...base, language: 'zh' }),
    ];
    assert.equal(new Set([cacheKey('ocr', base), ...variants]).size, variants.length + 1);
  });
  test('bad key parts are refused', () => {
    assert.throws(() => cacheKey('OCR', base), /lower-case/);
    assert.throws(() => cacheKey('ocr', { model: '', templateVersion: '1', contentHash: 'x' }), /model id is empty/);
    assert.throws(() => cacheKey('ocr', { model: 'm', templateVersion: '1' }), /contentHash or prompt/);
  });
});

describe('cached() over a sqlite store', () => {
  let dir: string;
  before(() => (dir = mkdtempSync(join(tmpdir(), 'ekmm-cache-'))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('hit after miss, persists across reopen, other model or template misses, null is cached', async () => {
    const url = `sqlite://${join(dir, 'cache.sqlite')}`;
    let calls = 0;
    const compute = async () => ({ answer: `computed ${++calls}` });
    const key = (model: string, templateVersion: string) => cacheKey('llm', { prompt: 'Who is in Paris?', model, templateVersion });

    const store = await openStore(url);
    assert.deepEqual(await cached(store, key('m1', 'v1'), undefined, compute), { answer: 'computed 1' });
    assert.deepEqual(await cached(store, key('m1', 'v1'), undefined, compute), { answer: 'computed 1' });
    assert.equal(calls, 1);
    assert.equal(
      await cached(store, cacheKey('caption', { contentHash: 'c', model: 'm', templateVersion: '1' }), undefined, async () => null),
      null,
    );
    await store.close();

    const reopened = await openStore(url);
    assert.deepEqual(await cached(reopened, key('m1', 'v1'), undefined, compute), { answer: 'computed 1' }, 'survives reopen');
    assert.deepEqual(await cached(reopened, key('m2', 'v1'), undefined, compute), { answer: 'computed 2' }, 'other model never served');
    assert.deepEqual(await cached(reopened, key('m1', 'v2'), undefined, compute), { answer: 'computed 3' }, 'other template never served');
    let nullCalls = 0;
    const nullKey = cacheKey('caption', { contentHash: 'c', model: 'm', templateVersion: '1' });
    assert.equal(await cached(reopened, nullKey, undefined, async () => (nullCalls++, 'x')), null, 'cached null is a hit');
    assert.equal(nullCalls, 0);
    await reopened.close();
  });

  test('TTL expiry recomputes; concurrent misses compute once', async () => {
    const store = await openStore(`sqlite://${join(dir, 'ttl.sqlite')}`);
    let calls = 0;
    const slow = async () => {
      calls++;
      await sleep(30);
      return calls;
    };
    const k = cacheKey('llm', { prompt: 'p', model: 'm', templateVersion: '1' });
    const [a, b] = await Promise.all([cached(store, k, 300, slow), cached(store, k, 300, slow)]);
    assert.equal(a, 1);
    assert.equal(b, 1);
    assert.equal(await cached(store, k, 300, slow), 1);
    await sleep(350);
    assert.equal(await cached(store, k, 300, slow), 2, 'expired entry recomputed');
    await store.close();
  });
});

describe('cache decorators', () => {
  let emu: OpenAiEmulator;
  before(async () => (emu = await new OpenAiEmulator().start()));
  after(() => emu.stop());

  test('CachedCaptioner: second call makes no HTTP request; another prompt or model misses', async () => {
    const store = await openStore('memory://');
    const cfg = {
      baseURL: emu.baseURL,
      model: 'vlm-a',
      apiKeyEnv: 'X_UNSET',
      timeoutMs: 5000,
      retries: 0,
      backoffMs: 0,
      maxTokens: 64,
      prompt: 'Describe.',
    };
    emu.otherwise((req) => completion(`caption by ${String(req.body?.model)} #${emu.chatRequests.length}`));
    const [red, blue] = [await image(0, 'red'), await image(1, 'blue')];
    const captioner = new CachedCaptioner(new OpenAiCaptioner(cfg), store);
    const first = await captioner.caption([red, blue]);
    const before = emu.chatRequests.length;
    const second = await captioner.caption([red, blue]);
    assert.deepEqual(second, first);
    assert.equal(emu.chatRequests.length, before, 'served from cache');
    await new CachedCaptioner(new OpenAiCaptioner({ ...cfg, prompt: 'Describe in detail.' }), store).caption([red]);
    assert.equal(emu.chatRequests.length, before + 1, 'another prompt is another template version');
    const otherModel = await new CachedCaptioner(new OpenAiCaptioner({ ...cfg, model: 'vlm-b' }), store).caption([red]);
    assert.match(otherModel[0]!, /caption by vlm-b/);
    await store.close();
  });

  test('CachedOcr: hits are re-indexed to the image position of the current message', async () => {
    const store = await openStore('memory://');
    const seen: number[] = [];
    const ocr: Ocr = {
      name: 'counting',
      modelId: 'counting-v1',
      async read(images) {
        seen.push(...images.map((i) => i.index));
        return images.map((img) => [
          {
            image: img.index,
            text: `line of ${img.sha256.slice(0, 6)}`,
            box: [
              [0, 0],
              [1, 0],
              [1, 1],
              [0, 1],
            ],
            score: 0.9,
          } as OcrLine,
        ]);
      },
    };
    const red = await image(0, 'red');
    const green = await image(1, 'green');
    const wrapped = new CachedOcr(ocr, store);
    await wrapped.read([red], 'en');
    const out = await wrapped.read([green, { ...red, index: 1 }], 'en');
    assert.deepEqual(seen, [0, 1], 'only green (index 1) was read the second time');
    assert.equal(out[1]![0]!.image, 1);
    assert.equal(out[1]![0]!.text, `line of ${red.sha256.slice(0, 6)}`);
    await wrapped.read([red], 'zh');
    assert.equal(seen.length, 3, 'another language is another key');
    await store.close();
  });

  test('CachedKnowledge caches by input + model + template; self-caching backends are not wrapped', async () => {
    const store = await openStore('memory://');
    const input: RecognizerInput = { text: 'Kawhi Leonard wins', language: 'en', ocr: [], captions: [] };
    const cfg = { baseURL: emu.baseURL, model: 'llm-a', apiKeyEnv: 'X_UNSET', timeoutMs: 5000, retries: 0, backoffMs: 0, maxTokens: 64 };
    const knowledge = new LlmKnowledge(cfg, [], 0, ['PER', 'LOC', 'ORG', 'OTHER']);
    assert.equal(withKnowledgeCache(knowledge, store), knowledge);
    emu.otherwise(completion('Named entities: 1. Kawhi Leonard (PER) Reasoning: a player.'));
    const wrapped = new CachedKnowledge(knowledge, store);
    const n = emu.chatRequests.length;
    assert.deepEqual(await wrapped.knowledge([input]), ['Named entities: 1. Kawhi Leonard (PER) Reasoning: a player.']);
    await wrapped.knowledge([input]);
    assert.equal(emu.chatRequests.length, n + 1);
    await new CachedKnowledge(new LlmKnowledge({ ...cfg, model: 'llm-b' }, [], 0, ['PER']), store).knowledge([input]);
    assert.equal(emu.chatRequests.length, n + 2, 'another model misses');
    await store.close();
  });
});
