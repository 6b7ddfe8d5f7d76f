// The Redis backend's pre-summed blocks: windows are covered exactly, the threshold algorithm and
// the rising candidates inside Redis give the same answers as SQLite's plain GROUP BY on the same
// data (skewed and flat), retention removes blocks too, and data written by the daily-only layout
// gets its blocks at the next start.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import type { RecordInput } from '../../src/stats/entity-stats.ts';
import { addDays } from '../../src/stats/normalize.ts';
import { BLOCK_SPANS, blockLast, blocksContaining, coverWindow, dayNumber } from '../../src/stats/day-blocks.ts';
import type { RedisStatsBackend } from '../../src/stats/redis-backend.ts';
import type { SqliteStatsBackend } from '../../src/stats/sqlite-backend.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'ekmm-stats-blocks-'));
let redis: RedisServer | undefined;
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await redis?.stop();
});

function configFor(url: string, retentionDays = 90) {
  return loadConfig({ skipDefaultFile: true, env: {}, overrides: { stats: { url, retentionDays } } });
}

test('a window is covered by aligned blocks inside it, every day once', () => {
  let seed = 3;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 500; i++) {
    const first = addDays('2026-01-01', Math.floor(random() * 400));
    const last = addDays(first, Math.floor(random() * 120));
    const blocks = coverWindow({ first, last });
    let next = first;
    for (const b of blocks) {
      assert.equal(b.start, next, `blocks of ${first}..${last} are contiguous`);
      assert.equal(dayNumber(b.start) % b.span, 0, 'aligned');
      assert.ok(
        blocksContaining(b.start).some((c) => c.span === b.span && c.start === b.start),
        'a block the writers fill',
      );
      next = addDays(blockLast(b), 1);
    }
    assert.equal(next, addDays(last, 1), `the cover of ${first}..${last} ends on its last day`);
  }
  for (let k = 0; k < 64; k++) {
    const first = addDays('2026-01-01', k);
    assert.ok(coverWindow({ first, last: addDays(first, 89) }).length <= 17, 'a 90-day window reads at most 17 sets');
  }
  assert.deepEqual(
    blocksContaining('2026-03-10').map((b) => b.span),
    [...BLOCK_SPANS],
  );
});

/** Random messages: skewed counts (a few frequent entities, ties in the tail) or flat ones (each entity once). */
function messages(communityId: string, now: Date, flat: boolean): RecordInput[] {
  let seed = flat ? 11 : 5;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const out: RecordInput[] = [];
  for (let i = 0; i < 2500; i++) {
    const n = 1 + Math.floor(random() * 4);
    const entities = Array.from({ length: n }, (_, k) => ({
      text: flat ? `F${i}-${k}` : `E${Math.floor(random() ** 3 * 80)}`,
      type: random() < 0.5 ? 'PER' : random() < 0.5 ? 'ORG' : 'LOC',
    }));
    out.push({
      communityId,
      channelId: `c${Math.floor(random() * 3)}`,
      messageId: `m${i}`,
      entities,
      at: new Date(now.getTime() - Math.floor(random() * 90) * 86_400_000),
    });
  }
  return out;
}

test('redis top, pairs, rising and breakdown equal SQLite GROUP BY, over blocks and days, skewed and flat', async (t) => {
  redis = await startRedis(t, { stopAfterTest: false });
  if (!redis) return;
  const now = new Date('2026-04-30T12:00:00Z');
  const onRedis = await openEntityStats(configFor(redis.url), { now: () => now });
  const onSqlite = await openEntityStats(configFor(`sqlite://${join(dir, 'same.sqlite')}`), { now: () => now });
  // Closed however the test ends: an open client would keep reconnecting and the process alive.
  t.after(async () => {
    await onRedis.close();
    await onSqlite.close();
  });
  const sqlite = onSqlite.stats.backend as SqliteStatsBackend;
  const r = onRedis.stats.backend as RedisStatsBackend;
  for (const flat of [false, true]) {
    const c = flat ? 'flat' : 'skewed';
    const inputs = messages(c, now, flat);
    await onRedis.stats.recordMany(inputs);
    await onSqlite.stats.recordMany(inputs);
    for (const [days, channel, limit, types] of [
      [1, undefined, 5, undefined],
      [7, undefined, 10, undefined],
      [30, 'c1', 3, undefined],
      [90, undefined, 25, undefined],
      [90, undefined, 1, ['ORG']],
      [45, 'c2', 2, ['PER', 'LOC']],
      [64, undefined, 10, undefined],
    ] as const) {
      const window = onRedis.stats.window({ communityId: c, days });
      const slice = { communityId: c, window, ...(channel ? { channel } : {}), ...(types ? { types: [...types] } : {}) };
      const what = `${c}, ${days} days, channel ${channel}, limit ${limit}, types ${types}`;
      assert.deepEqual(await r.top(slice, limit), await sqlite.topByGrouping(slice, limit), `top: ${what}`);
      assert.deepEqual(await r.pairs(slice, limit), await sqlite.pairsByGrouping(slice, limit), `pairs: ${what}`);
      if (!channel && !types) {
        // The daily-only answers bench/stats.ts compares against.
        assert.deepEqual(await r.topByDailyUnion(slice, limit), await sqlite.topByGrouping(slice, limit), `daily union top: ${what}`);
        assert.deepEqual(await r.pairsByDailyUnion(slice, limit), await sqlite.pairsByGrouping(slice, limit), `daily union pairs: ${what}`);
      }
      const byKey = (rows: Array<{ type: string; entity: string }>) =>
        [...rows].sort((x, y) => `${x.type}\t${x.entity}`.localeCompare(`${y.type}\t${y.entity}`));
      const previousFirst = onRedis.stats.window({ communityId: c, days: Math.min(90, days * 2) }).first;
      for (const minCount of [1, 3, 40])
        assert.deepEqual(
          byKey(await r.rising(slice, previousFirst, minCount)),
          byKey(await sqlite.risingByGrouping(slice, previousFirst, minCount)),
          `rising (min ${minCount}): ${what}`,
        );
      const mixKey = (rows: Array<{ channel: string; type: string; source: string }>) =>
        [...rows].sort((x, y) => `${x.channel}\t${x.type}\t${x.source}`.localeCompare(`${y.channel}\t${y.type}\t${y.source}`));
      assert.deepEqual(mixKey(await r.mix(slice)), mixKey(await sqlite.mix(slice)), `mix: ${what}`);
    }
    assert.deepEqual(await onRedis.stats.rows({ communityId: c }), await onSqlite.stats.rows({ communityId: c }), `rows: ${c}`);
    assert.deepEqual(
      await onRedis.stats.series({ communityId: c, entities: [{ text: 'E0' }, { text: 'F1-0', type: 'PER' }] }),
      await onSqlite.stats.series({ communityId: c, entities: [{ text: 'E0' }, { text: 'F1-0', type: 'PER' }] }),
    );
  }
  assert.deepEqual(await onRedis.stats.communities(), await onSqlite.stats.communities());
  for (const c of ['flat', 'skewed']) await onRedis.stats.deleteCommunity(c);
});

test('redis retention and deletion remove the blocks too', async (t) => {
  redis ??= await startRedis(t, { stopAfterTest: false });
  if (!redis) return;
  const client = new Redis(redis.url);
  t.after(() => client.quit());
  let now = new Date('2026-02-10T10:00:00Z');
  const opened = await openEntityStats(configFor(redis.url, 20), { now: () => now });
  t.after(() => opened.close());
  const g = 'blocks-retention';
  const keys = async () => (await client.keys(`ekmm:stats:v2:${g}:*`)).sort();
  // 2026-02-10 lies in the 4-day block from 02-08 and the 16-day block from 01-27.
  await opened.stats.record({ communityId: g, channelId: 'c', entities: [{ text: 'Old', type: 'ORG' }] });
  const written = await keys();
  const ttlOf = (suffix: string) => {
    const key = written.find((w) => w.endsWith(suffix));
    assert.ok(key, `${suffix} written`);
    return client.ttl(key);
  };
  const ttlDay = await ttlOf(':z:2026-02-10:ORG');
  assert.ok((await ttlOf(':z4:2026-02-08:ORG')) <= ttlDay - 2 * 86_400, 'a block expires with its first day');
  const ttl16 = await ttlOf(':z16:2026-01-27:ORG');
  assert.ok(
    Math.abs(ttl16 - (ttlDay - 14 * 86_400)) < 5,
    `the 16-day block from 01-27 expires 14 days before 02-10's keys (${ttl16} s vs ${ttlDay} s)`,
  );
  await ttlOf(':zc16:2026-01-27:c:ORG');
  await ttlOf(':m16:2026-01-27');
  now = new Date('2026-02-18T10:00:00Z'); // window 01-30..02-18: the blocks from 01-27 are out, the 4-day block from 02-08 in
  await opened.stats.prune();
  const left = await keys();
  assert.ok(!left.some((k) => /:(?:z|zc|m)16:2026-01-27/.test(k)), 'blocks that start before retention are pruned');
  assert.ok(
    left.some((k) => /:z4:2026-02-08:/.test(k)),
    'the block inside retention stays',
  );
  assert.deepEqual((await opened.stats.top({ communityId: g })).ORG?.[0]?.count, 1);
  assert.ok((await opened.stats.deleteCommunity(g)) > 0);
  assert.deepEqual(await keys(), [], 'deleteCommunity removes every key, blocks included');
});

test('redis data written by the daily-only layout gets its blocks at the next start', async (t) => {
  redis ??= await startRedis(t, { stopAfterTest: false });
  if (!redis) return;
  const client = new Redis(redis.url);
  t.after(() => client.quit());
  const now = new Date('2026-04-30T12:00:00Z');
  const g = 'old-layout';
  let opened = await openEntityStats(configFor(redis.url), { now: () => now });
  t.after(() => opened.close());
  const inputs = messages(g, now, false).slice(0, 800);
  await opened.stats.recordMany(inputs);
  const before = {
    top: await opened.stats.top({ communityId: g, days: 90 }),
    pairs: await opened.stats.pairs({ communityId: g, days: 60, channelId: 'c0' }),
    breakdown: await opened.stats.breakdown({ communityId: g, days: 70 }),
  };
  await opened.close();
  // What the previous version left: day keys only, and no layout record.
  const blockKeys = (await client.keys(`ekmm:stats:v2:${g}:*`)).filter((k) => /:(?:z|zc|zp|zpc|m)\d+:/.test(k));
  assert.ok(blockKeys.length > 10);
  // And a block of a span no longer written, which the upgrade removes.
  await client.zadd(`ekmm:stats:v2:${g}:z64:2026-01-27:PER`, 5, 'stale');
  await client.del(...blockKeys, 'ekmm:stats:v2:layout');
  opened = await openEntityStats(configFor(redis.url), { now: () => now });
  assert.equal(await client.get('ekmm:stats:v2:layout'), `blocks:${BLOCK_SPANS.join(',')}`);
  assert.equal(await client.exists(`ekmm:stats:v2:${g}:z64:2026-01-27:PER`), 0);
  assert.deepEqual(await opened.stats.top({ communityId: g, days: 90 }), before.top);
  assert.deepEqual(await opened.stats.pairs({ communityId: g, days: 60, channelId: 'c0' }), before.pairs);
  assert.deepEqual(await opened.stats.breakdown({ communityId: g, days: 70 }), before.breakdown);
  // New writes after the upgrade add to days and blocks alike.
  await opened.stats.record({ communityId: g, channelId: 'c0', entities: [{ text: 'E0', type: 'PER' }] });
  const e0 = (await opened.stats.top({ communityId: g, days: 90, types: ['PER'], limit: 100 })).PER?.find((e) => e.entity === 'e0');
  const e0Before = before.top.PER?.find((e) => e.entity === 'e0');
  assert.equal(e0?.count, (e0Before?.count ?? 0) + 1);
  await opened.stats.deleteCommunity(g);
});
