// Per-community entity counts, bucketed per UTC day and channel. Only entity text (normalized)
// and type are kept: never the message text, never images.
//
// Layout: one record per (community, day, channel) holding { "TYPE\tnormalized": count }.
// Key: stats:v1:<community>:<day>:<channel>, community and channel URI-encoded so an id that
// contains ':' cannot reach into another community's keys.
import type { IterableStore } from '../core/stages.ts';
import { KeyedLock } from './keyed-lock.ts';
import { addDays, normalizeEntityText, utcDay } from './normalize.ts';

const ROOT = 'stats:v1:';
const DAY_MS = 86_400_000;
const SEP = '\t';

interface Bucket {
  counts: Record<string, number>;
}

export interface EntityMention {
  text: string;
  type: string;
  /** The name as read (a resolved mention's display name); counted instead of `text` when set. */
  display?: string;
}

export interface RecordInput {
  communityId: string;
  channelId?: string;
  entities: EntityMention[];
  at?: Date;
}

export interface WindowQuery {
  communityId: string;
  /** Number of UTC days back from `now`, today included. Defaults to the retention window. */
  days?: number;
  channelId?: string;
  now?: Date;
}

export interface TopQuery extends WindowQuery {
  limit?: number;
  types?: string[];
}

export interface StatRow {
  day: string;
  channel: string;
  type: string;
  entity: string;
  count: number;
}

export interface TopEntry {
  entity: string;
  count: number;
}

export interface EntityStatsOptions {
  retentionDays: number;
  now?: () => Date;
}

function communityPrefix(communityId: string): string {
  if (!communityId) throw new Error('statistics need a community id (guild or chat id); got an empty string');
  return `${ROOT}${encodeURIComponent(communityId)}:`;
}

function bucketKey(communityId: string, day: string, channelId: string | undefined): string {
  return `${communityPrefix(communityId)}${day}:${encodeURIComponent(channelId ?? '')}`;
}

function parseBucketKey(key: string, prefix: string): { day: string; channel: string } | undefined {
  const rest = key.slice(prefix.length);
  const m = /^(\d{4}-\d{2}-\d{2}):(.*)$/.exec(rest);
  if (!m) return undefined;
  return { day: m[1]!, channel: decodeURIComponent(m[2]!) };
}

function isBucket(v: unknown): v is Bucket {
  return typeof v === 'object' && v !== null && typeof (v as Bucket).counts === 'object' && (v as Bucket).counts !== null;
}

export class EntityStats {
  private readonly lock = new KeyedLock();
  private readonly now: () => Date;
  private readonly prunedToday = new Map<string, string>();

  constructor(
    private readonly store: IterableStore,
    private readonly options: EntityStatsOptions,
  ) {
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
      throw new Error(`stats.retentionDays must be a positive integer, got ${options.retentionDays}`);
    }
    this.now = options.now ?? (() => new Date());
  }

  /** Adds one to each mention's count. Mentions whose text normalizes to nothing are skipped. */
  async record(input: RecordInput): Promise<number> {
    const at = input.at ?? this.now();
    const day = utcDay(at);
    const increments = new Map<string, number>();
    for (const e of input.entities) {
      const text = normalizeEntityText(e.display ?? e.text);
      if (!text || !e.type) continue;
      const k = `${e.type}${SEP}${text}`;
      increments.set(k, (increments.get(k) ?? 0) + 1);
    }
    await this.pruneOncePerDay(input.communityId, day);
    if (increments.size === 0) return 0;
    const key = bucketKey(input.communityId, day, input.channelId);
    const ttlMs = (this.options.retentionDays + 1) * DAY_MS;
    await this.lock.run(key, async () => {
      const stored = await this.store.get<unknown>(key);
      const bucket: Bucket = isBucket(stored) ? stored : { counts: {} };
      for (const [k, n] of increments) bucket.counts[k] = (bucket.counts[k] ?? 0) + n;
      await this.store.set(key, bucket, ttlMs);
    });
    let total = 0;
    for (const n of increments.values()) total += n;
    return total;
  }

  /** Every stored count of a community inside the window, one row per day/channel/type/entity. */
  async rows(query: WindowQuery): Promise<StatRow[]> {
    const prefix = communityPrefix(query.communityId);
    const today = utcDay(query.now ?? this.now());
    const days = Math.min(query.days ?? this.options.retentionDays, this.options.retentionDays);
    const firstDay = addDays(today, -(days - 1));
    const out: StatRow[] = [];
    for await (const [key, value] of this.store.iterate(prefix)) {
      const where = parseBucketKey(key, prefix);
      if (!where || !isBucket(value)) continue;
      if (where.day < firstDay || where.day > today) continue;
      if (query.channelId !== undefined && where.channel !== query.channelId) continue;
      for (const [k, count] of Object.entries(value.counts)) {
        const cut = k.indexOf(SEP);
        out.push({ day: where.day, channel: where.channel, type: k.slice(0, cut), entity: k.slice(cut + 1), count });
      }
    }
    out.sort((a, b) => a.day.localeCompare(b.day) || a.channel.localeCompare(b.channel) || a.type.localeCompare(b.type) || b.count - a.count || a.entity.localeCompare(b.entity));
    return out;
  }

  /** Top entities per type over the window, most frequent first. */
  async top(query: TopQuery): Promise<Record<string, TopEntry[]>> {
    const limit = query.limit ?? 10;
    const totals = new Map<string, Map<string, number>>();
    for (const row of await this.rows(query)) {
      if (query.types && !query.types.includes(row.type)) continue;
      const perType = totals.get(row.type) ?? new Map<string, number>();
      perType.set(row.entity, (perType.get(row.entity) ?? 0) + row.count);
      totals.set(row.type, perType);
    }
    const out: Record<string, TopEntry[]> = {};
    for (const [type, perType] of [...totals].sort((a, b) => a[0].localeCompare(b[0]))) {
      out[type] = [...perType]
        .map(([entity, count]) => ({ entity, count }))
        .sort((a, b) => b.count - a.count || a.entity.localeCompare(b.entity))
        .slice(0, limit);
    }
    return out;
  }

  /** Sum of every count of a community within retention (used to check nothing was lost). */
  async total(communityId: string): Promise<number> {
    let sum = 0;
    for (const row of await this.rows({ communityId })) sum += row.count;
    return sum;
  }

  /** Deletes the community's days older than the retention window; returns how many records went. */
  async prune(communityId: string, now: Date = this.now()): Promise<number> {
    const prefix = communityPrefix(communityId);
    const firstKept = addDays(utcDay(now), -(this.options.retentionDays - 1));
    const stale: string[] = [];
    for await (const [key] of this.store.iterate(prefix)) {
      const where = parseBucketKey(key, prefix);
      if (where && where.day < firstKept) stale.push(key);
    }
    for (const key of stale) await this.lock.run(key, () => this.store.delete(key));
    return stale.length;
  }

  /** Waits for increments in flight (before closing the store). */
  async flush(): Promise<void> {
    await this.lock.idle();
  }

  private async pruneOncePerDay(communityId: string, day: string): Promise<void> {
    if (this.prunedToday.get(communityId) === day) return;
    this.prunedToday.set(communityId, day);
    if (this.prunedToday.size > 10_000) this.prunedToday.clear();
    await this.prune(communityId, new Date(`${day}T12:00:00.000Z`));
  }
}
