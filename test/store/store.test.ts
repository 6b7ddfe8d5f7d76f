import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, startRedis } from '../support/redis.ts';
import { openStore, sqliteFileFromUrl } from '../../src/store/open.ts';
import { isIterableStore, type Store } from '../../src/core/stages.ts';
import { createRegistries } from '../../src/core/registry.ts';
import registerStores from '../../src/store/register.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function collect(store: Store, prefix: string): Promise<Record<string, unknown>> {
  assert.ok(isIterableStore(store), `${store.name} should be iterable`);
  const out: Record<string, unknown> = {};
  for await (const [k, v] of store.iterate(prefix)) out[k] = v;
  return out;
}

async function exerciseStore(store: Store): Promise<void> {
  await store.set('stats:c1:2026-11-27', { messages: 3, entities: { PER: 2 } });
  await store.set('stats:c1:2026-11-28', { messages: 1, entities: {} });
  await store.set('stats:c2:2026-11-27', { messages: 9, entities: {} });
  await store.set('cache:x', 'value with ünïcode 中文');
  await store.set('short', 42, 400);
  assert.deepEqual(await store.get('stats:c1:2026-11-27'), { messages: 3, entities: { PER: 2 } });
  assert.equal(await store.get('cache:x'), 'value with ünïcode 中文');
  assert.equal(await store.get('missing'), undefined);
  assert.equal(await store.get('short'), 42);
  assert.deepEqual(Object.keys(await collect(store, 'stats:c1:')).sort(), ['stats:c1:2026-11-27', 'stats:c1:2026-11-28']);
  assert.equal(Object.keys(await collect(store, 'stats:')).length, 3);
  assert.ok('short' in (await collect(store, 'sh')), 'short-lived key iterated before expiry');
  await sleep(450);
  assert.equal(await store.get('short'), undefined, 'TTL expired');
  assert.deepEqual(await collect(store, 'sh'), {}, 'expired keys are not iterated');
  // Writing while iterating must not deadlock or throw (statistics retention does this).
  for await (const [k] of (store as Store & { iterate(p: string): AsyncIterable<[string, unknown]> }).iterate('stats:c2:')) {
    assert.equal(await store.delete(k), true);
  }
  assert.equal(await store.get('stats:c2:2026-11-27'), undefined);
  assert.equal(await store.delete('stats:c2:2026-11-27'), false);
  await assert.rejects(store.set('u', undefined), /undefined/);
}

describe('stores', () => {
  test('memory:// store: get/set/delete, TTL, prefix iteration', async () => {
    const store = await openStore('memory://');
    await exerciseStore(store);
    await store.close();
    await assert.rejects(store.get('x'), /closed/);
  });

  test('sqlite:// store: same contract, persists across reopen, creates parent dirs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ekmm-store-'));
    try {
      const file = join(dir, 'nested', 'deeper', 'db.sqlite');
      const store = await openStore(`sqlite://${file}`);
      assert.ok(existsSync(file), 'database file created');
      await exerciseStore(store);
      await store.set('persist', { a: [1, 2, 3] }, 60_000);
      await store.close();
      const again = await openStore(`sqlite://${file}`);
      assert.deepEqual(await again.get('persist'), { a: [1, 2, 3] });
      assert.deepEqual(await again.get('stats:c1:2026-11-28'), { messages: 1, entities: {} });
      await again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('sqlite URLs: relative paths resolve against EKMM_HOME or the cwd (never the package), absolute stay', () => {
    const saved = process.env.EKMM_HOME;
    try {
      delete process.env.EKMM_HOME;
      assert.equal(sqliteFileFromUrl(new URL('sqlite://var/cache.sqlite')), join(process.cwd(), 'var/cache.sqlite'));
      process.env.EKMM_HOME = '/srv/ekmm-state';
      assert.equal(sqliteFileFromUrl(new URL('sqlite://var/cache.sqlite')), '/srv/ekmm-state/var/cache.sqlite');
    } finally {
      if (saved === undefined) delete process.env.EKMM_HOME;
      else process.env.EKMM_HOME = saved;
    }
    assert.equal(sqliteFileFromUrl(new URL('sqlite:///tmp/x/cache.sqlite')), '/tmp/x/cache.sqlite');
    assert.throws(() => sqliteFileFromUrl(new URL('sqlite://')), /names no file/);
  });

  test('bad URLs and unknown schemes name the problem', async () => {
    await assert.rejects(openStore('not a url'), /is not a URL/);
    await assert.rejects(openStore('mongodb://x'), /unknown scheme "mongodb".*sqlite/);
  });

  test('register.ts registers sqlite, memory and redis openers', async () => {
    const r = createRegistries();
    registerStores(r);
    assert.deepEqual(r.store.names(), ['memory', 'redis', 'rediss', 'sqlite']);
    const opener = await r.store.create('memory', { config: {} as never, registries: r });
    const store = await opener(new URL('memory://'));
    await store.set('k', 1);
    assert.equal(await store.get('k'), 1);
    await store.close();
  });

  test('redis:// store against a real redis-server (skipped when not installed, fails under CI)', async (t) => {
    const redis = await startRedis(t);
    if (!redis) return;
    const store = await openStore(redis.url);
    await exerciseStore(store);
    await store.close();
  });

  test('redis:// store: an unreachable server is a clear error', async () => {
    const port = await freePort();
    await assert.rejects(openStore(`redis://user:secret@127.0.0.1:${port}`), (err: Error) => {
      assert.match(err.message, /cannot connect to Redis/);
      assert.doesNotMatch(err.message, /secret/);
      return true;
    });
  });
});
