// Two lanes (text-only and with images), cancellation through the host, and the bots' text cut:
// a fake executor, so only the host's own logic is under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Host, type RecognitionExecutor } from '../../src/host/index.ts';
import type { Message, Recognition } from '../../src/core/types.ts';
import { chatTestConfig } from '../telegram/fixtures.ts';
import { silentLogger } from '../../src/observability/logger.ts';

const emptyRecognition = (m: Message): Recognition => ({
  text: m.text,
  language: 'en',
  entities: [],
  ocr: [],
  captions: [],
  timings: {},
  warnings: [],
  droppedEntities: 0,
});
const png = { kind: 'bytes' as const, bytes: new Uint8Array([1]) };

test('a text-only message runs at once while every image slot is taken and more images wait', async () => {
  const config = chatTestConfig({ guards: { perUserPerMinute: 100, perCommunityPerMinute: 100, queueSize: 10, concurrency: 1 } });
  const gates: (() => void)[] = [];
  const executor: RecognitionExecutor = {
    kind: 'test',
    async recognize(m) {
      if (m.images?.length) await new Promise<void>((r) => gates.push(r));
      return emptyRecognition(m);
    },
  };
  const host = new Host({ config, executor, logger: silentLogger() });
  const images = [1, 2, 3].map((i) => host.recognize({ message: { text: `img ${i}`, images: [png] } }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([host.queue.stats().running, host.queue.stats().waiting], [1, 2]);
  const text = await host.recognize({ message: { text: 'just text' } });
  assert.equal(text?.recognition.text, 'just text', 'answered while the image lane is full');
  // A lazy message (a chat message whose images load later) goes by what it says it carries.
  const lazy = await host.processor.process({
    fromBot: false,
    userId: 'u',
    communityId: 'telegram:1',
    text: 'hello',
    imageCount: 0,
    record: false,
  });
  assert.equal(lazy.kind, 'recognized');
  while (gates.length || host.queue.stats().running || host.queue.stats().waiting) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(images);
});

test('the signal reaches the executor: a job whose caller has gone is cancelled, waiting or running', async () => {
  const config = chatTestConfig({ limits: { textLane: { concurrency: 1, queueSize: 5 } } });
  const seen: AbortSignal[] = [];
  const executor: RecognitionExecutor = {
    kind: 'test',
    recognize: (m, options) =>
      new Promise((resolve, reject) => {
        const signal = options?.signal;
        if (signal) seen.push(signal);
        signal?.addEventListener('abort', () => reject(new Error('cancelled')), { once: true });
        if (m.text === 'quick') resolve(emptyRecognition(m));
      }),
  };
  const host = new Host({ config, executor, logger: silentLogger() });
  const running = new AbortController();
  const waiting = new AbortController();
  const first = host.recognize({ message: { text: 'slow' }, signal: running.signal });
  const second = host.recognize({ message: { text: 'slow too' }, signal: waiting.signal });
  await new Promise((r) => setImmediate(r));
  waiting.abort();
  await assert.rejects(second);
  running.abort();
  await assert.rejects(first);
  assert.equal(seen.length, 1, 'the waiting job never reached the executor');
  assert.ok(seen[0]!.aborted, 'the running job saw its signal abort');
  const quick = await host.recognize({ message: { text: 'quick' } });
  assert.equal(quick?.recognition.text, 'quick', 'the lane is free again');
});

test('bots cut text past their platform limit with a warning; other text is left alone', async () => {
  const config = chatTestConfig({ limits: { textChars: { discord: 10, telegram: 20, api: 30 } } });
  const got: string[] = [];
  const executor: RecognitionExecutor = { kind: 'test', recognize: async (m) => (got.push(m.text), emptyRecognition(m)) };
  const host = new Host({ config, executor, logger: silentLogger() });
  const long = 'x'.repeat(50);
  const discord = await host.processor.process({
    fromBot: false,
    userId: 'u',
    communityId: 'discord:1',
    text: long,
    imageCount: 0,
    record: false,
  });
  const telegram = await host.processor.process({
    fromBot: false,
    userId: 'u',
    communityId: 'telegram:1',
    text: long,
    imageCount: 0,
    record: false,
  });
  const short = await host.processor.process({
    fromBot: false,
    userId: 'u',
    communityId: 'telegram:1',
    text: 'short',
    imageCount: 0,
    record: false,
  });
  assert.deepEqual(
    got.map((t) => t.length),
    [10, 20, 5],
  );
  for (const outcome of [discord, telegram]) {
    assert.ok(outcome.kind === 'recognized');
    assert.equal(outcome.recognition.warnings[0]?.code, 'text.truncated');
    assert.match(outcome.recognition.warnings[0]!.message, /50 characters was cut to the first (10|20) \(limits\.textChars\)/);
  }
  assert.ok(short.kind === 'recognized' && short.recognition.warnings.length === 0);
});
