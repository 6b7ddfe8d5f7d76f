// Opens the statistics named by config `stats.url` (a sqlite file by default, so counts survive
// restarts) through the registries: the counts through `registries.stats`, and beside them, on
// the same URL, a key-value store (`registries.store`) for small adapter records (guild settings).
import type { EkmmConfig } from '../config/schema.ts';
import { ConfigError } from '../config/load.ts';
import { createRegistries, type Registries } from '../core/registry.ts';
import { isIterableStore, type IterableStore, type Store } from '../core/stages.ts';
import registerStores from '../store/register.ts';
import { EntityStats } from './entity-stats.ts';
import registerStats from './register.ts';

export interface OpenedStats {
  stats: EntityStats;
  /** The key-value store on the same URL, for small adapter records kept beside the counts (guild settings, watchlists). */
  store: IterableStore;
  close(): Promise<void>;
}

export interface OpenStatsOptions {
  now?: () => Date;
  /** The app's registries (plugins may have registered more schemes); the built-in ones otherwise. */
  registries?: Registries;
}

async function builtinRegistries(): Promise<Registries> {
  const r = createRegistries();
  await registerStores(r);
  await registerStats(r);
  return r;
}

export async function openEntityStats(config: EkmmConfig, opts: OpenStatsOptions = {}): Promise<OpenedStats> {
  const registries = opts.registries ?? (await builtinRegistries());
  let url: URL;
  try {
    url = new URL(config.stats.url);
  } catch {
    throw new ConfigError(`stats.url "${config.stats.url}" is not a URL; expected sqlite://path, redis://host:port or memory://`);
  }
  const scheme = url.protocol.replace(/:$/, '');
  const now = opts.now ?? (() => new Date());
  const ctx = { config, registries };
  const backend = await (await registries.stats.create(scheme, ctx))(url, { retentionDays: config.stats.retentionDays, now });
  let store: Store;
  try {
    store = await (await registries.store.create(scheme, ctx))(url);
  } catch (err) {
    await backend.close();
    throw err;
  }
  if (!isIterableStore(store)) {
    await store.close();
    await backend.close();
    throw new ConfigError(
      `stats.url "${config.stats.url}": store ${store.name} cannot list keys by prefix, which adapter settings need; use sqlite://, redis:// or memory://`,
    );
  }
  const stats = new EntityStats(backend, { retentionDays: config.stats.retentionDays, now });
  const kv = store;
  return {
    stats,
    store: kv,
    async close() {
      await stats.flush();
      await backend.close();
      await kv.close();
    },
  };
}
