// The host: guards (rate-limiter-flexible), the one bounded queue (p-queue), the message
// processor, and statistics, with a fake executor so only the host's own logic is under test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Guards, Host, QueueFullError, WorkQueue, type RecognitionExecutor } from '../../src/host/index.ts';
import { openEntityStats } from '../../src/stats/open.ts';
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

test('guards: a user gets perUserPerMinute messages a minute, then a refusal with the wait; keys are independent', async () => {
  const config = chatTestConfig({ guards: { perUserPerMinute: 3, perCommunityPerMinute: 100 } });
  const guards = new Guards(config.guards);
  const taken = [];
  for (let i = 0; i < 4; i++) taken.push((await guards.admit('u', 'c')).ok);
  assert.deepEqual(taken, [true, true, true, false]);
  const refused = await guards.admit('u', 'c');
  assert.ok(!refused.ok && refused.reason === 'user_rate');
  assert.ok(!refused.ok && refused.retryAfterMs > 0 && refused.retryAfterMs <= 60_000, 'the wait is within the minute window');
  assert.equal((await guards.admit('v', 'c')).ok, true, 'another user is not affected');
});

test('guards: a busy community is refused for everyone in it, not elsewhere', async () => {
  const config = chatTestConfig({ guards: { perUserPerMinute: 100, perCommunityPerMinute: 2 } });
  const guards = new Guards(config.guards);
  assert.equal((await guards.admit('a', 'c1')).ok, true);
  assert.equal((await guards.admit('b', 'c1')).ok, true);
  const third = await guards.admit('c', 'c1');
  assert.deepEqual(third.ok ? 'ok' : [third.reason, third.notify], ['community_rate', true]);
  assert.equal((await guards.admit('c', 'c2')).ok, true);
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
  const executor: RecognitionExecutor = {
    kind: 'test',
    async recognize(m) {
      seen.push(m);
      return emptyRecognition(m);
    },
  };
  const p = new Host({ config, executor, logger: silentLogger() }).processor;
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
  assert.deepEqual(
    second.kind === 'refused' && [second.reason, second.notify],
    ['user_rate', false],
    'only the first refusal in a minute is announced',
  );
  assert.equal(
    (await p.process({ ...base, userId: 'u2', fromBot: false, text: 'four' })).kind,
    'recognized',
    'other users are not affected',
  );
  assert.deepEqual(
    seen.map((m) => m.text),
    ['one', 'four'],
    'dismissed and refused messages never reached the executor',
  );
  assert.deepEqual(p.tally, { dismissed: 3, refused: 2, recognized: 2, failed: 0 });
});

test('one queue per lane for every adapter: the text lane bounds chat and web text together', async () => {
  const config = chatTestConfig({
    guards: { perUserPerMinute: 100, perCommunityPerMinute: 100, queueSize: 10, concurrency: 1 },
    limits: { textLane: { concurrency: 2, queueSize: 10 } },
  });
  let running = 0;
  let peak = 0;
  const gates: (() => void)[] = [];
  const executor: RecognitionExecutor = {
    kind: 'test',
    async recognize(m) {
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((r) => gates.push(r));
      running--;
      return emptyRecognition(m);
    },
  };
  const host = new Host({ config, executor, logger: silentLogger() });
  // Three "adapters" at once: two chat messages through the processor, two web requests straight to the host.
  const chat = [1, 2].map((i) =>
    host.processor.process({ fromBot: false, userId: `u${i}`, communityId: 'telegram:1', text: `m${i}`, imageCount: 0, record: false }),
  );
  const web = [1, 2].map((i) => host.recognize({ message: { text: `w${i}` } }));
  await new Promise((r) => setImmediate(r));
  assert.deepEqual([host.textQueue.stats().running, host.textQueue.stats().waiting], [2, 2], 'two run, two wait: the bound is the total');
  assert.deepEqual([host.queue.stats().running, host.queue.stats().waiting], [0, 0], 'text never enters the image lane');
  while (gates.length || host.textQueue.stats().running || host.textQueue.stats().waiting) {
    gates.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all([...chat, ...web]);
  assert.equal(peak, 2);
});

test('host counts a message under its community, passing the message id to the statistics', async () => {
  const config = chatTestConfig();
  const opened = await openEntityStats(config);
  try {
    const executor: RecognitionExecutor = {
      kind: 'test',
      recognize: async (m) => ({
        ...emptyRecognition(m),
        entities: [{ text: 'Paris', type: 'LOC', start: 0, end: 5, source: 'text', backend: 'test' }],
      }),
    };
    const host = new Host({ config, executor, stats: opened.stats, logger: silentLogger() });
    const done = await host.recognize({ message: { text: 'Paris' }, countAs: { communityId: 'web:c', messageId: 'm-1' } });
    assert.equal(done?.counted, 1);
    assert.equal(await opened.stats.total('web:c'), 1);
    const lookup = await host.recognize({ message: { text: 'Paris' } });
    assert.equal(lookup?.counted, 0, 'without countAs nothing is counted');
    assert.equal(await opened.stats.total('web:c'), 1);
  } finally {
    await opened.close();
  }
});

test('work queue: an abort removes a waiting task, but a running task keeps its slot until it ends', async () => {
  const q = new WorkQueue(1, 5);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const running = new AbortController();
  const first = q.run(
    async ({ signal }) => {
      await gate;
      return signal?.aborted ? 'saw the abort' : 'ran';
    },
    { signal: running.signal },
  );
  const waiting = new AbortController();
  let secondRan = false;
  const second = q.run(
    async () => {
      secondRan = true;
    },
    { signal: waiting.signal },
  );
  assert.deepEqual([q.stats().running, q.stats().waiting], [1, 1]);
  waiting.abort(new Error('client gone'));
  await assert.rejects(second, /client gone/);
  assert.equal(q.stats().waiting, 0, 'the aborted task left the queue');
  running.abort(new Error('too late'));
  const third = q.run(async () => 'third');
  assert.deepEqual([q.stats().running, q.stats().waiting], [1, 1], 'the aborted running task still holds the only slot');
  release();
  assert.equal(await first, 'saw the abort', 'the running task got the signal and finished');
  assert.equal(await third, 'third');
  assert.equal(secondRan, false);
  await assert.rejects(
    q.run(async () => 1, { signal: AbortSignal.abort(new Error('already')) }),
    /already/,
  );
});
