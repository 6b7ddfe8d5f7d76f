// Registers the built-in statistics backends by URL scheme, the way a third-party plugin would:
// sqlite:// (the default, a file), memory:// (SQLite in memory: the same SQL, so the same
// semantics, for tests), redis:// and rediss://.
import type { Plugin } from '../core/registry.ts';
import type { StatsOpener } from '../core/stats-backend.ts';
import { sqliteFileFromUrl } from '../store/open.ts';
import { SqliteStatsBackend } from './sqlite-backend.ts';
import { RedisStatsBackend } from './redis-backend.ts';

export const openSqliteStats: StatsOpener = async (url) => new SqliteStatsBackend(sqliteFileFromUrl(url));
export const openMemoryStats: StatsOpener = async () => new SqliteStatsBackend(':memory:');
export const openRedisStats: StatsOpener = (url, options) => RedisStatsBackend.open(url, options);

export const BUILTIN_STATS_OPENERS: Record<string, StatsOpener> = {
  sqlite: openSqliteStats,
  memory: openMemoryStats,
  redis: openRedisStats,
  rediss: openRedisStats,
};

const registerStats: Plugin = (r) => {
  for (const [scheme, opener] of Object.entries(BUILTIN_STATS_OPENERS)) {
    if (!r.stats.has(scheme)) r.stats.register(scheme, () => opener);
  }
};

export default registerStats;
