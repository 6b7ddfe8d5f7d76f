// Statistics query benchmark: seeds one community with N counted mentions over 90 days (through
// EntityStats.recordMany, the same tallies and SQL the bots use, 1,000 messages per transaction),
// then times each dashboard query and prints p50/p99 per query.
//
//   node --import tsx bench/stats.ts [--mentions=1000000] [--runs=40] [--url=sqlite:///tmp/x.sqlite|redis://127.0.0.1:6379]
//        [--seedOnly] [--reuse]
// With --url the store is kept; --seedOnly stops after seeding, --reuse then skips seeding a store
// that already holds exactly --mentions for the bench community.
//
// The data: 12 channels, 4 types, a Zipf-distributed vocabulary of 20,000 entities per type (a few
// very frequent, a long tail), 1-5 entities per message (3 on average), 30 % of mentions from images.
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { openEntityStats } from '../src/stats/open.ts';
import type { EntityMention, RecordInput } from '../src/stats/entity-stats.ts';
import { percentile } from './percentile.ts';
import { Redis } from 'ioredis';
import { RedisStatsBackend } from '../src/stats/redis-backend.ts';
import { SqliteStatsBackend } from '../src/stats/sqlite-backend.ts';

// --name=value, or --flag alone (then "true").
const args: Record<string, string> = Object.fromEntries(
  process.argv.slice(2).map((a) => {
    const [k, v] = a.replace(/^--/, '').split('=');
    return [k!, v ?? 'true'];
  }),
);
const MENTIONS = Number(args.mentions ?? 1_000_000);
const RUNS = Number(args.runs ?? 40);
const DAYS = 90;
const CHANNELS = 12;
const TYPES = ['PER', 'LOC', 'ORG', 'MISC'];
const VOCABULARY = 20_000;
const COMMUNITY = 'discord:bench';

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Zipf(s=1.1) rank sampler over 1..n via a precomputed cumulative table. */
function zipf(n: number, random: () => number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf[k - 1] = sum += 1 / k ** 1.1;
  return () => {
    const x = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ekmm-bench-stats-'));
  const url = args.url ?? `sqlite://${join(dir, 'stats.sqlite')}`;
  const now = new Date('2026-06-30T18:00:00Z');
  const config = loadConfig({ skipDefaultFile: true, env: {}, overrides: { stats: { url, retentionDays: DAYS } } });
  const opened = await openEntityStats(config, { now: () => now });
  const random = rng(42);
  const rank = zipf(VOCABULARY, random);
  const sources: Array<EntityMention['source']> = ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'ocr', 'ocr', 'caption'];

  const t0 = performance.now();
  // --reuse: a store seeded by an earlier run (--seedOnly) with exactly this many mentions is used as it is.
  const reuse = args.reuse !== undefined && (await opened.stats.total(COMMUNITY)) === MENTIONS;
  let seeded = reuse ? MENTIONS : 0;
  let messages = 0;
  let batch: RecordInput[] = [];
  while (seeded < MENTIONS) {
    const n = Math.min(MENTIONS - seeded, 1 + Math.floor(random() * 5));
    const entities: EntityMention[] = [];
    for (let i = 0; i < n; i++) {
      const type = TYPES[Math.floor(random() * TYPES.length)]!;
      const r = rank();
      // Mostly one surface form, sometimes a lower-case variant: labels have something to choose.
      const text = random() < 0.2 ? `${type.toLowerCase()} entity ${r}` : `${type} Entity ${r}`;
      entities.push({ text, type, source: sources[Math.floor(random() * sources.length)]! });
    }
    const day = Math.floor(random() ** 0.8 * DAYS); // a little more traffic in recent days
    batch.push({
      communityId: COMMUNITY,
      channelId: `channel-${Math.floor(random() ** 2 * CHANNELS)}`,
      messageId: `m${messages}`,
      entities,
      at: new Date(now.getTime() - day * 86_400_000),
    });
    seeded += n;
    messages++;
    if (batch.length === 1000) {
      await opened.stats.recordMany(batch);
      batch = [];
    }
  }
  if (batch.length) await opened.stats.recordMany(batch);
  const seedSeconds = (performance.now() - t0) / 1000;
  const total = await opened.stats.total(COMMUNITY);
  if (total !== MENTIONS) throw new Error(`seeded ${MENTIONS} mentions but the store holds ${total}`);

  const s = opened.stats;
  const c = COMMUNITY;
  if (args.seedOnly !== undefined) {
    await opened.close();
    console.log(`seeded ${url}`);
    return;
  }
  const topEntity = (await s.top({ communityId: c, days: 90, limit: 3 })).PER!.map((e) => ({ text: e.entity, type: 'PER' }));
  const queries: Array<[string, () => Promise<unknown>]> = [
    ['top 90 d (10 per type)', () => s.top({ communityId: c, days: 90 })],
    ['top 30 d', () => s.top({ communityId: c, days: 30 })],
    ['top 7 d', () => s.top({ communityId: c, days: 7 })],
    ['top 90 d, one channel', () => s.top({ communityId: c, days: 90, channelId: 'channel-0' })],
    ['top 90 d, type PER', () => s.top({ communityId: c, days: 90, types: ['PER'] })],
    ['series 90 d, 3 entities', () => s.series({ communityId: c, days: 90, entities: topEntity })],
    ['series 90 d, 3 entities, one channel', () => s.series({ communityId: c, days: 90, entities: topEntity, channelId: 'channel-0' })],
    ['rising 7 d vs previous 7 d', () => s.rising({ communityId: c, days: 7 })],
    ['rising 30 d vs previous 30 d', () => s.rising({ communityId: c, days: 30 })],
    ['rising 45 d vs previous 45 d', () => s.rising({ communityId: c, days: 45 })],
    ['pairs 90 d (top 20)', () => s.pairs({ communityId: c, days: 90 })],
    ['pairs 30 d, one channel', () => s.pairs({ communityId: c, days: 30, channelId: 'channel-0' })],
    ['breakdown 90 d (channels, sources)', () => s.breakdown({ communityId: c, days: 90 })],
    ['communities (operator list)', () => s.communities()],
  ];
  // The same answers by one plain GROUP BY over the window, side by side (SQLite only).
  const backend = s.backend;
  if (backend instanceof SqliteStatsBackend) {
    const slice = (days: number, channel?: string) => ({
      communityId: c,
      window: s.window({ communityId: c, days }),
      ...(channel ? { channel } : {}),
    });
    const previousFirst = (days: number) => s.window({ communityId: c, days: Math.min(DAYS, 2 * days) }).first;
    const risingMin = (await s.rising({ communityId: c, days: 30 })).minCount;
    queries.push(
      ['  backend top 90 d, threshold algorithm', () => backend.top(slice(90), 10)],
      ['  backend top 90 d, plain GROUP BY', () => backend.topByGrouping(slice(90), 10)],
      ['  backend pairs 90 d, threshold algorithm', () => backend.pairs(slice(90), 20)],
      ['  backend pairs 90 d, plain GROUP BY', () => backend.pairsByGrouping(slice(90), 20)],
      ['  backend rising 30 d (min 5), candidates by daily minimum', () => backend.rising(slice(30), previousFirst(30), 5)],
      ['  backend rising 30 d (min 5), plain GROUP BY', () => backend.risingByGrouping(slice(30), previousFirst(30), 5)],
      [
        `  backend rising 30 d (min ${risingMin}), candidates by daily minimum`,
        () => backend.rising(slice(30), previousFirst(30), risingMin),
      ],
      [`  backend rising 30 d (min ${risingMin}), plain GROUP BY`, () => backend.risingByGrouping(slice(30), previousFirst(30), risingMin)],
    );
  }
  // Redis: the threshold algorithm over the pre-summed blocks against the daily-only layout's ZUNIONSTORE.
  if (backend instanceof RedisStatsBackend) {
    const slice = { communityId: c, window: s.window({ communityId: c, days: 90 }) };
    queries.push(
      ['  backend top 90 d, threshold algorithm over blocks', () => backend.top(slice, 10)],
      ['  backend top 90 d, ZUNIONSTORE of 90 daily sets', () => backend.topByDailyUnion(slice, 10)],
      ['  backend pairs 90 d, threshold algorithm over blocks', () => backend.pairs(slice, 20)],
      ['  backend pairs 90 d, ZUNIONSTORE of 90 daily sets', () => backend.pairsByDailyUnion(slice, 20)],
    );
  }
  const size = await storeSize(url);
  const rows: Array<[string, string, string]> = [];
  for (const [name, run] of queries) {
    await run(); // warm the page cache and statement cache
    const times: number[] = [];
    // The plain GROUP BY / ZUNIONSTORE comparisons take seconds each at 1M mentions: fewer runs (p99 is then the max).
    const runs = /GROUP BY|ZUNIONSTORE/.test(name) ? Math.min(RUNS, 5) : RUNS;
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await run();
      times.push(performance.now() - t);
    }
    rows.push([name, percentile(times, 50).toFixed(1), percentile(times, 99).toFixed(1)]);
  }
  const w = Math.max(...rows.map((r) => r[0].length));
  console.log(
    `\nEKMM statistics queries: ${MENTIONS.toLocaleString('en')} mentions over ${DAYS} days, one community${reuse ? '' : ` (${messages.toLocaleString('en')} messages)`}`,
  );
  const seedNote = reuse
    ? 'seeded by an earlier --seedOnly run'
    : `seeded in ${seedSeconds.toFixed(1)} s (${Math.round(messages / seedSeconds)} messages/s in 1,000-message transactions)`;
  console.log(`store ${opened.stats.backend.name.replace(dir, '$TMP')}; ${seedNote}; ${size}`);
  console.log(
    `${RUNS} runs per query (5 for the GROUP BY / ZUNIONSTORE comparisons); on ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)} at the end`,
  );
  console.log(`${'query'.padEnd(w)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}`);
  console.log('-'.repeat(w + 20));
  for (const [name, p50, p99] of rows) console.log(`${name.padEnd(w)}  ${p50.padStart(8)}  ${p99.padStart(8)}`);
  if (args.url === undefined) await opened.stats.deleteCommunity(c);
  await opened.close();
  rmSync(dir, { recursive: true, force: true });
}

/** What the store takes: the SQLite file and its WAL, or the Redis server's used memory (all its databases). */
async function storeSize(url: string): Promise<string> {
  const mb = (bytes: number) => `${(bytes / 1e6).toFixed(0)} MB`;
  if (url.startsWith('sqlite://')) {
    const file = url.slice('sqlite://'.length);
    const wal = `${file}-wal`;
    return `file ${mb(statSync(file).size)} + WAL ${mb(existsSync(wal) ? statSync(wal).size : 0)}`;
  }
  if (!url.startsWith('redis')) return 'size not measured';
  const client = new Redis(url);
  try {
    const used = /used_memory:(\d+)/.exec(await client.info('memory'))?.[1];
    return `Redis used_memory ${used ? mb(Number(used)) : '?'} (whole server)`;
  } finally {
    await client.quit();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
