import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiter } from '../../adapters/shared/rate-limit.ts';
import { QueueFullError, WorkQueue } from '../../adapters/shared/work-queue.ts';
import { Guards } from '../../adapters/shared/guards.ts';
import { MessageProcessor } from '../../adapters/shared/processor.ts';
import type { Message, Recognition } from '../../src/core/types.ts';
import { chatTestConfig } from './fixtures.ts';

test('token bucket: a minute of burst, then refill at the configured rate', () => {
  let now = 0;
  const rl = new RateLimiter(3, () => now);
  assert.deepEqual([rl.take('u'), rl.take('u'), rl.take('u'), rl.take('u')], [true, true, true, false]);
  assert.equal(rl.waitMs('u'), 20_000);
  assert.equal(rl.take('v'), true, 'keys are independent');
  now = 20_000;
  assert.equal(rl.take('u'), true);
  assert.equal(rl.take('u'), false);
});

test('token bucket memory stays bounded under many distinct keys', () => {
  let now = 0;
  const rl = new RateLimiter(5, () => now, 1000);
  for (let i = 0; i < 10_000; i++) {
    rl.take(`user-${i}`);
    now += 1;
  }
  assert.ok(rl.size <= 1000, `tracked ${rl.size} keys`);
});

test('work queue: concurrency cap, bounded waiting, immediate refusal past the bound', async () => {
  const q = new WorkQueue(2, 3);
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const task = () =>
    q.run(async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => gates.push(r));
      running--;
    });
  const accepted = Array.from({ length: 5 }, task);
  await assert.rejects(task(), QueueFullError);
  assert.deepEqual({ ...q.stats(), completed: 0 }, { running: 2, waiting: 3, peakWaiting: 3, completed: 0, refused: 1 });
  while (gates.length || q.stats().running) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(accepted);
  await q.idle();
  assert.equal(peak, 2);
  assert.equal(q.stats().completed, 5);
});

test('processor: bots and empty messages are dismissed before any work; rate limits refuse politely once', async () => {
  const config = chatTestConfig({ guards: { perUserPerMinute: 2, perCommunityPerMinute: 100, queueSize: 10, concurrency: 1 } });
  const seen: Message[] = [];
  const engine = {
    async recognize(m: Message): Promise<Recognition> {
      seen.push(m);
      return { text: m.text, language: 'en', entities: [], ocr: [], captions: [], timings: {}, warnings: [], droppedEntities: 0 };
    },
  };
  const p = new MessageProcessor({ engine, config, guards: new Guards(config.guards), log: () => {} });
  const base = { userId: 'u1', communityId: 'c1', imageCount: 0, record: false };
  assert.deepEqual(await p.process({ ...base, fromBot: true, text: 'hi' }), { kind: 'dismissed', reason: 'bot' });
  assert.deepEqual(await p.process({ ...base, fromBot: false, text: '  \n ' }), { kind: 'dismissed', reason: 'empty' });
  let loads = 0;
  const withImages = { ...base, fromBot: false, text: '', imageCount: 1, loadImages: async () => (loads++, []) };
  assert.deepEqual(await p.process(withImages), { kind: 'dismissed', reason: 'empty' }, 'an image that could not be loaded leaves nothing');
  assert.equal(loads, 1);
  assert.equal((await p.process({ ...base, fromBot: false, text: 'one' })).kind, 'recognized', 'the second of two tokens');
  const first = await p.process({ ...base, fromBot: false, text: 'two' });
  assert.deepEqual(first.kind === 'refused' && [first.reason, first.notify], ['user_rate', true]);
  const second = await p.process({ ...base, fromBot: false, text: 'three' });
  assert.deepEqual(second.kind === 'refused' && [second.reason, second.notify], ['user_rate', false], 'only the first refusal in a minute is announced');
  assert.equal((await p.process({ ...base, userId: 'u2', fromBot: false, text: 'four' })).kind, 'recognized', 'other users are not affected');
  assert.deepEqual(seen.map((m) => m.text), ['one', 'four'], 'dismissed and refused messages never reached the engine');
});
