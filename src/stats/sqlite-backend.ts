// Statistics in SQLite tables (better-sqlite3, WAL). Each message is one IMMEDIATE transaction:
// the dedupe row and every `count = count + ?` UPSERT commit together or not at all, so several
// processes can write one file and a retried message is counted once.
//
// Layout (all WITHOUT ROWID, primary keys chosen for the dashboard's queries):
//   stats_entity_all (community, type, entity, day)             counts over all channels: series, exact sums
//     + index (community, type, day, count)                     each day's entities in count order: top
//   stats_entity     (community, channel, type, entity, day)    the same per channel: channel filter, export
//     + index (community, channel, type, day, count)
//   stats_pair_all / stats_pair  (community[, channel], pair, day) + (…, day, count)   entity pairs within one message
//   stats_mix        (community, day, channel, type, source)    per-channel breakdown and image/text share
//   stats_surface    (community, type, entity, day, surface)    surface forms, for display
//   stats_seen       (community, message_id) -> day             the dedupe record, pruned with retention
// A query without a channel reads the *_all tables, so it never sums over channels at read time.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type {
  CommunitySummary,
  DayWindow,
  EntityCount,
  EntityKey,
  MessageTally,
  MixRow,
  PairCount,
  RawRow,
  RisingCount,
  SeriesPoint,
  SeriesTarget,
  Slice,
  StatsBackend,
  SurfaceCount,
} from '../core/stats-backend.ts';
import { migrateSqliteV1 } from './migrate-v1.ts';
import { addDays } from './normalize.ts';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS stats_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats_entity_all (
  community TEXT NOT NULL, day TEXT NOT NULL, type TEXT NOT NULL, entity TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (community, type, entity, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stats_entity_all_ranked ON stats_entity_all (community, type, day, count);
CREATE TABLE IF NOT EXISTS stats_entity (
  community TEXT NOT NULL, channel TEXT NOT NULL, day TEXT NOT NULL, type TEXT NOT NULL, entity TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (community, channel, type, entity, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stats_entity_ranked ON stats_entity (community, channel, type, day, count);
CREATE TABLE IF NOT EXISTS stats_pair_all (
  community TEXT NOT NULL, day TEXT NOT NULL, type_a TEXT NOT NULL, entity_a TEXT NOT NULL, type_b TEXT NOT NULL, entity_b TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (community, type_a, entity_a, type_b, entity_b, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stats_pair_all_ranked ON stats_pair_all (community, day, count);
CREATE TABLE IF NOT EXISTS stats_pair (
  community TEXT NOT NULL, channel TEXT NOT NULL, day TEXT NOT NULL, type_a TEXT NOT NULL, entity_a TEXT NOT NULL, type_b TEXT NOT NULL, entity_b TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (community, channel, type_a, entity_a, type_b, entity_b, day)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stats_pair_ranked ON stats_pair (community, channel, day, count);
CREATE TABLE IF NOT EXISTS stats_mix (
  community TEXT NOT NULL, day TEXT NOT NULL, channel TEXT NOT NULL, type TEXT NOT NULL, source TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (community, day, channel, type, source)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats_surface (
  community TEXT NOT NULL, type TEXT NOT NULL, entity TEXT NOT NULL, day TEXT NOT NULL, surface TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (community, type, entity, day, surface)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS stats_seen (
  community TEXT NOT NULL, message_id TEXT NOT NULL, day TEXT NOT NULL,
  PRIMARY KEY (community, message_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS stats_seen_by_day ON stats_seen (day);
`;

/** Tables holding per-day data, with their day column; pruning and deletion walk this list. */
const DAY_TABLES = [
  'stats_entity_all',
  'stats_entity',
  'stats_pair_all',
  'stats_pair',
  'stats_mix',
  'stats_surface',
  'stats_seen',
] as const;

type Params = Array<string | number>;

function daysOf(w: DayWindow): string[] {
  const out: string[] = [];
  for (let d = w.first; d <= w.last; d = addDays(d, 1)) out.push(d);
  return out;
}

function typeFilter(types: string[] | undefined, column = 'type'): { sql: string; params: string[] } {
  if (!types || types.length === 0) return { sql: '', params: [] };
  return { sql: ` AND ${column} IN (${types.map(() => '?').join(',')})`, params: types };
}

/**
 * Exact top-k of sums over days without aggregating the whole window (Fagin's threshold
 * algorithm): read each day's `depth` most counted keys (an index in count order makes that a
 * short scan); a key outside every day's list totals at most the sum of the days' depth-th
 * counts. Once the k-th best exact total of the keys seen exceeds that bound, nothing unseen can
 * enter the top k; otherwise look twice as deep. On a large community's Zipf-like counts the
 * first or second depth settles it (see bench/stats.ts). On flat data (few mentions, mostly
 * counted once) the bound never bites: when a round leaves it unsettled with many distinct keys
 * seen, or after MAX_ROUNDS, this gives up (undefined) and the caller runs the plain GROUP BY,
 * which is cheap exactly there.
 */
const MAX_ROUNDS = 3;

function thresholdTop(
  days: string[],
  limit: number,
  dayList: (day: string, depth: number) => Array<{ key: string; count: number }>,
  exactTotal: (key: string) => number,
): Array<[string, number]> | undefined {
  const totals = new Map<string, number>();
  let depth = Math.max(limit * 2, 16);
  for (let round = 0; round < MAX_ROUNDS; round++, depth *= 2) {
    let threshold = 0;
    let exhausted = true;
    for (const day of days) {
      const rows = dayList(day, depth);
      if (rows.length === depth) {
        threshold += rows[depth - 1]!.count;
        exhausted = false;
      }
      for (const r of rows) if (!totals.has(r.key)) totals.set(r.key, exactTotal(r.key));
    }
    const ranked = [...totals].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    // Strictly greater: an unseen key tying the k-th would be ordered by name, so look deeper.
    if (exhausted || (ranked.length >= limit && ranked[limit - 1]![1] > threshold)) return ranked.slice(0, limit);
    // Many distinct keys already and still unsettled: flat data, where the GROUP BY is the cheaper way.
    if (totals.size > Math.max(500, 50 * limit)) return undefined;
  }
  return undefined;
}

export class SqliteStatsBackend implements StatsBackend {
  readonly name: string;
  private readonly db: Database.Database;
  private readonly write: {
    seen: Database.Statement<[string, string, string]>;
    entityAll: Database.Statement<[string, string, string, string, number]>;
    entity: Database.Statement<[string, string, string, string, string, number]>;
    pairAll: Database.Statement<[string, string, string, string, string, string]>;
    pair: Database.Statement<[string, string, string, string, string, string, string]>;
    mix: Database.Statement<[string, string, string, string, string, number]>;
    surface: Database.Statement<[string, string, string, string, string, number]>;
  };
  private readonly applyAll: (tallies: MessageTally[]) => boolean[];

  constructor(readonly file: string) {
    this.name = `sqlite:${file}`;
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    // Other processes write the same file; wait for their transaction instead of failing.
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(SCHEMA);
    const upsert = (table: string, cols: string[]): string =>
      `INSERT INTO ${table} (${cols.join(', ')}, count) VALUES (${cols.map(() => '?').join(', ')}, ?) ON CONFLICT DO UPDATE SET count = count + excluded.count`;
    this.write = {
      seen: this.db.prepare('INSERT INTO stats_seen (community, message_id, day) VALUES (?, ?, ?) ON CONFLICT DO NOTHING'),
      entityAll: this.db.prepare(upsert('stats_entity_all', ['community', 'day', 'type', 'entity'])),
      entity: this.db.prepare(upsert('stats_entity', ['community', 'channel', 'day', 'type', 'entity'])),
      pairAll: this.db.prepare(
        'INSERT INTO stats_pair_all (community, day, type_a, entity_a, type_b, entity_b, count) VALUES (?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1',
      ),
      pair: this.db.prepare(
        'INSERT INTO stats_pair (community, channel, day, type_a, entity_a, type_b, entity_b, count) VALUES (?, ?, ?, ?, ?, ?, ?, 1) ON CONFLICT DO UPDATE SET count = count + 1',
      ),
      mix: this.db.prepare(upsert('stats_mix', ['community', 'day', 'channel', 'type', 'source'])),
      surface: this.db.prepare(upsert('stats_surface', ['community', 'type', 'entity', 'day', 'surface'])),
    };
    const tx = this.db.transaction((tallies: MessageTally[]) => tallies.map((t) => this.applyOne(t)));
    // IMMEDIATE takes the write lock at BEGIN, so two processes never both read then upgrade.
    this.applyAll = (tallies) => tx.immediate(tallies);
    migrateSqliteV1(this.db, (tally) => this.applyOne(tally));
  }

  private applyOne(t: MessageTally): boolean {
    const c = t.communityId;
    if (t.messageId !== undefined && this.write.seen.run(c, t.messageId, t.day).changes === 0) return false;
    for (const e of t.entities) {
      this.write.entityAll.run(c, t.day, e.type, e.entity, e.count);
      this.write.entity.run(c, t.channel, t.day, e.type, e.entity, e.count);
    }
    for (const p of t.pairs) {
      this.write.pairAll.run(c, t.day, p.a.type, p.a.entity, p.b.type, p.b.entity);
      this.write.pair.run(c, t.channel, t.day, p.a.type, p.a.entity, p.b.type, p.b.entity);
    }
    for (const m of t.mix) this.write.mix.run(c, t.day, t.channel, m.type, m.source, m.count);
    for (const s of t.surfaces) this.write.surface.run(c, s.type, s.entity, t.day, s.surface, s.count);
    return true;
  }

  async apply(tallies: MessageTally[]): Promise<boolean[]> {
    return tallies.length === 0 ? [] : this.applyAll(tallies);
  }

  /** The entity table for the slice and the WHERE clause every entity query shares. */
  private entityScope(slice: Slice): { table: string; where: string; params: Params } {
    const t = typeFilter(slice.types);
    if (slice.channel !== undefined) {
      return {
        table: 'stats_entity',
        where: `community = ? AND channel = ? AND day BETWEEN ? AND ?${t.sql}`,
        params: [slice.communityId, slice.channel, slice.window.first, slice.window.last, ...t.params],
      };
    }
    return {
      table: 'stats_entity_all',
      where: `community = ? AND day BETWEEN ? AND ?${t.sql}`,
      params: [slice.communityId, slice.window.first, slice.window.last, ...t.params],
    };
  }

  /** Exact top-k per type, by thresholdTop over the (…, type, day, count) indexes. */
  async top(slice: Slice, limit: number): Promise<EntityCount[]> {
    const types = slice.types?.length ? slice.types : this.typesOf(slice.communityId);
    const days = daysOf(slice.window);
    const byChannel = slice.channel !== undefined;
    const scope: Params = byChannel ? [slice.communityId, slice.channel!] : [slice.communityId];
    const list = this.db.prepare<Params, { key: string; count: number }>(
      `SELECT entity AS key, count FROM ${byChannel ? 'stats_entity' : 'stats_entity_all'}
       WHERE community = ?${byChannel ? ' AND channel = ?' : ''} AND type = ? AND day = ? ORDER BY count DESC LIMIT ?`,
    );
    const exact = this.db.prepare<Params, { count: number | null }>(
      `SELECT SUM(count) AS count FROM ${byChannel ? 'stats_entity' : 'stats_entity_all'}
       WHERE community = ?${byChannel ? ' AND channel = ?' : ''} AND type = ? AND entity = ? AND day BETWEEN ? AND ?`,
    );
    const out: EntityCount[] = [];
    for (const type of [...types].sort()) {
      const ranked = thresholdTop(
        days,
        limit,
        (day, depth) => list.all(...scope, type, day, depth),
        (entity) => exact.get(...scope, type, entity, slice.window.first, slice.window.last)?.count ?? 0,
      );
      if (!ranked) return this.topByGrouping(slice, limit);
      for (const [entity, count] of ranked) out.push({ type, entity, count });
    }
    return out;
  }

  /** top() by aggregating every row of the window (the plain GROUP BY; kept for bench/stats.ts's comparison). */
  async topByGrouping(slice: Slice, limit: number): Promise<EntityCount[]> {
    const s = this.entityScope(slice);
    const sql = `SELECT type, entity, count FROM (
        SELECT type, entity, count, ROW_NUMBER() OVER (PARTITION BY type ORDER BY count DESC, entity) AS rank
        FROM (SELECT type, entity, SUM(count) AS count FROM ${s.table} WHERE ${s.where} GROUP BY type, entity))
      WHERE rank <= ? ORDER BY type, count DESC, entity`;
    return this.db.prepare<Params, EntityCount>(sql).all(...s.params, limit);
  }

  /**
   * Without summing the window: an entity with at least minCount mentions over D days was
   * mentioned at least ceil(minCount / D) times on one of them. So the candidates are the
   * (day, entity) rows at or above that, found per day by seeking the (…, type, day, count)
   * index; only their current and previous totals are then summed, by primary key. With the
   * default minimum (0.1 % of the window's mentions, see EntityStats.rising) that is a few
   * dozen entities per type even on a large community. When minCount is no more than the
   * window's length the daily minimum is 1 and prunes nothing: then one GROUP BY does it.
   */
  async rising(slice: Slice, previousFirst: string, minCount: number): Promise<RisingCount[]> {
    const types = slice.types?.length ? slice.types : this.typesOf(slice.communityId);
    const byChannel = slice.channel !== undefined;
    const table = byChannel ? 'stats_entity' : 'stats_entity_all';
    const scopeSql = `community = ?${byChannel ? ' AND channel = ?' : ''}`;
    const scope: Params = byChannel ? [slice.communityId, slice.channel!] : [slice.communityId];
    const days = daysOf(slice.window);
    const perDay = Math.ceil(minCount / days.length);
    // A daily minimum of 1 prunes nothing: every row is a candidate, and one GROUP BY is cheaper.
    if (perDay <= 1) return this.risingByGrouping(slice, previousFirst, minCount);
    const candidates = this.db.prepare<Params, { entity: string }>(
      `SELECT entity FROM ${table} INDEXED BY ${table}_ranked WHERE ${scopeSql} AND type = ? AND day = ? AND count >= ?`,
    );
    const total = this.db.prepare<Params, { count: number | null }>(
      `SELECT SUM(count) AS count FROM ${table} WHERE ${scopeSql} AND type = ? AND entity = ? AND day BETWEEN ? AND ?`,
    );
    const previousLast = addDays(slice.window.first, -1);
    const out: RisingCount[] = [];
    for (const type of types) {
      const seen = new Set<string>();
      for (const day of days) for (const r of candidates.all(...scope, type, day, perDay)) seen.add(r.entity);
      for (const entity of seen) {
        const count = total.get(...scope, type, entity, slice.window.first, slice.window.last)?.count ?? 0;
        if (count < minCount) continue;
        const previous = previousFirst <= previousLast ? (total.get(...scope, type, entity, previousFirst, previousLast)?.count ?? 0) : 0;
        out.push({ type, entity, count, previous });
      }
    }
    return out;
  }

  /** rising() in one GROUP BY pass over both windows (for bench/stats.ts's comparison and the tests). */
  async risingByGrouping(slice: Slice, previousFirst: string, minCount: number): Promise<RisingCount[]> {
    const s = this.entityScope({ ...slice, window: { first: previousFirst, last: slice.window.last } });
    const sql = `SELECT type, entity, current AS count, previous FROM (
        SELECT type, entity,
          SUM(CASE WHEN day >= ? THEN count ELSE 0 END) AS current,
          SUM(CASE WHEN day < ? THEN count ELSE 0 END) AS previous
        FROM ${s.table} WHERE ${s.where} GROUP BY type, entity)
      WHERE current >= ?`;
    return this.db.prepare<Params, RisingCount>(sql).all(slice.window.first, slice.window.first, ...s.params, minCount);
  }

  async series(slice: Slice, entities: SeriesTarget[]): Promise<SeriesPoint[]> {
    const out: SeriesPoint[] = [];
    for (const e of entities) {
      // Without a type, the known types of the community are tried one by one so the
      // (community, type, entity, day) index still serves every lookup.
      const types = e.type !== undefined ? [e.type] : this.typesOf(slice.communityId);
      for (const type of types) {
        const sql =
          slice.channel !== undefined
            ? 'SELECT day, type, entity, count FROM stats_entity WHERE community = ? AND channel = ? AND day BETWEEN ? AND ? AND type = ? AND entity = ? ORDER BY day'
            : 'SELECT day, type, entity, count FROM stats_entity_all WHERE community = ? AND type = ? AND entity = ? AND day BETWEEN ? AND ? ORDER BY day';
        const params: Params =
          slice.channel !== undefined
            ? [slice.communityId, slice.channel, slice.window.first, slice.window.last, type, e.entity]
            : [slice.communityId, type, e.entity, slice.window.first, slice.window.last];
        out.push(...this.db.prepare<Params, SeriesPoint>(sql).all(...params));
      }
    }
    return out;
  }

  private typesOf(communityId: string): string[] {
    return this.db
      .prepare<[string], { type: string }>('SELECT DISTINCT type FROM stats_mix WHERE community = ?')
      .all(communityId)
      .map((r) => r.type);
  }

  /** Top pairs by thresholdTop over the (…, day, count) indexes; `types` keeps pairs with a side of those types. */
  async pairs(slice: Slice, limit: number): Promise<PairCount[]> {
    const types = slice.types?.length ? slice.types : undefined;
    const marks = types?.map(() => '?').join(',');
    const typeSql = types ? ` AND (type_a IN (${marks}) OR type_b IN (${marks}))` : '';
    const typeParams = types ? [...types, ...types] : [];
    const byChannel = slice.channel !== undefined;
    const table = byChannel ? 'stats_pair' : 'stats_pair_all';
    const scopeSql = `community = ?${byChannel ? ' AND channel = ?' : ''}`;
    const scope: Params = byChannel ? [slice.communityId, slice.channel!] : [slice.communityId];
    const list = this.db.prepare<Params, { key: string; count: number }>(
      `SELECT type_a || char(9) || entity_a || char(9) || type_b || char(9) || entity_b AS key, count FROM ${table}
       WHERE ${scopeSql} AND day = ?${typeSql} ORDER BY count DESC LIMIT ?`,
    );
    const exact = this.db.prepare<Params, { count: number | null }>(
      `SELECT SUM(count) AS count FROM ${table} WHERE ${scopeSql} AND type_a = ? AND entity_a = ? AND type_b = ? AND entity_b = ? AND day BETWEEN ? AND ?`,
    );
    const ranked = thresholdTop(
      daysOf(slice.window),
      limit,
      (day, depth) => list.all(...scope, day, ...typeParams, depth),
      (key) =>
        exact.get(...scope, ...(key.split('\t') as [string, string, string, string]), slice.window.first, slice.window.last)?.count ?? 0,
    );
    if (!ranked) return this.pairsByGrouping(slice, limit);
    return ranked.map(([key, count]) => {
      const [ta, ea, tb, eb] = key.split('\t') as [string, string, string, string];
      return { a: { type: ta, entity: ea }, b: { type: tb, entity: eb }, count };
    });
  }

  /** pairs() by a plain GROUP BY over the window (for bench/stats.ts's comparison and the tests). */
  async pairsByGrouping(slice: Slice, limit: number): Promise<PairCount[]> {
    const types = slice.types?.length ? slice.types : undefined;
    const marks = types?.map(() => '?').join(',');
    const typeSql = types ? ` AND (type_a IN (${marks}) OR type_b IN (${marks}))` : '';
    const typeParams = types ? [...types, ...types] : [];
    const byChannel = slice.channel !== undefined;
    const sql = `SELECT type_a, entity_a, type_b, entity_b, SUM(count) AS count FROM ${byChannel ? 'stats_pair' : 'stats_pair_all'}
      WHERE community = ?${byChannel ? ' AND channel = ?' : ''} AND day BETWEEN ? AND ?${typeSql}
      GROUP BY type_a, entity_a, type_b, entity_b
      ORDER BY count DESC, type_a || char(9) || entity_a || char(9) || type_b || char(9) || entity_b LIMIT ?`;
    const scope: Params = byChannel ? [slice.communityId, slice.channel!] : [slice.communityId];
    const rows = this.db
      .prepare<Params, { type_a: string; entity_a: string; type_b: string; entity_b: string; count: number }>(sql)
      .all(...scope, slice.window.first, slice.window.last, ...typeParams, limit);
    return rows.map((r) => ({ a: { type: r.type_a, entity: r.entity_a }, b: { type: r.type_b, entity: r.entity_b }, count: r.count }));
  }

  async mix(slice: Slice): Promise<MixRow[]> {
    const t = typeFilter(slice.types);
    const channelSql = slice.channel !== undefined ? ' AND channel = ?' : '';
    const sql = `SELECT channel, type, source, SUM(count) AS count FROM stats_mix
      WHERE community = ? AND day BETWEEN ? AND ?${channelSql}${t.sql}
      GROUP BY channel, type, source ORDER BY channel, type, source`;
    const params: Params = [
      slice.communityId,
      slice.window.first,
      slice.window.last,
      ...(slice.channel !== undefined ? [slice.channel] : []),
      ...t.params,
    ];
    return this.db.prepare<Params, MixRow>(sql).all(...params);
  }

  async surfaces(communityId: string, window: DayWindow, entities: EntityKey[]): Promise<SurfaceCount[]> {
    const stmt = this.db.prepare<Params, SurfaceCount>(
      `SELECT type, entity, surface, SUM(count) AS count FROM stats_surface
       WHERE community = ? AND type = ? AND entity = ? AND day BETWEEN ? AND ? GROUP BY surface`,
    );
    const out: SurfaceCount[] = [];
    for (const e of entities) out.push(...stmt.all(communityId, e.type, e.entity, window.first, window.last));
    return out;
  }

  async rows(slice: Slice): Promise<RawRow[]> {
    const t = typeFilter(slice.types);
    const channelSql = slice.channel !== undefined ? ' AND channel = ?' : '';
    const sql = `SELECT day, channel, type, entity, count FROM stats_entity
      WHERE community = ?${channelSql} AND day BETWEEN ? AND ?${t.sql}
      ORDER BY day, channel, type, count DESC, entity`;
    const params: Params = [
      slice.communityId,
      ...(slice.channel !== undefined ? [slice.channel] : []),
      slice.window.first,
      slice.window.last,
      ...t.params,
    ];
    return this.db.prepare<Params, RawRow>(sql).all(...params);
  }

  async communities(): Promise<CommunitySummary[]> {
    return this.db
      .prepare<[], CommunitySummary>(
        `SELECT community AS communityId, SUM(count) AS mentions, MIN(day) AS firstDay, MAX(day) AS lastDay
         FROM stats_mix GROUP BY community ORDER BY community`,
      )
      .all();
  }

  async prune(firstKeptDay: string): Promise<number> {
    let removed = 0;
    this.db
      .transaction(() => {
        for (const table of DAY_TABLES) removed += this.db.prepare(`DELETE FROM ${table} WHERE day < ?`).run(firstKeptDay).changes;
      })
      .immediate();
    return removed;
  }

  async deleteCommunity(communityId: string): Promise<number> {
    let removed = 0;
    this.db
      .transaction(() => {
        for (const table of DAY_TABLES) removed += this.db.prepare(`DELETE FROM ${table} WHERE community = ?`).run(communityId).changes;
      })
      .immediate();
    return removed;
  }

  async close(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
