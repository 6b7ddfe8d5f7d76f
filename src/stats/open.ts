// Opens the statistics store named by config `stats.url` (sqlite file by default, so counts
// survive restarts) and wraps it in EntityStats.
import type { EkmmConfig } from '../config/schema.ts';
import { isIterableStore, type IterableStore, type Store } from '../core/stages.ts';
import { openStore } from '../store/open.ts';
import { EntityStats } from './entity-stats.ts';

export interface OpenedStats {
  stats: EntityStats;
  /** The underlying store, for small adapter records kept beside the counts (guild settings). */
  store: IterableStore;
  close(): Promise<void>;
}

export interface OpenStatsOptions {
  now?: () => Date;
  /** Opens the store by URL; the app passes one that goes through the store registry. */
  openStore?: (url: string) => Promise<Store>;
}

export async function openEntityStats(config: EkmmConfig, opts: OpenStatsOptions = {}): Promise<OpenedStats> {
  const store = await (opts.openStore ?? openStore)(config.stats.url);
  if (!isIterableStore(store)) {
    await store.close();
    throw new Error(`stats.url "${config.stats.url}": store ${store.name} cannot list keys by prefix, which statistics need; use sqlite://, redis:// or memory://`);
  }
  const stats = new EntityStats(store, { retentionDays: config.stats.retentionDays, ...(opts.now ? { now: opts.now } : {}) });
  return {
    stats,
    store,
    async close() {
      await stats.flush();
      await store.close();
    },
  };
}
