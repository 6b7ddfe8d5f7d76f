// Watchlist matching, and alerts once per message when BullMQ workers recognize and count:
// a real redis-server holds the queue, the statistics and the watchlist (stats.url redis://).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/load.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';
import type { Entity, Message, Recognition } from '../../src/core/types.ts';
import { createEngine } from '../../src/app/engine.ts';
import type { RecognizingEngine } from '../../src/host/executor.ts';
import { Host } from '../../src/host/index.ts';
import { QueueExecutor } from '../../src/queue/producer.ts';
import { startRecognitionWorker } from '../../src/queue/worker.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import { createLogger } from '../../src/observability/logger.ts';
import {
  entityEntry,
  parseWatchInput,
  typeEntry,
  WatchAlerts,
  type WatchInputError,
  WatchStore,
  watchKeys,
  type Alert,
} from '../../src/watch/index.ts';
import { deleteCommunityData } from '../../adapters/shared/community-data.ts';
import { startRedis } from '../support/redis.ts';

const quiet = createLogger({ level: 'silent' });
const TYPES = ['PER', 'LOC', 'ORG', 'MISC'];
const entity = (text: string, type: string, source: Entity['source'] = 'text', display?: string): Entity => ({
  text,
  type,
  source,
  start: 0,
  end: text.length,
  backend: 'test',
  ...(display ? { display } : {}),
});

describe('watchlist entries and matching', () => {
  test('input: names fold like the statistics, types must be known, bad input names the problem', () => {
    assert.deepEqual(parseWatchInput('  Taylor   Swift ', TYPES), { kind: 'entity', key: 'taylor swift', text: 'Taylor Swift' });
    assert.deepEqual(parseWatchInput('type:per', TYPES), { kind: 'type', type: 'PER' });
    assert.equal((entityEntry('ＴＡＹＬＯＲ') as { key: string }).key, 'taylor', 'width variants fold');
    assert.throws(
      () => typeEntry('DATE', TYPES),
      (e: WatchInputError) => e.problem === 'unknown-type' && e.detail === 'DATE',
    );
    assert.throws(
      () => parseWatchInput('   ', TYPES),
      (e: WatchInputError) => e.problem === 'empty',
    );
    assert.throws(
      () => parseWatchInput('x'.repeat(201), TYPES),
      (e: WatchInputError) => e.problem === 'too-long',
    );
  });

  test('match: folded names, a named entry before a type entry, image or text, one alert per entity', () => {
    const watched = [entityEntry('taylor swift'), typeEntry('LOC', TYPES)];
    const matches = WatchAlerts.match(
      [
        entity('TAYLOR SWIFT', 'PER', 'ocr'),
        entity('Taylor Swift', 'PER'),
        entity('Taylor Swift', 'PER', 'ocr'),
        entity('Paris', 'LOC', 'caption'),
        entity('Google', 'ORG'),
        entity('@ts', 'PER', 'text', 'Taylor Swift'),
      ],
      watched,
    );
    assert.equal(matches.length, 2);
    const [swift, paris] = matches;
    assert.equal(swift!.found.key, 'taylor swift');
    assert.equal(swift!.entry.kind, 'entity');
    assert.ok(swift!.found.fromImage && swift!.found.fromText);
    assert.equal(paris!.entry.kind, 'type');
    assert.ok(paris!.found.fromImage && !paris!.found.fromText, 'a caption is read from the image');
    assert.deepEqual(WatchAlerts.match([entity('Taylor Swift', 'PER')], []), []);
  });
});

/** The real engine (gazetteer, no OCR) behind a switch that fails the first `failures` attempts. */
class Flaky implements RecognizingEngine {
  calls = 0;
  constructor(
    private readonly engine: RecognizingEngine,
    private failures: number,
  ) {}
  async recognize(message: Message): Promise<Recognition> {
    this.calls++;
    if (this.failures-- > 0) throw new Error('injected worker failure');
    return this.engine.recognize(message);
  }
}

function config(redisUrl: string): EkmmConfig {
  return loadConfig({
    env: {},
    overrides: {
      cache: { enabled: false },
      ocr: { backend: 'none' },
      stats: { url: `${redisUrl}/3` },
      recognizer: { backends: ['gazetteer'], fallback: 'none', gazetteer: { entries: { PER: ['Angela Merkel'], LOC: ['Paris'] } } },
      queue: {
        url: redisUrl,
        name: `watch-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        backoffMs: 50,
        replyTimeoutMs: 10_000,
      },
    },
  });
}

test('with BullMQ workers counting, the serve host alerts exactly once per message (retries, redelivery) and the state lives in Redis', {
  timeout: 120_000,
}, async (t) => {
  // Stopped last, after every client closed (BullMQ's close waits for a Redis that went away).
  const redis = await startRedis(t, { stopAfterTest: false });
  if (!redis) return;
  const closers: Array<() => Promise<unknown>> = [];
  t.after(async () => {
    for (const close of closers.reverse()) await close().catch(() => {});
    await redis.stop(true);
  });
  const cfg = config(redis.url);
  let clock = Date.now();
  const now = () => new Date(clock);
  const engine = await createEngine(cfg);
  closers.push(() => engine.close());
  const flaky = new Flaky(engine, 1);
  // The worker process's side: it recognizes and counts.
  const workerStats = await openEntityStats(cfg);
  closers.push(() => workerStats.close());
  const worker = await startRecognitionWorker(cfg, { engine: flaky, stats: workerStats.stats }, { logger: quiet });
  closers.push(() => worker.close());
  await worker.ready();
  // The serve process's side: the queue executor, its own connection to the same stores.
  const producer = await QueueExecutor.start(cfg, { logger: quiet });
  closers.push(() => producer.close());
  let serve = await openEntityStats(cfg, { now });
  const sent: Alert[] = [];
  const open = (store: WatchStore) => {
    const watch = new WatchAlerts(store, { windowMinutes: 10, logger: quiet, now });
    watch.registerSink('test', { send: async (a) => void sent.push(a) });
    return { watch, host: new Host({ config: cfg, executor: producer, stats: serve.stats, watch, logger: quiet }) };
  };
  let { watch, host } = open(new WatchStore(serve.store));
  await watch.watchlists.add('test:c1', entityEntry('angela merkel'));
  const post = (messageId: string, text: string, communityId = 'test:c1') =>
    host.processor.process({ fromBot: false, userId: 'u1', communityId, channelId: 'ch', messageId, text, imageCount: 0, record: true });

  const first = await post('m1', 'Angela Merkel visits Paris');
  assert.equal(first.kind, 'recognized');
  await watch.idle();
  assert.equal(flaky.calls, 2, 'the first attempt failed and BullMQ retried it');
  assert.equal(await serve.stats.total('test:c1'), 2, 'the worker counted the message once');
  assert.equal(sent.length, 1, 'one alert for the one message');
  assert.deepEqual(
    { ...sent[0]!, at: undefined },
    {
      communityId: 'test:c1',
      channelId: 'ch',
      messageId: 'm1',
      entity: { text: 'Angela Merkel', type: 'PER', key: 'angela merkel' },
      watched: { kind: 'entity', key: 'angela merkel', text: 'angela merkel' },
      fromImage: false,
      fromText: true,
      at: undefined,
    },
  );

  // The platform delivers m1 again after the window: counted 0 times by the worker, and no alert.
  clock += 11 * 60_000;
  await post('m1', 'Angela Merkel visits Paris');
  await watch.idle();
  assert.equal(await serve.stats.total('test:c1'), 2);
  assert.equal(sent.length, 1, 'a redelivered message id gives no second alert');

  // Another community finding the same name gets nothing: its watchlist is empty.
  await post('x1', 'Angela Merkel again', 'test:c2');
  await watch.idle();
  assert.equal(sent.length, 1);

  // A new message in a new window alerts; within the window the next one does not.
  await post('m2', 'Angela Merkel');
  await post('m3', 'Angela Merkel');
  await watch.idle();
  assert.equal(sent.length, 2);
  assert.equal(watch.tally.limited, 1);

  // Restart of serve: the watchlist and the window are in Redis.
  await host.idle();
  await serve.close();
  serve = await openEntityStats(cfg, { now });
  ({ watch, host } = open(new WatchStore(serve.store)));
  assert.equal((await watch.watchlists.entries('test:c1')).length, 1);
  await post('m4', 'Angela Merkel');
  await watch.idle();
  assert.equal(sent.length, 2, 'the window survived the restart');

  // Deleting the community removes the list, the windows and the decided messages from Redis.
  const deleted = await deleteCommunityData(serve.stats, serve.store, 'test:c1');
  assert.ok(deleted.watch >= 5, `list + window + 4 decided messages, got ${deleted.watch}`);
  assert.equal(await serve.store.get(watchKeys.list('test:c1')), undefined);
  for await (const [k] of serve.store.iterate('watch:')) assert.ok(!k.includes('test%3Ac1'), `left behind: ${k}`);
  await host.idle();
  await serve.close();
});
