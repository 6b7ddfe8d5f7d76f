// Statistics in Redis hashes and sorted sets (ioredis). A message's increments run as one
// server-side script (redis-scripts.ts): `SET seen NX` and every HINCRBY / ZINCRBY execute
// atomically, and the increments only when the dedupe key was new. (A MULTI cannot make its
// increments depend on the SET NX inside it; a script is Redis's transaction with that condition,
// see https://redis.io/docs/latest/develop/interact/programmability/eval-intro/.)
//
// Keys, P = ekmm:stats:v2:<community> (community and channel URI-encoded, '*' too, so an id can
// neither reach into another community's keys nor act as a SCAN pattern). <b> is a block of
// days (day-blocks.ts): "<day>" for one day, "<span><start>" for the aligned block of 4 or 16
// days from <start>, so every sorted set and the mix hash exist per day and per block:
//   P:z<b>:<TYPE>, P:zc<b>:<channel>:<TYPE>   sorted set entity -> count     top, rising (series: days)
//   P:zp<b>, P:zpc<b>:<channel>               sorted set "TA\tA\tTB\tB" -> count   top pairs
//   P:m<b>                                    hash "<channel>\tTYPE\tsource" -> count   breakdown
//   P:ec:<day>:<channel>  hash "TYPE\tentity" -> count      per channel and day: the export
//   P:types               set of the entity types counted
//   P:s:<TYPE\tentity>    hash "<day>\tsurface" -> count    surface forms of one entity
//   P:seen:<message id>   string, the dedupe record
//   ekmm:stats:v2:communities  hash community -> last day counted
//   ekmm:stats:v2:layout       which pre-summed blocks are written (see upgradeLayout)
// (a key reads "P:z:2026-03-01:PER" for a day and "P:z16:2026-02-26:PER" for a block.)
// A query covers its window with the largest blocks inside it (9 to 17 sets for 90 days, not
// 90) and reads them by the threshold algorithm inside Redis (TOP_SCRIPT, RISING_SCRIPT).
// Every key expires when its first day leaves the retention window, a block too (no window
// that could still use it starts that early), so pruning is Redis's own expiry.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type {
  CommunitySummary,
  CountedSource,
  DayWindow,
  EntityCount,
  MessageTally,
  MixRow,
  PairCount,
  RawRow,
  RisingCount,
  SeriesPoint,
  SeriesTarget,
  Slice,
  StatsBackend,
  StatsBackendOptions,
  SurfaceCount,
} from '../core/stats-backend.ts';
import { BLOCK_SPANS, blocksContaining, coverWindow, type DayBlock } from './day-blocks.ts';
import { parseV1Record, v1BucketToTally } from './migrate-v1.ts';
import { addDays, utcDay } from './normalize.ts';
import { APPLY_SCRIPT, REBUILD_BLOCK_SCRIPT, RISING_SCRIPT, SURFACES_SCRIPT, TOP_SCRIPT } from './redis-scripts.ts';

const ROOT = 'ekmm:stats:v2:';
const COMMUNITIES = `${ROOT}communities`;
/** Names the pre-summed blocks the writers keep; data written without them is upgraded at open. */
const LAYOUT = `${ROOT}layout`;
const LAYOUT_VERSION = `blocks:${BLOCK_SPANS.join(',')}`;
const DAY_MS = 86_400_000;
/** Where the v1 layout lived: keyv-redis keys under the "ekmm" namespace. */
const V1_PATTERN = 'ekmm::stats:v1:*';
const V1_KEY_PREFIX = 'ekmm::';
/** Threshold algorithm: rounds of doubling depth, and how many members it reads before summing instead. */
const TOP_ROUNDS = 4;
const TOP_MAX_SEEN = 20_000;

/** Kinds of per-block keys (sorted sets z, zc, zp, zpc; hash m). */
type BlockKind = 'z' | 'zc' | 'zp' | 'zpc' | 'm';

function enc(s: string): string {
  return encodeURIComponent(s).replace(/\*/g, '%2A');
}

function prefix(communityId: string): string {
  return `${ROOT}${enc(communityId)}:`;
}

/** P:<kind><b><rest>: "z:2026-03-01:PER" for a day, "z16:2026-02-26:PER" for a block. */
function blockKey(p: string, kind: BlockKind, block: DayBlock, rest: string): string {
  return `${p}${kind}${block.span === 1 ? '' : block.span}:${block.start}${rest}`;
}

/** A per-day or per-block key's parts; undefined for other keys. */
const BLOCK_KEY_RE = /^(.*?:)(e|ec|p|pc|m|z|zc|zp|zpc)(\d*):(\d{4}-\d{2}-\d{2})(.*)$/;

function daysOf(w: DayWindow): string[] {
  const out: string[] = [];
  for (let d = w.first; d <= w.last; d = addDays(d, 1)) out.push(d);
  return out;
}

function splitKey(field: string): { type: string; entity: string } {
  const cut = field.indexOf('\t');
  return { type: field.slice(0, cut), entity: field.slice(cut + 1) };
}

type Hash = Record<string, string>;

/** [member, score, member, score, …] as returned WITHSCORES -> pairs. */
function scored(flat: Array<string | number>): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([String(flat[i]), Number(flat[i + 1])]);
  return out;
}

function byCountThenKey(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

/** One increment of a message's script: kind, key, field or member, amount, and the key's ttl. */
interface Op {
  kind: 'h' | 'z' | 's';
  key: string;
  field: string;
  n: number;
  ttl: number;
}

type ScriptRedis = Redis & {
  ekmmStatsApply(n: number, ...args: Array<string | number>): Promise<number>;
  ekmmStatsTop(n: number, ...args: Array<string | number>): Promise<Array<string | number>>;
  ekmmStatsRising(n: number, ...args: Array<string | number>): Promise<Array<string | number>>;
  ekmmStatsRebuildBlock(n: number, ...args: Array<string | number>): Promise<number>;
  ekmmStatsSurfaces(n: number, ...args: Array<string | number>): Promise<Array<string | number>>;
};

export class RedisStatsBackend implements StatsBackend {
  readonly name: string;

  private constructor(
    private readonly redis: ScriptRedis,
    where: string,
    private readonly options: StatsBackendOptions,
  ) {
    this.name = `redis:${where}`;
  }

  static async open(url: URL, options: StatsBackendOptions): Promise<RedisStatsBackend> {
    const where = `${url.protocol}//${url.host}`; // never the password
    let connected = false;
    const redis = new Redis(url.href, {
      lazyConnect: true,
      connectTimeout: 3000,
      maxRetriesPerRequest: 3,
      // Fail fast at start-up (a wrong URL); once connected, keep reconnecting.
      retryStrategy: (times) => (!connected && times >= 3 ? null : Math.min(2000, 100 * 2 ** times)),
    });
    redis.on('error', () => {}); // surfaced through the failing command instead
    try {
      await redis.connect();
      connected = true;
    } catch (err) {
      redis.disconnect();
      throw new Error(`stats store ${where}: cannot connect to Redis: ${(err as Error).message}`);
    }
    redis.defineCommand('ekmmStatsApply', { lua: APPLY_SCRIPT });
    redis.defineCommand('ekmmStatsTop', { lua: TOP_SCRIPT });
    redis.defineCommand('ekmmStatsRising', { lua: RISING_SCRIPT });
    redis.defineCommand('ekmmStatsRebuildBlock', { lua: REBUILD_BLOCK_SCRIPT });
    redis.defineCommand('ekmmStatsSurfaces', { lua: SURFACES_SCRIPT });
    const backend = new RedisStatsBackend(redis as ScriptRedis, where, options);
    await backend.upgradeLayout();
    await backend.migrateV1();
    return backend;
  }

  /** Seconds until `day` leaves the retention window (at least 1). */
  private keyTtlSeconds(day: string): number {
    const end = Date.parse(`${day}T00:00:00Z`) + (this.options.retentionDays + 1) * DAY_MS;
    return Math.max(1, Math.ceil((end - this.options.now().getTime()) / 1000));
  }

  /** Every increment of one tally: per day and per block, per channel and over all channels. */
  private opsOf(t: MessageTally): Op[] {
    const p = prefix(t.communityId);
    const ch = enc(t.channel);
    const dayTtl = this.keyTtlSeconds(t.day);
    const blocks = blocksContaining(t.day).map((b) => ({ b, ttl: this.keyTtlSeconds(b.start) }));
    const ops: Op[] = [];
    for (const e of t.entities) {
      // Per channel and day in one hash: the export (rows) reads it.
      ops.push({ kind: 'h', key: `${p}ec:${t.day}:${ch}`, field: `${e.type}\t${e.entity}`, n: e.count, ttl: dayTtl });
      for (const { b, ttl } of blocks) {
        ops.push({ kind: 'z', key: blockKey(p, 'z', b, `:${enc(e.type)}`), field: e.entity, n: e.count, ttl });
        ops.push({ kind: 'z', key: blockKey(p, 'zc', b, `:${ch}:${enc(e.type)}`), field: e.entity, n: e.count, ttl });
      }
      ops.push({ kind: 's', key: `${p}types`, field: e.type, n: 0, ttl: dayTtl });
    }
    for (const x of t.pairs) {
      const field = `${x.a.type}\t${x.a.entity}\t${x.b.type}\t${x.b.entity}`;
      for (const { b, ttl } of blocks) {
        ops.push({ kind: 'z', key: blockKey(p, 'zp', b, ''), field, n: 1, ttl });
        ops.push({ kind: 'z', key: blockKey(p, 'zpc', b, `:${ch}`), field, n: 1, ttl });
      }
    }
    for (const m of t.mix)
      for (const { b, ttl } of blocks)
        ops.push({ kind: 'h', key: blockKey(p, 'm', b, ''), field: `${ch}\t${m.type}\t${m.source}`, n: m.count, ttl });
    for (const s of t.surfaces)
      ops.push({ kind: 'h', key: `${p}s:${enc(`${s.type}\t${s.entity}`)}`, field: `${t.day}\t${s.surface}`, n: s.count, ttl: dayTtl });
    return ops;
  }

  async apply(tallies: MessageTally[]): Promise<boolean[]> {
    // Sent together (one connection keeps them in order, so a repeated id is decided as if one by
    // one); each message is still its own atomic script.
    return Promise.all(tallies.map((t) => this.applyOne(t)));
  }

  private async applyOne(t: MessageTally): Promise<boolean> {
    const p = prefix(t.communityId);
    const keys: string[] = [t.messageId !== undefined ? `${p}seen:${enc(t.messageId)}` : `${p}seen:`, COMMUNITIES];
    const ttls: number[] = [];
    const index = new Map<string, number>();
    const quads: Array<string | number> = [];
    for (const o of this.opsOf(t)) {
      let i = index.get(o.key);
      if (i === undefined) {
        keys.push(o.key);
        ttls.push(o.ttl);
        i = keys.length; // Lua is 1-based
        index.set(o.key, i);
      }
      quads.push(o.kind, i, o.field, o.n);
    }
    const dedupeTtl = t.messageId !== undefined ? String(this.keyTtlSeconds(t.day)) : '0';
    const counted = await this.redis.ekmmStatsApply(keys.length, ...keys, dedupeTtl, t.communityId, t.day, ttls.length, ...ttls, ...quads);
    return counted === 1;
  }

  private async hashes(keys: string[]): Promise<Hash[]> {
    if (keys.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const k of keys) pipe.hgetall(k);
    const results = (await pipe.exec()) ?? [];
    return results.map(([err, value]) => {
      if (err) throw err;
      return (value ?? {}) as Hash;
    });
  }

  private async typesOf(slice: Slice): Promise<string[]> {
    return slice.types?.length ? [...slice.types].sort() : (await this.redis.smembers(`${prefix(slice.communityId)}types`)).sort();
  }

  /** The sorted sets of one type that cover the window (all channels, or the slice's channel). */
  private typeKeys(slice: Slice, type: string, window: DayWindow = slice.window): string[] {
    const p = prefix(slice.communityId);
    return coverWindow(window).map((b) =>
      slice.channel !== undefined ? blockKey(p, 'zc', b, `:${enc(slice.channel)}:${enc(type)}`) : blockKey(p, 'z', b, `:${enc(type)}`),
    );
  }

  /**
   * Sums the sorted sets inside Redis (ZUNIONSTORE into a short-lived key) and hands the result
   * to `read`; the key is deleted afterwards (and expires on its own should this process die).
   */
  private async withUnion<T>(keys: string[], read: (tmp: string) => Promise<T>): Promise<T> {
    const tmp = `${ROOT}tmp:${randomUUID()}`;
    const done = await this.redis
      .multi()
      .zunionstore(tmp, keys.length, ...keys)
      .pexpire(tmp, 60_000)
      .exec();
    for (const [err] of done ?? []) if (err) throw err;
    try {
      return await read(tmp);
    } finally {
      await this.redis.del(tmp);
    }
  }

  /** The `limit` highest scores of a sorted set, ties ordered by member ascending (as SQLite does). */
  private async topOf(key: string, limit: number): Promise<Array<[string, number]>> {
    let ranked = scored(await this.redis.zrevrange(key, 0, limit - 1, 'WITHSCORES'));
    if (ranked.length === limit) {
      const kth = ranked[limit - 1]![1];
      // Redis orders equal scores by member descending; take every member tied with the k-th.
      ranked = [...ranked.filter(([, c]) => c > kth), ...scored(await this.redis.zrangebyscore(key, kth, kth, 'WITHSCORES'))];
    }
    return ranked.sort(byCountThenKey).slice(0, limit);
  }

  /**
   * Exact top-k of the sum of `keys` by the threshold algorithm inside Redis; when it gives up
   * (flat counts) by summing them. `types` keeps pair members with a side of one of those types.
   */
  private async topOfSum(keys: string[], limit: number, types?: Set<string>): Promise<Array<[string, number]>> {
    if (limit <= 0 || keys.length === 0) return [];
    const depth = Math.max(limit * 2, 16);
    const reply = await this.redis.ekmmStatsTop(keys.length, ...keys, limit, depth, TOP_ROUNDS, TOP_MAX_SEEN, ...(types ?? []));
    if (Number(reply[0]) === 1) return scored(reply.slice(1)).sort(byCountThenKey).slice(0, limit);
    return this.withUnion(keys, async (tmp) => {
      if (!types) return this.topOf(tmp, limit);
      return scored(await this.redis.zrevrange(tmp, 0, -1, 'WITHSCORES'))
        .filter(([f]) => {
          const [ta, , tb] = f.split('\t');
          return types.has(ta!) || types.has(tb!);
        })
        .sort(byCountThenKey)
        .slice(0, limit);
    });
  }

  async top(slice: Slice, limit: number): Promise<EntityCount[]> {
    const types = await this.typesOf(slice);
    const ranked = await Promise.all(types.map((type) => this.topOfSum(this.typeKeys(slice, type), limit)));
    return types.flatMap((type, i) => ranked[i]!.map(([entity, count]) => ({ type, entity, count })));
  }

  /**
   * top() and pairs() as the daily-only layout answered them: ZUNIONSTORE of the window's daily
   * sets, then the k highest (kept for bench/stats.ts's side-by-side comparison).
   */
  async topByDailyUnion(slice: Slice, limit: number): Promise<EntityCount[]> {
    const out: EntityCount[] = [];
    const p = prefix(slice.communityId);
    for (const type of await this.typesOf(slice)) {
      const keys = daysOf(slice.window).map((day) => blockKey(p, 'z', { span: 1, start: day }, `:${enc(type)}`));
      for (const [entity, count] of await this.withUnion(keys, (tmp) => this.topOf(tmp, limit))) out.push({ type, entity, count });
    }
    return out;
  }

  async pairsByDailyUnion(slice: Slice, limit: number): Promise<PairCount[]> {
    const p = prefix(slice.communityId);
    const keys = daysOf(slice.window).map((day) => blockKey(p, 'zp', { span: 1, start: day }, ''));
    return (await this.withUnion(keys, (tmp) => this.topOf(tmp, limit))).map(([f, count]) => {
      const [ta, ea, tb, eb] = f.split('\t') as [string, string, string, string];
      return { a: { type: ta, entity: ea }, b: { type: tb, entity: eb }, count };
    });
  }

  async rising(slice: Slice, previousFirst: string, minCount: number): Promise<RisingCount[]> {
    const previousLast = addDays(slice.window.first, -1);
    const spans = coverWindow(slice.window).map((b) => b.span);
    const types = await this.typesOf(slice);
    const replies = await Promise.all(
      types.map((type) => {
        const current = this.typeKeys(slice, type);
        const previous = previousFirst <= previousLast ? this.typeKeys(slice, type, { first: previousFirst, last: previousLast }) : [];
        const keys = [`${ROOT}tmp:${randomUUID()}`, ...current, ...previous];
        return this.redis.ekmmStatsRising(keys.length, ...keys, current.length, minCount, ...spans);
      }),
    );
    const out: RisingCount[] = [];
    types.forEach((type, i) => {
      const flat = replies[i]!;
      for (let j = 0; j + 2 < flat.length; j += 3)
        out.push({ type, entity: String(flat[j]), count: Number(flat[j + 1]), previous: Number(flat[j + 2]) });
    });
    return out;
  }

  async series(slice: Slice, entities: SeriesTarget[]): Promise<SeriesPoint[]> {
    const days = daysOf(slice.window);
    const allTypes = entities.some((e) => e.type === undefined) ? await this.typesOf({ ...slice, types: undefined } as Slice) : [];
    const wanted = entities.flatMap((e) =>
      e.type !== undefined ? [{ type: e.type, entity: e.entity }] : allTypes.map((type) => ({ type, entity: e.entity })),
    );
    if (wanted.length === 0) return [];
    const p = prefix(slice.communityId);
    const pipe = this.redis.pipeline();
    for (const w of wanted)
      for (const day of days) {
        const b = { span: 1, start: day };
        pipe.zscore(
          slice.channel !== undefined
            ? blockKey(p, 'zc', b, `:${enc(slice.channel)}:${enc(w.type)}`)
            : blockKey(p, 'z', b, `:${enc(w.type)}`),
          w.entity,
        );
      }
    const results = (await pipe.exec()) ?? [];
    const out: SeriesPoint[] = [];
    wanted.forEach((w, i) => {
      days.forEach((day, j) => {
        const [err, value] = results[i * days.length + j]!;
        if (err) throw err;
        if (value !== null && value !== undefined) out.push({ day, type: w.type, entity: w.entity, count: Number(value) });
      });
    });
    return out;
  }

  async pairs(slice: Slice, limit: number): Promise<PairCount[]> {
    const p = prefix(slice.communityId);
    const keys = coverWindow(slice.window).map((b) =>
      slice.channel !== undefined ? blockKey(p, 'zpc', b, `:${enc(slice.channel)}`) : blockKey(p, 'zp', b, ''),
    );
    // A type filter is applied inside the threshold algorithm (the bound holds for the pairs it keeps).
    const ranked = await this.topOfSum(keys, limit, slice.types?.length ? new Set(slice.types) : undefined);
    return ranked.map(([f, count]) => {
      const [ta, ea, tb, eb] = f.split('\t') as [string, string, string, string];
      return { a: { type: ta, entity: ea }, b: { type: tb, entity: eb }, count };
    });
  }

  /** Mix rows summed over the given per-day or per-block hashes, filtered by the slice. */
  private async mixOf(keys: string[], slice: Pick<Slice, 'channel' | 'types'>): Promise<MixRow[]> {
    const types = slice.types?.length ? new Set(slice.types) : undefined;
    const sums = new Map<string, MixRow>();
    for (const h of await this.hashes(keys)) {
      for (const [f, v] of Object.entries(h)) {
        const [ch, type, source] = f.split('\t') as [string, string, CountedSource];
        const channel = decodeURIComponent(ch);
        if (slice.channel !== undefined && channel !== slice.channel) continue;
        if (types && !types.has(type)) continue;
        const row = sums.get(f) ?? { channel, type, source, count: 0 };
        row.count += Number(v);
        sums.set(f, row);
      }
    }
    return [...sums.values()];
  }

  async mix(slice: Slice): Promise<MixRow[]> {
    const p = prefix(slice.communityId);
    return this.mixOf(
      coverWindow(slice.window).map((b) => blockKey(p, 'm', b, '')),
      slice,
    );
  }

  async surfaces(communityId: string, window: DayWindow, entities: Array<{ type: string; entity: string }>): Promise<SurfaceCount[]> {
    if (entities.length === 0) return [];
    const p = prefix(communityId);
    const keys = entities.map((e) => `${p}s:${enc(`${e.type}\t${e.entity}`)}`);
    const asNumber = (day: string) => Number(day.replace(/-/g, ''));
    const flat = await this.redis.ekmmStatsSurfaces(keys.length, ...keys, asNumber(window.first), asNumber(window.last));
    const out: SurfaceCount[] = [];
    let at = 0;
    for (const e of entities) {
      const n = Number(flat[at++]);
      for (let j = 0; j < n; j++, at += 2) out.push({ ...e, surface: String(flat[at]), count: Number(flat[at + 1]) });
    }
    return out;
  }

  async rows(slice: Slice): Promise<RawRow[]> {
    const p = prefix(slice.communityId);
    const days = daysOf(slice.window);
    const mixes = await this.hashes(days.map((d) => `${p}m:${d}`));
    const wanted: Array<{ day: string; channel: string }> = [];
    days.forEach((day, i) => {
      const channels = new Set(Object.keys(mixes[i]!).map((f) => decodeURIComponent(f.slice(0, f.indexOf('\t')))));
      for (const channel of [...channels].sort())
        if (slice.channel === undefined || channel === slice.channel) wanted.push({ day, channel });
    });
    const hashes = await this.hashes(wanted.map((w) => `${p}ec:${w.day}:${enc(w.channel)}`));
    const types = slice.types?.length ? new Set(slice.types) : undefined;
    const out: RawRow[] = [];
    wanted.forEach((w, i) => {
      const rows = Object.entries(hashes[i]!)
        .map(([f, v]) => ({ ...w, ...splitKey(f), count: Number(v) }))
        .filter((r) => !types || types.has(r.type))
        .sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : b.count - a.count || (a.entity < b.entity ? -1 : 1)));
      out.push(...rows);
    });
    return out;
  }

  async communities(): Promise<CommunitySummary[]> {
    const all = await this.redis.hgetall(COMMUNITIES);
    const today = utcDay(this.options.now());
    const window = { first: addDays(today, -(this.options.retentionDays - 1)), last: today };
    const days = daysOf(window);
    const out: CommunitySummary[] = [];
    for (const communityId of Object.keys(all).sort()) {
      const rows = await this.mix({ communityId, window });
      if (rows.length === 0) continue;
      const p = prefix(communityId);
      // Which days have counts: one EXISTS per day, not the days' hashes.
      const pipe = this.redis.pipeline();
      for (const d of days) pipe.exists(`${p}m:${d}`);
      const present = ((await pipe.exec()) ?? []).map(([err, n]) => {
        if (err) throw err;
        return Number(n) > 0;
      });
      const used = days.filter((_, i) => present[i]);
      out.push({ communityId, mentions: rows.reduce((s, r) => s + r.count, 0), firstDay: used[0]!, lastDay: used[used.length - 1]! });
    }
    return out;
  }

  private async *scanKeys(pattern: string): AsyncIterable<string[]> {
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length) yield keys;
    } while (cursor !== '0');
  }

  async prune(firstKeptDay: string): Promise<number> {
    let removed = 0;
    for await (const keys of this.scanKeys(`${ROOT}*`)) {
      for (const key of keys) {
        // A day, or a block by its first day: a block that starts before the retention window
        // is never wholly inside a query window again (and would hold expired days).
        const day = BLOCK_KEY_RE.exec(key)?.[4];
        if (day !== undefined && day < firstKeptDay) {
          removed += await this.redis.del(key);
        } else if (/:s:[^:]*$/.test(key)) {
          const old = (await this.redis.hkeys(key)).filter((f) => f.slice(0, 10) < firstKeptDay);
          if (old.length) removed += await this.redis.hdel(key, ...old);
        }
      }
    }
    const all = await this.redis.hgetall(COMMUNITIES);
    const gone = Object.entries(all)
      .filter(([, last]) => last < firstKeptDay)
      .map(([c]) => c);
    if (gone.length) await this.redis.hdel(COMMUNITIES, ...gone);
    return removed;
  }

  async deleteCommunity(communityId: string): Promise<number> {
    let removed = 0;
    for await (const keys of this.scanKeys(`${prefix(communityId)}*`)) removed += await this.redis.del(...keys);
    await this.redis.hdel(COMMUNITIES, communityId);
    return removed;
  }

  /**
   * Data written before the blocks existed (daily sets and hashes only) gets its blocks: each
   * block inside the retention window is rebuilt from its days in one script (REBUILD_BLOCK_SCRIPT),
   * then the layout is recorded so later starts skip this. Rebuilding replaces a block by the sum
   * of its days, so it is safe to repeat (an interrupted upgrade runs again at the next start) and
   * safe beside processes of this version, which add to days and blocks together. A process of
   * the older version still writing during the upgrade adds to days only: stop those first.
   */
  private async upgradeLayout(): Promise<void> {
    if ((await this.redis.get(LAYOUT)) === LAYOUT_VERSION) return;
    const firstKept = addDays(utcDay(this.options.now()), -(this.options.retentionDays - 1));
    // block key -> its kind and the daily keys that exist for it
    const blocks = new Map<string, { kind: 'z' | 'h'; start: string; days: string[] }>();
    for await (const keys of this.scanKeys(`${ROOT}*`)) {
      for (const key of keys) {
        const m = BLOCK_KEY_RE.exec(key);
        if (!m) continue;
        if (m[3] !== '') {
          // A block of a span this version no longer writes (nor reads): gone.
          if (!(BLOCK_SPANS as readonly number[]).includes(Number(m[3]))) await this.redis.del(key);
          continue;
        }
        const [p, kind, day, rest] = [m[1]!, m[2]!, m[4]!, m[5]!];
        if (!['z', 'zc', 'zp', 'zpc', 'm'].includes(kind) || day < firstKept) continue;
        for (const b of blocksContaining(day)) {
          if (b.span === 1 || b.start < firstKept) continue;
          const bk = blockKey(p, kind as BlockKind, b, rest);
          const entry = blocks.get(bk) ?? { kind: kind === 'm' ? 'h' : 'z', start: b.start, days: [] };
          entry.days.push(key);
          blocks.set(bk, entry);
        }
      }
    }
    for (const [bk, { kind, start, days }] of blocks)
      await this.redis.ekmmStatsRebuildBlock(days.length + 1, bk, ...days, kind, this.keyTtlSeconds(start));
    await this.redis.set(LAYOUT, LAYOUT_VERSION);
  }

  /** Moves v1 buckets (keyv-redis records) into the v2 keys, each bucket in one MULTI with its deletion. */
  private async migrateV1(): Promise<void> {
    for await (const keys of this.scanKeys(V1_PATTERN)) {
      for (const rawKey of keys) {
        await this.redis.watch(rawKey);
        const raw = await this.redis.get(rawKey);
        if (raw === null) {
          await this.redis.unwatch();
          continue;
        }
        let envelope: { value?: unknown; expires?: number | null };
        try {
          envelope = JSON.parse(raw) as typeof envelope;
        } catch {
          await this.redis.unwatch();
          throw new Error(`statistics upgrade: Redis key "${rawKey}" is not JSON; fix or delete it, then start again`);
        }
        const bucket = parseV1Record(rawKey.slice(V1_KEY_PREFIX.length), envelope.value);
        if (!bucket) {
          await this.redis.unwatch();
          throw new Error(`statistics upgrade: Redis key "${rawKey}" is not a v1 statistics bucket; fix or delete it, then start again`);
        }
        const t = v1BucketToTally(bucket);
        // WATCH + MULTI: if another process migrates the same bucket first, this EXEC aborts.
        const multi = this.redis.multi();
        for (const o of this.opsOf(t)) {
          if (o.kind === 'h') multi.hincrby(o.key, o.field, o.n);
          else if (o.kind === 'z') multi.zincrby(o.key, o.n, o.field);
          else multi.sadd(o.key, o.field);
          multi.expire(o.key, o.ttl);
        }
        multi.hset(COMMUNITIES, t.communityId, t.day);
        multi.del(rawKey);
        await multi.exec();
      }
    }
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
