// Upgrade from the v1 layout: keyv records `stats:v1:<community>:<day>:<channel>` holding
// { counts: { "TYPE\tentity": n } } in the key-value table of the same store. Each record becomes
// one tally (source unknown; no surface forms and no pairs: v1 kept neither, so a
// migrated entity shows folded until it is written again) and is
// deleted in the same transaction that adds its counts, so an interrupted upgrade neither loses
// nor doubles a count, and a second run finds nothing left to move.
import type Database from 'better-sqlite3';
import { FIELD_SEP, type MessageTally } from '../core/stats-backend.ts';

export const V1_PREFIX = 'stats:v1:';

export interface V1Bucket {
  communityId: string;
  day: string;
  channel: string;
  counts: Record<string, number>;
}

/** Parses a v1 key and its keyv value; undefined for anything that is not a v1 bucket. */
export function parseV1Record(key: string, value: unknown): V1Bucket | undefined {
  if (!key.startsWith(V1_PREFIX)) return undefined;
  const m = /^([^:]*):(\d{4}-\d{2}-\d{2}):(.*)$/.exec(key.slice(V1_PREFIX.length));
  if (!m) return undefined;
  const counts = (value as { counts?: unknown } | null)?.counts;
  if (typeof counts !== 'object' || counts === null) return undefined;
  const clean: Record<string, number> = {};
  for (const [k, n] of Object.entries(counts))
    if (typeof n === 'number' && Number.isInteger(n) && n > 0 && k.includes(FIELD_SEP)) clean[k] = n;
  return { communityId: decodeURIComponent(m[1]!), day: m[2]!, channel: decodeURIComponent(m[3]!), counts: clean };
}

export function v1BucketToTally(b: V1Bucket): MessageTally {
  const tally: MessageTally = {
    communityId: b.communityId,
    day: b.day,
    channel: b.channel,
    entities: [],
    surfaces: [],
    mix: [],
    pairs: [],
  };
  const perType = new Map<string, number>();
  for (const [k, count] of Object.entries(b.counts)) {
    const cut = k.indexOf(FIELD_SEP);
    const type = k.slice(0, cut);
    const entity = k.slice(cut + 1);
    tally.entities.push({ type, entity, count });
    perType.set(type, (perType.get(type) ?? 0) + count);
  }
  for (const [type, count] of perType) tally.mix.push({ type, source: 'unknown', count });
  return tally;
}

interface KvRow {
  key: string;
  value: string;
  expires: number | null;
}

/** Moves v1 buckets out of the `kv` table of the same SQLite file, if there is one. */
export function migrateSqliteV1(db: Database.Database, applyOne: (tally: MessageTally) => boolean): number {
  const hasKv = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kv'").get();
  if (!hasKv) return 0;
  const upper = `${V1_PREFIX}\u{10FFFF}`;
  let moved = 0;
  db.transaction(() => {
    const rows = db.prepare<[string, string], KvRow>('SELECT key, value, expires FROM kv WHERE key >= ? AND key < ?').all(V1_PREFIX, upper);
    const del = db.prepare<[string]>('DELETE FROM kv WHERE key = ?');
    const now = Date.now();
    for (const row of rows) {
      if (row.expires === null || row.expires > now) {
        let envelope: unknown;
        try {
          envelope = JSON.parse(row.value);
        } catch {
          throw new Error(`statistics upgrade: record "${row.key}" in the kv table is not JSON; fix or delete it, then start again`);
        }
        const bucket = parseV1Record(row.key, (envelope as { value?: unknown } | null)?.value);
        if (!bucket)
          throw new Error(`statistics upgrade: record "${row.key}" is not a v1 statistics bucket; fix or delete it, then start again`);
        applyOne(v1BucketToTally(bucket));
        moved++;
      }
      del.run(row.key);
    }
  }).immediate();
  return moved;
}
