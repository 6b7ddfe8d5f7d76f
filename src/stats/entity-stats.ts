// Per-community entity counts per UTC day and channel, for the bots' /stats, the export and the
// moderators' dashboard. Only entity text (folded and as written), type and source are kept:
// never the message text, never images, never user ids.
//
// This class normalizes mentions into one tally per message and turns backend rows into what
// the callers show; the counting itself happens inside the store (see core/stats-backend.ts): atomic per
// message and idempotent by community + message id.
import type {
  CountedSource,
  DayWindow,
  EntityKey,
  MentionSource,
  MessageTally,
  SeriesTarget,
  Slice,
  StatsBackend,
} from '../core/stats-backend.ts';
import { addDays, normalizeEntityText, utcDay } from './normalize.ts';

/** Pairs are counted among at most this many distinct entities of one message (120 pairs). */
const MAX_PAIR_ENTITIES = 16;
/** Surface forms longer than this are cut: they are for display only. */
const MAX_SURFACE_CHARS = 200;
const DAY_RE = /^\d{4}-\d{2}-\d{2}$/;

export interface EntityMention {
  text: string;
  type: string;
  /** Where it was read; text when absent. */
  source?: MentionSource;
  /** The name as read (a resolved mention's display name); counted instead of `text` when set. */
  display?: string;
}

export interface RecordInput {
  communityId: string;
  channelId?: string;
  /** Platform message id: a message recorded twice under the same id counts once. */
  messageId?: string;
  entities: EntityMention[];
  at?: Date;
}

export interface WindowQuery {
  communityId: string;
  /** Number of UTC days back from `now` (or from `to`), that day included. Defaults to the retention window. */
  days?: number;
  /** Custom range, YYYY-MM-DD (inclusive); `from` overrides `days`. */
  from?: string;
  to?: string;
  channelId?: string;
  /** Only these entity types. */
  types?: string[];
  now?: Date;
}

export interface TopQuery extends WindowQuery {
  limit?: number;
}

export interface SeriesQuery extends WindowQuery {
  /** Entities to follow: folded on the way in; without a type, every type the text was counted as. */
  entities: Array<{ text: string; type?: string }>;
}

export interface RisingQuery extends WindowQuery {
  /** Fewer mentions than this in the window never rise (noise); default 5, or 0.1 % of the window's mentions when that is more. */
  minCount?: number;
  limit?: number;
}

export interface PairQuery extends WindowQuery {
  limit?: number;
}

export interface StatRow {
  day: string;
  channel: string;
  type: string;
  entity: string;
  count: number;
}

export interface TopEntry {
  /** The folded form counts merge on. */
  entity: string;
  /** The most frequent surface form in the window ("Taylor Swift", not "taylor swift"). */
  label: string;
  count: number;
}

export interface LabeledEntity extends EntityKey {
  label: string;
}

export interface SeriesResult {
  days: string[];
  series: Array<LabeledEntity & { counts: number[]; total: number }>;
}

export interface RisingEntry extends LabeledEntity {
  count: number;
  previous: number;
  /** (count + 1) / (previous + 1): how many times more often than in the previous window. */
  ratio: number;
}

export interface RisingResult {
  window: DayWindow;
  previous: DayWindow;
  /** False when part of the previous window lies before the retention window (counts there are gone). */
  previousComplete: boolean;
  minCount: number;
  entries: RisingEntry[];
}

export interface PairEntry {
  a: LabeledEntity;
  b: LabeledEntity;
  count: number;
}

export interface ChannelEntry {
  channel: string;
  count: number;
  text: number;
  image: number;
}

export interface SourceShare {
  total: number;
  text: number;
  ocr: number;
  caption: number;
  /** Counted before sources were recorded (migrated from the v1 layout). */
  unknown: number;
}

export interface Breakdown {
  channels: ChannelEntry[];
  sources: SourceShare;
}

export interface EntityStatsOptions {
  retentionDays: number;
  now?: () => Date;
}

function key(e: EntityKey): string {
  return `${e.type}\t${e.entity}`;
}

function surfaceForm(text: string): string {
  return text.normalize('NFC').replace(/\s+/gu, ' ').trim().slice(0, MAX_SURFACE_CHARS);
}

function checkCommunity(communityId: string): void {
  if (!communityId) throw new Error('statistics need a community id (guild or chat id); got an empty string');
}

function checkDay(name: string, day: string): void {
  if (!DAY_RE.test(day) || Number.isNaN(Date.parse(`${day}T00:00:00Z`)) || utcDay(new Date(`${day}T00:00:00Z`)) !== day) {
    throw new RangeError(`${name} must be a calendar day as YYYY-MM-DD, got "${day.slice(0, 20)}"`);
  }
}

function daysBetween(first: string, last: string): number {
  return Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / 86_400_000) + 1;
}

export class EntityStats {
  private readonly now: () => Date;
  private prunedDay: string | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(
    readonly backend: StatsBackend,
    private readonly options: EntityStatsOptions,
  ) {
    if (!Number.isInteger(options.retentionDays) || options.retentionDays < 1) {
      throw new Error(`stats.retentionDays must be a positive integer, got ${options.retentionDays}`);
    }
    this.now = options.now ?? (() => new Date());
  }

  get retentionDays(): number {
    return this.options.retentionDays;
  }

  /**
   * Counts one message's mentions; returns how many were counted: 0 when the message id was
   * counted before. Mentions whose text folds to nothing are skipped.
   */
  async record(input: RecordInput): Promise<number> {
    return (await this.recordMany([input]))[0]!;
  }

  /** record() for many messages in one store transaction (imports, benchmarks). */
  async recordMany(inputs: RecordInput[]): Promise<number[]> {
    const tallies = inputs.map((input) => this.tally(input));
    const firstDay = tallies.reduce<string | undefined>((min, t) => (min === undefined || t.day < min ? t.day : min), undefined);
    if (firstDay) await this.pruneOncePerDay(firstDay);
    const work = this.backend.apply(tallies).then((counted) => tallies.map((t, i) => (counted[i] ? mentions(t) : 0)));
    this.inFlight.add(work);
    try {
      return await work;
    } finally {
      this.inFlight.delete(work);
    }
  }

  private tally(input: RecordInput): MessageTally {
    checkCommunity(input.communityId);
    const day = utcDay(input.at ?? this.now());
    const entities = new Map<string, EntityKey & { count: number }>();
    const surfaces = new Map<string, EntityKey & { surface: string; count: number }>();
    const mix = new Map<string, { type: string; source: CountedSource; count: number }>();
    for (const m of input.entities) {
      const name = m.display ?? m.text;
      const entity = normalizeEntityText(name);
      if (!entity || !m.type) continue;
      const k = key({ type: m.type, entity });
      const e = entities.get(k) ?? { type: m.type, entity, count: 0 };
      e.count++;
      entities.set(k, e);
      const surface = surfaceForm(name);
      const sk = `${k}\t${surface}`;
      const s = surfaces.get(sk) ?? { type: m.type, entity, surface, count: 0 };
      s.count++;
      surfaces.set(sk, s);
      const source = m.source ?? 'text';
      const mk = `${m.type}\t${source}`;
      const x = mix.get(mk) ?? { type: m.type, source, count: 0 };
      x.count++;
      mix.set(mk, x);
    }
    const distinct = [...entities.values()].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)).slice(0, MAX_PAIR_ENTITIES);
    const pairs: MessageTally['pairs'] = [];
    for (let i = 0; i < distinct.length; i++) {
      for (let j = i + 1; j < distinct.length; j++) {
        pairs.push({
          a: { type: distinct[i]!.type, entity: distinct[i]!.entity },
          b: { type: distinct[j]!.type, entity: distinct[j]!.entity },
        });
      }
    }
    return {
      communityId: input.communityId,
      day,
      channel: input.channelId ?? '',
      ...(input.messageId !== undefined && input.messageId !== '' ? { messageId: input.messageId } : {}),
      entities: [...entities.values()],
      surfaces: [...surfaces.values()],
      mix: [...mix.values()],
      pairs,
    };
  }

  /** The inclusive day range a query covers, clipped to the retention window. */
  window(query: WindowQuery): DayWindow {
    const today = utcDay(query.now ?? this.now());
    const oldest = addDays(today, -(this.options.retentionDays - 1));
    if (query.to !== undefined) checkDay('to', query.to);
    if (query.from !== undefined) checkDay('from', query.from);
    const last = query.to !== undefined && query.to < today ? query.to : today;
    const days = Math.min(query.days ?? this.options.retentionDays, this.options.retentionDays);
    let first = query.from ?? addDays(last, -(days - 1));
    if (first < oldest) first = oldest;
    if (first > last) throw new RangeError(`the window starts (${first}) after it ends (${last}); from must not be after to`);
    return { first, last };
  }

  private slice(query: WindowQuery): Slice {
    checkCommunity(query.communityId);
    return {
      communityId: query.communityId,
      window: this.window(query),
      ...(query.channelId !== undefined ? { channel: query.channelId } : {}),
      ...(query.types?.length ? { types: query.types } : {}),
    };
  }

  /** Every stored count of a community inside the window, one row per day/channel/type/entity. */
  async rows(query: WindowQuery): Promise<StatRow[]> {
    return this.backend.rows(this.slice(query));
  }

  /** Top entities per type over the window, most frequent first. */
  async top(query: TopQuery): Promise<Record<string, TopEntry[]>> {
    const slice = this.slice(query);
    const rows = await this.backend.top(slice, query.limit ?? 10);
    const labels = await this.labels(slice, rows);
    const out: Record<string, TopEntry[]> = {};
    for (const r of rows) (out[r.type] ??= []).push({ entity: r.entity, label: labels.get(key(r)) ?? r.entity, count: r.count });
    return out;
  }

  /** Daily counts of the chosen entities, one value per day of the window (zeros included). */
  async series(query: SeriesQuery): Promise<SeriesResult> {
    const slice = this.slice(query);
    const days: string[] = [];
    for (let d = slice.window.first; d <= slice.window.last; d = addDays(d, 1)) days.push(d);
    const wanted: SeriesTarget[] = [];
    for (const e of query.entities) {
      const entity = normalizeEntityText(e.text);
      if (entity) wanted.push({ entity, ...(e.type ? { type: e.type } : {}) });
    }
    const points = await this.backend.series(slice, wanted);
    const byKey = new Map<string, { type: string; entity: string; counts: number[]; total: number }>();
    const index = new Map(days.map((d, i) => [d, i]));
    for (const p of points) {
      if (slice.types && !slice.types.includes(p.type)) continue;
      const k = key(p);
      const s = byKey.get(k) ?? { type: p.type, entity: p.entity, counts: days.map(() => 0), total: 0 };
      const i = index.get(p.day);
      if (i !== undefined) {
        s.counts[i]! += p.count;
        s.total += p.count;
      }
      byKey.set(k, s);
    }
    const found = [...byKey.values()];
    const labels = await this.labels(slice, found);
    // Keep the order the caller asked in; an entity never counted still gets a flat line.
    const series: SeriesResult['series'] = [];
    for (const w of wanted) {
      const matches = found.filter((s) => s.entity === w.entity && (w.type === undefined || s.type === w.type));
      if (matches.length === 0) {
        const type = w.type ?? '';
        series.push({ type, entity: w.entity, label: w.entity, counts: days.map(() => 0), total: 0 });
      }
      for (const s of matches) series.push({ ...s, label: labels.get(key(s)) ?? s.entity });
    }
    return { days, series };
  }

  /** Entities mentioned more in this window than in the previous window of the same length. */
  async rising(query: RisingQuery): Promise<RisingResult> {
    const slice = this.slice(query);
    const length = daysBetween(slice.window.first, slice.window.last);
    const previous = { first: addDays(slice.window.first, -length), last: addDays(slice.window.first, -1) };
    const oldest = addDays(utcDay(query.now ?? this.now()), -(this.options.retentionDays - 1));
    // The noise floor: 5 mentions, or 0.1 % of the window's mentions on a big community.
    const minCount = query.minCount ?? Math.max(5, Math.ceil((await this.backend.mix(slice)).reduce((n, r) => n + r.count, 0) / 1000));
    // biome-ignore lint/complexity/useMathMinMax: days are 'YYYY-MM-DD' strings; Math.max would make NaN of them
    const rows = await this.backend.rising(slice, previous.first < oldest ? oldest : previous.first, minCount);
    const ranked = rows
      .filter((r) => r.count > r.previous)
      .map((r) => ({ ...r, ratio: (r.count + 1) / (r.previous + 1) }))
      .sort((a, b) => b.ratio - a.ratio || b.count - a.count || key(a).localeCompare(key(b)))
      .slice(0, query.limit ?? 10);
    const labels = await this.labels(slice, ranked);
    return {
      window: slice.window,
      previous,
      previousComplete: previous.first >= oldest,
      minCount,
      entries: ranked.map((r) => ({
        type: r.type,
        entity: r.entity,
        label: labels.get(key(r)) ?? r.entity,
        count: r.count,
        previous: r.previous,
        ratio: Math.round(r.ratio * 100) / 100,
      })),
    };
  }

  /** Entities mentioned together in one message, most frequent pairs first. */
  async pairs(query: PairQuery): Promise<PairEntry[]> {
    const slice = this.slice(query);
    const rows = await this.backend.pairs(slice, query.limit ?? 20);
    const labels = await this.labels(
      slice,
      rows.flatMap((r) => [r.a, r.b]),
    );
    const labeled = (e: EntityKey): LabeledEntity => ({ ...e, label: labels.get(key(e)) ?? e.entity });
    return rows.map((r) => ({ a: labeled(r.a), b: labeled(r.b), count: r.count }));
  }

  /** Mentions per channel and the share read from images (OCR, captions) against text. */
  async breakdown(query: WindowQuery): Promise<Breakdown> {
    const rows = await this.backend.mix(this.slice(query));
    const sources: SourceShare = { total: 0, text: 0, ocr: 0, caption: 0, unknown: 0 };
    const channels = new Map<string, ChannelEntry>();
    for (const r of rows) {
      sources[r.source] += r.count;
      sources.total += r.count;
      const c = channels.get(r.channel) ?? { channel: r.channel, count: 0, text: 0, image: 0 };
      c.count += r.count;
      if (r.source === 'text') c.text += r.count;
      if (r.source === 'ocr' || r.source === 'caption') c.image += r.count;
      channels.set(r.channel, c);
    }
    return { channels: [...channels.values()].sort((a, b) => b.count - a.count || a.channel.localeCompare(b.channel)), sources };
  }

  /** Communities with counts inside retention (the operator's list). */
  async communities(): Promise<Array<{ communityId: string; mentions: number; firstDay: string; lastDay: string }>> {
    return this.backend.communities();
  }

  /** Sum of every count of a community within retention (used to check nothing was lost). */
  async total(communityId: string): Promise<number> {
    return (await this.breakdown({ communityId })).sources.total;
  }

  /** Deletes every count older than the retention window (all communities); returns how many records went. */
  async prune(now: Date = this.now()): Promise<number> {
    return this.backend.prune(addDays(utcDay(now), -(this.options.retentionDays - 1)));
  }

  /** Deletes all of a community's statistics and dedupe records (bot removed, `ekmm stats --delete`). */
  async deleteCommunity(communityId: string): Promise<number> {
    checkCommunity(communityId);
    return this.backend.deleteCommunity(communityId);
  }

  /** Waits for increments in flight (before closing the store). */
  async flush(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** The most frequent surface form of each entity inside the slice's window. */
  private async labels(slice: Slice, entities: EntityKey[]): Promise<Map<string, string>> {
    const unique = new Map<string, EntityKey>();
    for (const e of entities) unique.set(key(e), { type: e.type, entity: e.entity });
    const best = new Map<string, { surface: string; count: number }>();
    if (unique.size === 0) return new Map();
    for (const s of await this.backend.surfaces(slice.communityId, slice.window, [...unique.values()])) {
      const k = key(s);
      const cur = best.get(k);
      if (!cur || s.count > cur.count || (s.count === cur.count && s.surface < cur.surface))
        best.set(k, { surface: s.surface, count: s.count });
    }
    return new Map([...best].map(([k, v]) => [k, v.surface]));
  }

  private async pruneOncePerDay(day: string): Promise<void> {
    if (this.prunedDay !== undefined && this.prunedDay >= day) return;
    this.prunedDay = day;
    await this.prune(new Date(`${day}T12:00:00.000Z`));
  }
}

function mentions(t: MessageTally): number {
  let n = 0;
  for (const e of t.entities) n += e.count;
  return n;
}
