import { test, describe, after } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { openEntityStats } from '../../src/stats/open.ts';
import { normalizeEntityText } from '../../src/stats/normalize.ts';
import { rowsToCsv } from '../../src/stats/export.ts';
import { startRedis, type RedisServer } from '../support/redis.ts';

const dir = mkdtempSync(join(tmpdir(), 'ekmm-stats-'));
let redis: Promise<RedisServer | undefined> | undefined;
after(async () => {
  rmSync(dir, { recursive: true, force: true });
  await (await redis)?.stop();
});

type Kind = 'sqlite' | 'redis';

/** A fresh stats URL for one test: its own sqlite file, or the shared redis-server (tests use distinct community ids). */
async function urlFor(t: TestContext, kind: Kind, name: string): Promise<string | undefined> {
  if (kind === 'sqlite') return `sqlite://${join(dir, `${name}.sqlite`)}`;
  redis ??= startRedis(t, { stopAfterTest: false });
  const server = await redis;
  if (!server) t.skip('redis-server not installed');
  return server?.url;
}

function configFor(url: string, retentionDays = 90) {
  return loadConfig({ skipDefaultFile: true, env: {}, overrides: { stats: { url, retentionDays } } });
}

test('normalization: NFKC, case folding, collapsed whitespace', () => {
  assert.equal(normalizeEntityText('  Barack\t\n OBAMA '), 'barack obama');
  assert.equal(normalizeEntityText('Ｐａｒｉｓ'), 'paris'); // full-width letters fold under NFKC
  assert.equal(normalizeEntityText('Straße'), normalizeEntityText('STRASSE'));
  assert.equal(normalizeEntityText('ﬁat'), 'fiat');
  assert.equal(normalizeEntityText('北京'), '北京');
});

for (const kind of ['sqlite', 'redis'] as const) {
  describe(`${kind} statistics`, () => {
    test('counts per day and channel, top-N by type in the most frequent surface form, and they survive reopening', async (t) => {
      const url = await urlFor(t, kind, 'restart');
      if (!url) return;
      const config = configFor(url);
      const at = new Date('2026-03-10T12:00:00Z');
      let opened = await openEntityStats(config, { now: () => at });
      const g = `g1-${kind}`;
      await opened.stats.record({
        communityId: g,
        channelId: 'c1',
        entities: [
          { text: 'Barack Obama', type: 'PER' },
          { text: 'Paris', type: 'LOC' },
        ],
      });
      await opened.stats.record({
        communityId: g,
        channelId: 'c2',
        entities: [
          { text: 'barack  obama', type: 'PER' },
          { text: 'Angela Merkel', type: 'PER' },
        ],
      });
      await opened.stats.record({
        communityId: g,
        channelId: 'c1',
        entities: [{ text: 'Barack Obama', type: 'PER' }],
        at: new Date('2026-03-09T08:00:00Z'),
      });
      await opened.close();

      opened = await openEntityStats(config, { now: () => at });
      const top = await opened.stats.top({ communityId: g, days: 7 });
      assert.deepEqual(top.PER, [
        { entity: 'barack obama', label: 'Barack Obama', count: 3 },
        { entity: 'angela merkel', label: 'Angela Merkel', count: 1 },
      ]);
      assert.deepEqual(top.LOC, [{ entity: 'paris', label: 'Paris', count: 1 }]);
      const c1 = await opened.stats.top({ communityId: g, days: 7, channelId: 'c1' });
      assert.deepEqual(c1.PER, [{ entity: 'barack obama', label: 'Barack Obama', count: 2 }]);
      const today = await opened.stats.top({ communityId: g, days: 1 });
      assert.deepEqual(
        today.PER?.map((e) => [e.entity, e.count]),
        [
          ['barack obama', 2],
          ['angela merkel', 1],
        ],
      );
      const perOnly = await opened.stats.top({ communityId: g, days: 7, types: ['LOC'] });
      assert.deepEqual(Object.keys(perOnly), ['LOC']);
      const rows = await opened.stats.rows({ communityId: g });
      assert.deepEqual(
        rows.map((r) => `${r.day}/${r.channel}/${r.type}/${r.entity}=${r.count}`),
        [
          '2026-03-09/c1/PER/barack obama=1',
          '2026-03-10/c1/LOC/paris=1',
          '2026-03-10/c1/PER/barack obama=1',
          '2026-03-10/c2/PER/angela merkel=1',
          '2026-03-10/c2/PER/barack obama=1',
        ],
      );
      await opened.close();
    });

    test('no leakage between communities, even with ids that look like key prefixes or patterns', async (t) => {
      const url = await urlFor(t, kind, 'isolation');
      if (!url) return;
      const opened = await openEntityStats(configFor(url));
      const ids = ['1', '12', 'a', 'a:b', 'a:2026-01-01:x', 'a%3Ab', 'a*', 'a?', `x-${kind}`];
      for (const [i, id] of ids.entries()) {
        await opened.stats.record({ communityId: id, channelId: 'x', entities: [{ text: `Name ${i}`, type: 'PER' }] });
      }
      for (const [i, id] of ids.entries()) {
        const rows = await opened.stats.rows({ communityId: id });
        assert.deepEqual(
          rows.map((r) => r.entity),
          [`name ${i}`],
          `community ${id} sees only its own counts`,
        );
      }
      await opened.stats.deleteCommunity('a*');
      assert.equal(await opened.stats.total('a*'), 0);
      assert.equal(await opened.stats.total('a'), 1, 'deleting "a*" is not a pattern that reaches "a"');
      assert.equal(await opened.stats.total('a:b'), 1);
      await assert.rejects(opened.stats.record({ communityId: '', entities: [{ text: 'X', type: 'PER' }] }), /community id/);
      for (const id of ids) await opened.stats.deleteCommunity(id);
      await opened.close();
    });

    test('retention: days older than the window are pruned and never reported', async (t) => {
      const url = await urlFor(t, kind, 'retention');
      if (!url) return;
      let now = new Date('2026-01-01T10:00:00Z');
      const opened = await openEntityStats(configFor(url, 3), { now: () => now });
      const g = `ret-${kind}`;
      await opened.stats.record({ communityId: g, messageId: 'm1', entities: [{ text: 'Old', type: 'ORG' }] });
      now = new Date('2026-01-03T10:00:00Z');
      await opened.stats.record({ communityId: g, entities: [{ text: 'Mid', type: 'ORG' }] });
      assert.equal(await opened.stats.total(g), 2);
      now = new Date('2026-01-04T10:00:00Z'); // window is Jan 2..4: Jan 1 falls out
      assert.deepEqual(
        (await opened.stats.rows({ communityId: g })).map((r) => r.entity),
        ['mid'],
      );
      await opened.stats.record({ communityId: g, entities: [{ text: 'New', type: 'ORG' }] }); // first write of the day prunes
      now = new Date('2026-01-01T10:00:00Z');
      assert.deepEqual(
        (await opened.stats.rows({ communityId: g, days: 3 })).map((r) => r.entity),
        [],
        'the old day was deleted',
      );
      await opened.stats.deleteCommunity(g);
      await opened.close();
    });

    test('concurrent increments lose nothing', async (t) => {
      const url = await urlFor(t, kind, 'concurrency');
      if (!url) return;
      const opened = await openEntityStats(configFor(url));
      const g = `busy-${kind}`;
      const tasks = Array.from({ length: 400 }, (_, i) =>
        opened.stats.record({
          communityId: g,
          channelId: `c${i % 3}`,
          entities: [
            { text: 'Paris', type: 'LOC' },
            { text: `P${i % 5}`, type: 'PER' },
          ],
        }),
      );
      await Promise.all(tasks);
      assert.equal(await opened.stats.total(g), 800);
      assert.deepEqual((await opened.stats.top({ communityId: g })).LOC, [{ entity: 'paris', label: 'Paris', count: 400 }]);
      await opened.stats.deleteCommunity(g);
      await opened.close();
    });

    test('a message id is counted once per community, also when recorded again after a reopen', async (t) => {
      const url = await urlFor(t, kind, 'idempotent');
      if (!url) return;
      const config = configFor(url);
      const g = `discord:idem-${kind}`;
      let opened = await openEntityStats(config);
      const msg = {
        communityId: g,
        channelId: 'c',
        messageId: '111',
        entities: [
          { text: 'Paris', type: 'LOC' },
          { text: 'paris', type: 'LOC' },
        ],
      };
      assert.equal(await opened.stats.record(msg), 2);
      assert.equal(await opened.stats.record(msg), 0, 'the retry is not counted');
      await opened.close();
      opened = await openEntityStats(config);
      assert.equal(await opened.stats.record(msg), 0, 'nor after a restart');
      assert.equal(
        await opened.stats.record({ ...msg, communityId: `${g}-other` }),
        2,
        'the same id in another community is another message',
      );
      assert.equal(await opened.stats.record({ ...msg, messageId: '112' }), 2);
      assert.equal(await opened.stats.total(g), 4);
      const [a, b] = await Promise.all([
        opened.stats.record({ ...msg, messageId: '113' }),
        opened.stats.record({ ...msg, messageId: '113' }),
      ]);
      assert.equal(a + b, 2, 'two concurrent records of one id count once');
      await opened.stats.deleteCommunity(g);
      await opened.stats.deleteCommunity(`${g}-other`);
      await opened.close();
    });

    test('dashboard queries: surface forms, series, rising, pairs, channels and the image share', async (t) => {
      const url = await urlFor(t, kind, 'queries');
      if (!url) return;
      let now = new Date('2026-05-20T12:00:00Z');
      const opened = await openEntityStats(configFor(url), { now: () => now });
      const g = `web:q-${kind}`;
      const day = (d: number) => new Date(Date.UTC(2026, 4, d, 9));
      // Previous week (May 7..13): Swift 2, Paris 6. This week (May 14..20): Swift 8, Paris 6.
      for (let i = 0; i < 2; i++)
        await opened.stats.record({ communityId: g, channelId: 'general', entities: [{ text: 'Taylor Swift', type: 'PER' }], at: day(10) });
      for (let i = 0; i < 6; i++)
        await opened.stats.record({ communityId: g, channelId: 'travel', entities: [{ text: 'Paris', type: 'LOC' }], at: day(8) });
      for (let i = 0; i < 6; i++)
        await opened.stats.record({ communityId: g, channelId: 'travel', entities: [{ text: 'Paris', type: 'LOC' }], at: day(15) });
      const forms = [
        'taylor swift',
        'Taylor Swift',
        'TAYLOR SWIFT',
        'Taylor Swift',
        'Ｔａｙｌｏｒ Ｓｗｉｆｔ',
        'Taylor Swift',
        'Taylor  Swift',
        'Taylor Swift',
      ];
      for (const [i, text] of forms.entries()) {
        await opened.stats.record({
          communityId: g,
          channelId: i < 5 ? 'general' : 'memes',
          entities: [
            { text, type: 'PER', source: i % 2 ? 'ocr' : 'text' },
            ...(i < 3 ? [{ text: 'Paris', type: 'LOC', source: 'caption' as const }] : []),
          ],
          at: day(16 + (i % 4)),
        });
      }
      await opened.stats.record({ communityId: g, channelId: 'memes', entities: [{ text: 'Rare', type: 'MISC' }], at: day(18) });

      const top = await opened.stats.top({ communityId: g, days: 7 });
      assert.deepEqual(
        top.PER,
        [{ entity: 'taylor swift', label: 'Taylor Swift', count: 8 }],
        'case and width variants merge; the frequent form shows',
      );
      assert.deepEqual(top.LOC, [{ entity: 'paris', label: 'Paris', count: 9 }]);

      const series = await opened.stats.series({
        communityId: g,
        days: 7,
        entities: [{ text: 'TAYLOR swift', type: 'PER' }, { text: 'paris' }, { text: 'Nobody' }],
      });
      assert.deepEqual(series.days, ['2026-05-14', '2026-05-15', '2026-05-16', '2026-05-17', '2026-05-18', '2026-05-19', '2026-05-20']);
      assert.deepEqual(
        series.series.map((s) => [s.label, s.type, s.counts.join(' '), s.total]),
        [
          ['Taylor Swift', 'PER', '0 0 2 2 2 2 0', 8],
          ['Paris', 'LOC', '0 6 1 1 1 0 0', 9],
          ['nobody', '', '0 0 0 0 0 0 0', 0],
        ],
      );

      const rising = await opened.stats.rising({ communityId: g, days: 7, minCount: 2 });
      assert.deepEqual(rising.previous, { first: '2026-05-07', last: '2026-05-13' });
      assert.deepEqual(
        rising.entries.map((e) => [e.label, e.count, e.previous, e.ratio]),
        [
          ['Taylor Swift', 8, 2, 3],
          ['Paris', 9, 6, 1.43],
        ],
      );
      const strict = await opened.stats.rising({ communityId: g, days: 7, minCount: 9 });
      assert.deepEqual(
        strict.entries.map((e) => e.label),
        ['Paris'],
        'minCount keeps small counts from rising',
      );

      const pairs = await opened.stats.pairs({ communityId: g, days: 7 });
      assert.deepEqual(
        pairs.map((p) => [p.a.label, p.b.label, p.count]),
        [['Paris', 'Taylor Swift', 3]],
      );
      assert.deepEqual(await opened.stats.pairs({ communityId: g, days: 7, channelId: 'memes' }), []);
      assert.deepEqual(await opened.stats.pairs({ communityId: g, days: 7, types: ['MISC'] }), []);

      const mix = await opened.stats.breakdown({ communityId: g, days: 7 });
      assert.deepEqual(mix.sources, { total: 18, text: 11, ocr: 4, caption: 3, unknown: 0 });
      assert.deepEqual(mix.channels, [
        { channel: 'general', count: 8, text: 3, image: 5 },
        { channel: 'travel', count: 6, text: 6, image: 0 },
        { channel: 'memes', count: 4, text: 2, image: 2 },
      ]);
      const perOnly = await opened.stats.breakdown({ communityId: g, days: 7, types: ['PER'], channelId: 'general' });
      assert.deepEqual(perOnly.sources, { total: 5, text: 3, ocr: 2, caption: 0, unknown: 0 });

      const custom = await opened.stats.top({ communityId: g, from: '2026-05-07', to: '2026-05-13' });
      assert.deepEqual(custom.LOC, [{ entity: 'paris', label: 'Paris', count: 6 }]);
      assert.throws(() => opened.stats.window({ communityId: g, from: '2026-05-13', to: '2026-05-07' }), /after it ends/);
      assert.throws(() => opened.stats.window({ communityId: g, from: '2026-02-30' }), /YYYY-MM-DD/);

      const list = await opened.stats.communities();
      assert.deepEqual(
        list.find((c) => c.communityId === g),
        { communityId: g, mentions: 26, firstDay: '2026-05-08', lastDay: '2026-05-19' },
      );
      assert.ok((await opened.stats.deleteCommunity(g)) > 0);
      assert.equal(await opened.stats.total(g), 0);
      assert.equal(
        (await opened.stats.communities()).find((c) => c.communityId === g),
        undefined,
      );
      now = new Date('2026-05-21T00:00:00Z');
      await opened.close();
    });
  });
}

test('CSV export quotes separators and defuses spreadsheet formulas', () => {
  const csv = rowsToCsv([
    { day: '2026-01-01', channel: 'c,1', type: 'ORG', entity: 'say "hi"', count: 2 },
    { day: '2026-01-01', channel: 'c', type: 'OTHER', entity: '=HYPERLINK("x")', count: 1 },
  ]);
  assert.equal(
    csv,
    'day,channel,type,entity,count\r\n2026-01-01,"c,1",ORG,"say ""hi""",2\r\n2026-01-01,c,OTHER,"\'=HYPERLINK(""x"")",1\r\n',
  );
});

test('sqlite top entities and pairs by the threshold algorithm, and rising in two steps, equal a plain GROUP BY', async () => {
  const { SqliteStatsBackend } = await import('../../src/stats/sqlite-backend.ts');
  const now = new Date('2026-04-30T12:00:00Z');
  const opened = await openEntityStats(configFor(`sqlite://${join(dir, 'threshold.sqlite')}`), { now: () => now });
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const inputs = [];
  for (let i = 0; i < 3000; i++) {
    const n = 1 + Math.floor(random() * 4);
    // Skewed: low ranks are frequent, with many ties among the tail.
    const entities = Array.from({ length: n }, () => ({
      text: `E${Math.floor(random() ** 3 * 60)}`,
      type: random() < 0.5 ? 'PER' : 'ORG',
    }));
    inputs.push({
      communityId: 'ta',
      channelId: `c${Math.floor(random() * 3)}`,
      entities,
      at: new Date(now.getTime() - Math.floor(random() * 40) * 86_400_000),
    });
  }
  await opened.stats.recordMany(inputs);
  const backend = opened.stats.backend as InstanceType<typeof SqliteStatsBackend>;
  for (const [days, channel, limit] of [
    [1, undefined, 5],
    [7, undefined, 10],
    [30, 'c1', 3],
    [40, undefined, 25],
    [12, 'c2', 1],
  ] as const) {
    const slice = { communityId: 'ta', window: opened.stats.window({ communityId: 'ta', days }), ...(channel ? { channel } : {}) };
    assert.deepEqual(
      await backend.top(slice, limit),
      await backend.topByGrouping(slice, limit),
      `top, ${days} days, channel ${channel}, limit ${limit}`,
    );
    assert.deepEqual(
      await backend.pairs(slice, limit),
      await backend.pairsByGrouping(slice, limit),
      `pairs, ${days} days, channel ${channel}, limit ${limit}`,
    );
    const byKey = (rows: Array<{ type: string; entity: string }>) =>
      [...rows].sort((x, y) => `${x.type}\t${x.entity}`.localeCompare(`${y.type}\t${y.entity}`));
    const previousFirst = opened.stats.window({ communityId: 'ta', days: Math.min(40, days * 2) }).first;
    assert.deepEqual(
      byKey(await backend.rising(slice, previousFirst, 3)),
      byKey(await backend.risingByGrouping(slice, previousFirst, 3)),
      `rising, ${days} days`,
    );
  }
  await opened.close();
});
