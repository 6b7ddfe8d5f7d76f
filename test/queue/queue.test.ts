// Recognition on BullMQ against a real redis-server: the producer serve uses, the worker
// `ekmm worker` runs (both in this process here; test/queue/processes.test.ts runs them as
// separate processes), retries, job timeouts, the reply timeout and the operator's failed list.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';
import { createEngine, type Engine } from '../../src/app/engine.ts';
import type { Message, Recognition } from '../../src/core/types.ts';
import { decodeJob, encodeJob, JobDataError } from '../../src/queue/codec.ts';
import { describeRedisUrl } from '../../src/queue/connection.ts';
import { openQueueAdmin } from '../../src/queue/admin.ts';
import type { RecognizingEngine } from '../../src/host/executor.ts';
import { JobFailedError, QueueExecutor, ReplyTimeoutError } from '../../src/queue/producer.ts';
import { recognizeJob, startRecognitionWorker } from '../../src/queue/worker.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import { ekmm } from '../support/cli.ts';
import { startRedis } from '../support/redis.ts';
import { createLogger } from '../../src/observability/logger.ts';

const quiet = createLogger({ level: 'silent' });

const GAZETTEER = { LOC: ['Paris', 'Berlin'], PER: ['Angela Merkel'] };

function queueConfig(url: string, queue: Record<string, unknown> = {}): EkmmConfig {
  return loadConfig({
    env: {},
    overrides: {
      cache: { enabled: false },
      ocr: { backend: 'none' },
      stats: { url: 'memory://' },
      recognizer: { backends: ['gazetteer'], fallback: 'none', gazetteer: { entries: GAZETTEER } },
      queue: { url, name: `test-${process.pid}-${Math.random().toString(36).slice(2, 8)}`, backoffMs: 50, replyTimeoutMs: 5000, ...queue },
    },
  });
}

/** Fault injection around the real engine: the first `failures` calls throw, the first `hangs` never return in time. */
class Faulty implements RecognizingEngine {
  calls = 0;
  constructor(
    private readonly engine: Engine,
    private readonly faults: { failures?: number; hangMs?: number; hangs?: number },
  ) {}
  async recognize(message: Message): Promise<Recognition> {
    const n = ++this.calls;
    if (n <= (this.faults.failures ?? 0)) throw new Error(`injected failure ${n}`);
    if (n <= (this.faults.hangs ?? 0)) await new Promise((r) => setTimeout(r, this.faults.hangMs ?? 1000));
    return this.engine.recognize(message);
  }
}

async function harness(config: EkmmConfig, faults: ConstructorParameters<typeof Faulty>[1] = {}) {
  const engine = await createEngine(config);
  const opened = await openEntityStats(config, { registries: engine.registries });
  const faulty = new Faulty(engine, faults);
  const worker = await startRecognitionWorker(config, { engine: faulty, stats: opened.stats }, { logger: quiet });
  await worker.ready();
  const producer = await QueueExecutor.start(config, { logger: quiet });
  return {
    engine,
    stats: opened.stats,
    faulty,
    worker,
    producer,
    async close() {
      await producer.close();
      await worker.close();
      await opened.close();
      await engine.close();
    },
  };
}

const countAs = { communityId: 'test:c1', channelId: 'ch' };
const counted = (id: string) => ({ ...countAs, messageId: id });
const message = (id: string, text = 'Angela Merkel flew from Paris to Berlin'): Message => ({
  text,
  communityId: 'test:c1',
  channelId: 'ch',
  userId: 'u1',
  messageId: id,
});

describe('queue codec', () => {
  test('a message with image bytes and ids survives the trip through JSON', () => {
    const bytes = new Uint8Array([137, 80, 78, 71, 0, 255, 1, 2]);
    const request = {
      message: {
        text: 'hi',
        images: [
          { kind: 'bytes' as const, bytes, name: 'a.png' },
          { kind: 'url' as const, url: 'https://x/y.png' },
        ],
        language: 'en' as const,
        communityId: 'c',
        messageId: 'm',
      },
      countAs: { communityId: 'c', messageId: 'm' },
    };
    const back = decodeJob(JSON.parse(JSON.stringify(encodeJob(request))));
    assert.deepEqual(back.countAs, { communityId: 'c', messageId: 'm' });
    assert.equal(back.message.text, 'hi');
    assert.equal(back.message.messageId, 'm');
    const [img, url] = back.message.images!;
    assert.ok(img?.kind === 'bytes' && Buffer.from(img.bytes).equals(Buffer.from(bytes)) && img.name === 'a.png');
    assert.deepEqual(url, { kind: 'url', url: 'https://x/y.png' });
  });

  test('paths do not travel, and malformed job data names the field', () => {
    assert.throws(() => encodeJob({ message: { text: '', images: [{ kind: 'path', path: '/etc/x.png' }] } }), /image 0 is a local path/);
    assert.throws(
      () => decodeJob({ v: 1, message: { text: 3 } }),
      (e: Error) => e instanceof JobDataError && /message\.text must be a string/.test(e.message),
    );
    assert.throws(
      () => decodeJob({ v: 1, message: { text: '', images: [{ kind: 'file' }] } }),
      /images\[0\]\.kind must be "bytes" or "url"/,
    );
    assert.throws(() => decodeJob({ v: 2, message: { text: '' } }), /version 2 is not supported/);
    assert.throws(() => decodeJob({ v: 1, message: { text: '', language: 'fr' } }), /language must be en, zh or auto/);
  });

  test('a Redis URL is described without its password', () => {
    assert.equal(describeRedisUrl('redis://user:hunter2@10.0.0.1:6379/2'), 'redis://user:***@10.0.0.1:6379/2');
    assert.equal(describeRedisUrl('redis://10.0.0.1:6379'), 'redis://10.0.0.1:6379');
  });
});

describe('ekmm worker / ekmm queue usage', () => {
  test('without queue.url the worker refuses, and retry without ids or --all is a usage error (exit 2)', () => {
    const noUrl = ekmm('worker');
    assert.equal(noUrl.code, 2, noUrl.err);
    assert.match(noUrl.err, /queue\.url is not set/);
    const retry = ekmm('queue', 'retry');
    assert.equal(retry.code, 2, 'retry needs ids or --all');
    assert.match(retry.err, /needs job ids or --all/);
  });
});

describe('worker job', () => {
  test('a job run again after its worker died past the count is not counted twice (idempotent by message id)', async () => {
    const config = queueConfig('redis://127.0.0.1:1');
    const engine = await createEngine(config);
    const opened = await openEntityStats(config, { registries: engine.registries });
    try {
      const request = { message: message('m-crash'), countAs: counted('m-crash') };
      // The first attempt counted and then its process died before BullMQ heard of it; the retry runs the same job.
      const first = await recognizeJob(request, { engine, stats: opened.stats }, new AbortController().signal);
      const retry = await recognizeJob(request, { engine, stats: opened.stats }, new AbortController().signal);
      assert.equal(first.counted, 3);
      assert.equal(retry.counted, 0);
      assert.equal(retry.recognition.entities.length, 3, 'the retry still answers');
      assert.equal(await opened.stats.total('test:c1'), 3);
      const aborted = new AbortController();
      aborted.abort();
      await assert.rejects(
        recognizeJob({ message: message('m-late'), countAs: counted('m-late') }, { engine, stats: opened.stats }, aborted.signal),
      );
      assert.equal(await opened.stats.total('test:c1'), 3, 'a timed-out attempt records nothing');
    } finally {
      await opened.close();
      await engine.close();
    }
  });
});

describe('recognition on BullMQ (real redis-server)', () => {
  test('a job goes through a worker, comes back with entities, and is counted once on the worker side', { timeout: 60_000 }, async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const h = await harness(queueConfig(redis.url));
    try {
      const out = await h.producer.execute({ message: message('m1'), countAs: counted('m1') });
      assert.deepEqual(out.recognition.entities.map((e) => `${e.type}:${e.text}`).sort(), ['LOC:Berlin', 'LOC:Paris', 'PER:Angela Merkel']);
      assert.equal(out.counted, 3);
      const lookup = await h.producer.execute({ message: message('m2') });
      assert.equal(lookup.counted, 0, 'a lookup is not counted');
      assert.equal(await h.stats.total('test:c1'), 3);
      assert.deepEqual(await h.producer.notReady(), []);
      const depth = await h.producer.depth();
      assert.equal(depth.waiting, 0);
    } finally {
      await h.close();
    }
  });

  test('a failing attempt is retried with backoff; the answer still arrives', { timeout: 60_000 }, async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const h = await harness(queueConfig(redis.url, { attempts: 3, backoffMs: 100 }), { failures: 2 });
    try {
      const t0 = Date.now();
      const out = await h.producer.execute({ message: message('m1'), countAs: counted('m1') });
      assert.equal(out.counted, 3);
      assert.equal(h.faulty.calls, 3, 'two failures then success');
      // Exponential: 100 ms then 200 ms before the third attempt.
      assert.ok(Date.now() - t0 >= 300, `backoff waited ${Date.now() - t0} ms`);
      assert.equal(await h.stats.total('test:c1'), 3);
    } finally {
      await h.close();
    }
  });

  test('a job past jobTimeoutMs fails its attempt, is retried, and its late result is not counted', { timeout: 60_000 }, async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const h = await harness(queueConfig(redis.url, { jobTimeoutMs: 300, attempts: 2, backoffMs: 10 }), { hangs: 1, hangMs: 800 });
    try {
      const out = await h.producer.execute({ message: message('m1'), countAs: counted('m1') });
      assert.equal(out.counted, 3);
      assert.equal(h.faulty.calls, 2);
      await new Promise((r) => setTimeout(r, 900)); // the first, timed-out attempt has finished by now
      assert.equal(await h.stats.total('test:c1'), 3, 'counted once, not twice');
    } finally {
      await h.close();
    }
  });

  test('every attempt failing: a JobFailedError, and the operator lists and retries it', { timeout: 90_000 }, async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const config = queueConfig(redis.url, { attempts: 2, backoffMs: 10 });
    const h = await harness(config, { failures: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'ekmm-queue-'));
    try {
      await assert.rejects(h.producer.execute({ message: message('m-bad'), countAs: counted('m-bad') }), (err: Error) => {
        assert.ok(err instanceof JobFailedError, err.message);
        assert.match(err.message, /failed after 2 attempt\(s\): injected failure 2/);
        return true;
      });
      const file = join(dir, 'queue.yaml');
      writeFileSync(file, stringify({ queue: { url: redis.url, name: config.queue.name } }));
      const listed = ekmm('queue', 'failed', '--json', '--config', file);
      assert.equal(listed.code, 0, listed.err);
      const body = JSON.parse(listed.out) as {
        total: number;
        jobs: { id: string; error: string; attempts: number; community: string; messageId: string }[];
      };
      assert.equal(body.total, 1);
      assert.equal(body.jobs[0]!.error, 'injected failure 2');
      assert.equal(body.jobs[0]!.attempts, 2);
      assert.equal(body.jobs[0]!.messageId, 'm-bad');
      assert.doesNotMatch(listed.out, /Angela/, 'the listing never shows the message text');
      const human = ekmm('queue', 'failed', '--config', file);
      assert.match(human.out, /1 failed job\n.*message m-bad.*\n {4}error: injected failure 2/);

      // The fault is gone now (the faulty recognizer only failed twice): a retry succeeds.
      const retried = ekmm('queue', 'retry', body.jobs[0]!.id, '--config', file);
      assert.equal(retried.code, 0, retried.err);
      assert.match(retried.out, new RegExp(`retrying job ${body.jobs[0]!.id}`));
      for (let i = 0; i < 100 && (await h.stats.total('test:c1')) < 3; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(await h.stats.total('test:c1'), 3, 'the retried job ran and was counted');
      assert.equal(ekmm('queue', 'retry', 'no-such-id', '--config', file).code, 1);
      const admin = await openQueueAdmin(config);
      assert.equal(await admin.retryAll(), 0, 'nothing left failed');
      await admin.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await h.close();
    }
  });

  test('no worker: the caller gets a ReplyTimeoutError after replyTimeoutMs, and the job is withdrawn', { timeout: 30_000 }, async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const config = queueConfig(redis.url, { replyTimeoutMs: 600 });
    const producer = await QueueExecutor.start(config, { logger: quiet });
    try {
      assert.match((await producer.notReady()).join('; '), /no recognition worker is connected/);
      const t0 = Date.now();
      await assert.rejects(producer.execute({ message: message('m1'), countAs: counted('m1') }), (err: Error) => {
        assert.ok(err instanceof ReplyTimeoutError);
        assert.match(err.message, /no recognition worker answered within 600 ms/);
        return true;
      });
      const waited = Date.now() - t0;
      assert.ok(waited >= 550 && waited < 3000, `waited ${waited} ms`);
      for (let i = 0; i < 50 && (await producer.depth()).waiting! > 0; i++) await new Promise((r) => setTimeout(r, 20));
      assert.equal((await producer.depth()).waiting, 0, 'the unanswered job is not left for a worker to count later');
    } finally {
      await producer.close();
    }
  });

  test('serve cannot reach Redis: start-up fails fast with the address, not the password', { timeout: 30_000 }, async () => {
    const config = queueConfig('redis://ekmm:hunter2@127.0.0.1:1');
    await assert.rejects(QueueExecutor.start(config, { logger: quiet }), (err: Error) => {
      assert.match(err.message, /cannot connect to Redis: .*ECONNREFUSED/);
      assert.doesNotMatch(err.message, /hunter2/);
      return true;
    });
  });
});
