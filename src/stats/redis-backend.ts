// Statistics in Redis hashes and sorted sets (ioredis). A message's increments run as one
// server-side script: `SET seen NX` and every HINCRBY / ZINCRBY execute atomically, and the
// increments only when the dedupe key was new. Queries sum inside Redis (ZUNIONSTORE over the
// window's per-day sorted sets) rather than reading every day into the process. (A MULTI
// cannot make its increments depend on the SET NX inside it; a script is Redis's transaction
// with that condition, see https://redis.io/docs/latest/develop/interact/programmability/eval-intro/.)
//
// Keys, P = ekmm:stats:v2:<community> (community and channel URI-encoded, '*' too, so an id can
// neither reach into another community's keys nor act as a SCAN pattern):
//   P:ec:<day>:<channel> hash "TYPE\tentity" -> count      per channel: the export
//   P:z:<day>:<TYPE>, P:zc:<day>:<channel>:<TYPE>   sorted set entity -> count   top, rising, series
//   P:zp:<day>, P:zpc:<day>:<channel>   sorted set "TA\tA\tTB\tB" -> count   top pairs
//   P:types              set of the entity types counted
//   P:m:<day>            hash "<channel>\tTYPE\tsource" -> count   breakdown and source share
//   P:s:<TYPE\tentity>   hash "<day>\tsurface" -> count    surface forms of one entity
//   P:seen:<message id>  string, the dedupe record
//   ekmm:stats:v2:communities  hash community -> last day counted
// Every key expires with the retention window, so pruning is Redis's own expiry.
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type {
  CommunitySummary,
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
  CountedSource,
} from './backend.ts';
import { addDays, utcDay } from './normalize.ts';
import { parseV1Record, v1BucketToTally } from './migrate-v1.ts';

const ROOT = 'ekmm:stats:v2:';
const COMMUNITIES = `${ROOT}communities`;
const DAY_MS = 86_400_000;
/** Where the v1 layout lived: keyv-redis keys under the "ekmm" namespace. */
const V1_PATTERN = 'ekmm::stats:v1:*';
const V1_KEY_PREFIX = 'ekmm::';

// KEYS[1] dedupe key, KEYS[2] communities hash, KEYS[3..] counted keys.
// ARGV[1] dedupe ttl (s, "0" = no message id), ARGV[2] key ttl (s), ARGV[3] community, ARGV[4] day,
// then quads: kind (h = HINCRBY, z = ZINCRBY, s = SADD), key index, field or member, increment.
const APPLY_SCRIPT = `
if ARGV[1] ~= '0' then
  if not redis.call('SET', KEYS[1], ARGV[4], 'NX', 'EX', ARGV[1]) then return 0 end
end
for i = 5, #ARGV, 4 do
  local key = KEYS[tonumber(ARGV[i + 1])]
  if ARGV[i] == 'h' then redis.call('HINCRBY', key, ARGV[i + 2], ARGV[i + 3])
  elseif ARGV[i] == 'z' then redis.call('ZINCRBY', key, ARGV[i + 3], ARGV[i + 2])
  else redis.call('SADD', key, ARGV[i + 2]) end
end
for i = 3, #KEYS do redis.call('EXPIRE', KEYS[i], ARGV[2]) end
local last = redis.call('HGET', KEYS[2], ARGV[3])
if (not last) or last < ARGV[4] then redis.call('HSET', KEYS[2], ARGV[3], ARGV[4]) end
return 1
`;

function enc(s: string): string {
  return encodeURIComponent(s).replace(/\*/g, '%2A');
}

function prefix(communityId: string): string {
  return `${ROOT}${enc(communityId)}:`;
}

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
function scored(flat: string[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let i = 0; i + 1 < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}

function byCountThenKey(a: [string, number], b: [string, number]): number {
  return b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
}

export class RedisStatsBackend implements StatsBackend {
  readonly name: string;

  private constructor(
    private readonly redis: Redis,
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
    const backend = new RedisStatsBackend(redis, where, options);
    await backend.migrateV1();
    return backend;
  }

  private keyTtlSeconds(day: string): number {
    const end = Date.parse(`${day}T00:00:00Z`) + (this.options.retentionDays + 1) * DAY_MS;
    return Math.max(1, Math.ceil((end - this.options.now().getTime()) / 1000));
  }

  async apply(tallies: MessageTally[]): Promise<boolean[]> {
    const out: boolean[] = [];
    for (const t of tallies) out.push(await this.applyOne(t));
    return out;
  }

  private async applyOne(t: MessageTally): Promise<boolean> {
    const p = prefix(t.communityId);
    const keys: string[] = [t.messageId !== undefined ? `${p}seen:${enc(t.messageId)}` : `${p}seen:`, COMMUNITIES];
    const index = new Map<string, number>();
    const ops: Array<string | number> = [];
    const op = (kind: 'h' | 'z' | 's', key: string, field: string, n: number): void => {
      let i = index.get(key);
      if (i === undefined) {
        keys.push(key);
        i = keys.length; // Lua is 1-based
        index.set(key, i);
      }
      ops.push(kind, i, field, n);
    };
    const ch = enc(t.channel);
    for (const e of t.entities) {
      // Per channel and day in one hash: the export (rows) reads it.
      op('h', `${p}ec:${t.day}:${ch}`, `${e.type}\t${e.entity}`, e.count);
      // Sorted sets per day and type: top-k and rising sum inside Redis (ZUNIONSTORE).
      op('z', `${p}z:${t.day}:${enc(e.type)}`, e.entity, e.count);
      op('z', `${p}zc:${t.day}:${ch}:${enc(e.type)}`, e.entity, e.count);
      op('s', `${p}types`, e.type, 0);
    }
    for (const x of t.pairs) {
      const field = `${x.a.type}\t${x.a.entity}\t${x.b.type}\t${x.b.entity}`;
      op('z', `${p}zp:${t.day}`, field, 1);
      op('z', `${p}zpc:${t.day}:${ch}`, field, 1);
    }
    for (const m of t.mix) op('h', `${p}m:${t.day}`, `${ch}\t${m.type}\t${m.source}`, m.count);
    for (const s of t.surfaces) op('h', `${p}s:${enc(`${s.type}\t${s.entity}`)}`, `${t.day}\t${s.surface}`, s.count);
    const ttl = this.keyTtlSeconds(t.day);
    const dedupeTtl = t.messageId !== undefined ? String(ttl) : '0';
    const counted = await (
      this.redis as Redis & { ekmmStatsApply(n: number, ...args: Array<string | number>): Promise<number> }
    ).ekmmStatsApply(keys.length, ...keys, dedupeTtl, ttl, t.communityId, t.day, ...ops);
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

  /** The per-day sorted sets of one type (all channels, or the slice's channel). */
  private typeKeys(slice: Slice, type: string, window: DayWindow = slice.window): string[] {
    const p = prefix(slice.communityId);
    return daysOf(window).map((d) =>
      slice.channel !== undefined ? `${p}zc:${d}:${enc(slice.channel)}:${enc(type)}` : `${p}z:${d}:${enc(type)}`,
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

  async top(slice: Slice, limit: number): Promise<EntityCount[]> {
    const out: EntityCount[] = [];
    for (const type of await this.typesOf(slice)) {
      const ranked = await this.withUnion(this.typeKeys(slice, type), (tmp) => this.topOf(tmp, limit));
      for (const [entity, count] of ranked) out.push({ type, entity, count });
    }
    return out;
  }

  async rising(slice: Slice, previousFirst: string, minCount: number): Promise<RisingCount[]> {
    const previousLast = addDays(slice.window.first, -1);
    const out: RisingCount[] = [];
    for (const type of await this.typesOf(slice)) {
      const current = await this.withUnion(this.typeKeys(slice, type), async (tmp) =>
        scored(await this.redis.zrangebyscore(tmp, minCount, '+inf', 'WITHSCORES')),
      );
      if (current.length === 0) continue;
      const previous =
        previousFirst <= previousLast
          ? await this.withUnion(this.typeKeys(slice, type, { first: previousFirst, last: previousLast }), (tmp) =>
              this.redis.zmscore(tmp, ...current.map(([entity]) => entity)),
            )
          : current.map(() => null);
      current.forEach(([entity, count], i) => out.push({ type, entity, count, previous: Number(previous[i] ?? 0) }));
    }
    return out;
  }

  async series(slice: Slice, entities: SeriesTarget[]): Promise<SeriesPoint[]> {
    const days = daysOf(slice.window);
    const allTypes = entities.some((e) => e.type === undefined) ? await this.typesOf({ ...slice, types: undefined } as Slice) : [];
    const wanted = entities.flatMap((e) =>
      e.type !== undefined ? [{ type: e.type, entity: e.entity }] : allTypes.map((type) => ({ type, entity: e.entity })),
    );
    if (wanted.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const w of wanted) for (const key of this.typeKeys(slice, w.type)) pipe.zscore(key, w.entity);
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
    const keys = daysOf(slice.window).map((d) => (slice.channel !== undefined ? `${p}zpc:${d}:${enc(slice.channel)}` : `${p}zp:${d}`));
    const types = slice.types?.length ? new Set(slice.types) : undefined;
    const ranked = await this.withUnion(keys, async (tmp) => {
      if (!types) return this.topOf(tmp, limit);
      // With a type filter every pair is read and filtered here (a pair set is not split by type).
      return scored(await this.redis.zrevrange(tmp, 0, -1, 'WITHSCORES'))
        .filter(([f]) => {
          const [ta, , tb] = f.split('\t');
          return types.has(ta!) || types.has(tb!);
        })
        .sort(byCountThenKey)
        .slice(0, limit);
    });
    return ranked.map(([f, count]) => {
      const [ta, ea, tb, eb] = f.split('\t') as [string, string, string, string];
      return { a: { type: ta, entity: ea }, b: { type: tb, entity: eb }, count };
    });
  }

  async mix(slice: Slice): Promise<MixRow[]> {
    const p = prefix(slice.communityId);
    const types = slice.types?.length ? new Set(slice.types) : undefined;
    const sums = new Map<string, MixRow>();
    for (const h of await this.hashes(daysOf(slice.window).map((d) => `${p}m:${d}`))) {
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

  async surfaces(communityId: string, window: DayWindow, entities: Array<{ type: string; entity: string }>): Promise<SurfaceCount[]> {
    const p = prefix(communityId);
    const hashes = await this.hashes(entities.map((e) => `${p}s:${enc(`${e.type}\t${e.entity}`)}`));
    const out: SurfaceCount[] = [];
    entities.forEach((e, i) => {
      const sums = new Map<string, number>();
      for (const [f, v] of Object.entries(hashes[i]!)) {
        const cut = f.indexOf('\t');
        const day = f.slice(0, cut);
        if (day < window.first || day > window.last) continue;
        const surface = f.slice(cut + 1);
        sums.set(surface, (sums.get(surface) ?? 0) + Number(v));
      }
      for (const [surface, count] of sums) out.push({ ...e, surface, count });
    });
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
    const out: CommunitySummary[] = [];
    for (const communityId of Object.keys(all).sort()) {
      const rows = await this.mix({ communityId, window });
      if (rows.length === 0) continue;
      const p = prefix(communityId);
      const days = daysOf(window);
      const present = await this.hashes(days.map((d) => `${p}m:${d}`));
      const used = days.filter((_, i) => Object.keys(present[i]!).length > 0);
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
        const day = /:(?:e|ec|p|pc|m|z|zc|zp|zpc):(\d{4}-\d{2}-\d{2})(?::|$)/.exec(key)?.[1];
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

  /** Moves v1 buckets (keyv-redis records) into the v2 hashes, each bucket in one MULTI with its deletion. */
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
        const p = prefix(t.communityId);
        const ttl = this.keyTtlSeconds(t.day);
        const ch = enc(t.channel);
        // WATCH + MULTI: if another process migrates the same bucket first, this EXEC aborts.
        const multi = this.redis.multi();
        for (const e of t.entities) {
          multi.hincrby(`${p}ec:${t.day}:${ch}`, `${e.type}\t${e.entity}`, e.count).expire(`${p}ec:${t.day}:${ch}`, ttl);
          multi.zincrby(`${p}z:${t.day}:${enc(e.type)}`, e.count, e.entity).expire(`${p}z:${t.day}:${enc(e.type)}`, ttl);
          multi.zincrby(`${p}zc:${t.day}:${ch}:${enc(e.type)}`, e.count, e.entity).expire(`${p}zc:${t.day}:${ch}:${enc(e.type)}`, ttl);
          multi.sadd(`${p}types`, e.type).expire(`${p}types`, ttl);
        }
        for (const m of t.mix) multi.hincrby(`${p}m:${t.day}`, `${ch}\t${m.type}\t${m.source}`, m.count).expire(`${p}m:${t.day}`, ttl);
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
