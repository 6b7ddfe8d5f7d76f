// Store URLs: sqlite:///abs/path, sqlite://relative/path (against EKMM_HOME or the working
// directory, never the package), redis://host:port,
// memory://. Each scheme has an opener; plugins may register more in registries.store.
import { Keyv } from 'keyv';
import KeyvRedis from '@keyv/redis';
import { statePath } from '../config/load.ts';
import type { Store } from '../core/stages.ts';
import type { StoreOpener } from '../core/registry.ts';
import { KeyvStore } from './keyv-store.ts';
import { SqliteKeyvAdapter } from './sqlite-adapter.ts';

const REDIS_NAMESPACE = 'ekmm';

/** sqlite://var/x.sqlite is relative (host "var" + path), sqlite:///abs/x.sqlite is absolute. */
export function sqliteFileFromUrl(url: URL): string {
  const raw = url.href.slice('sqlite://'.length);
  const path = decodeURIComponent(raw.split(/[?#]/)[0] ?? '');
  if (!path || path === '/')
    throw new Error(`store URL "${url.href}" names no file; use sqlite://var/cache.sqlite or sqlite:///abs/path.sqlite`);
  if (path === ':memory:') return path;
  return path.startsWith('/') ? path : statePath(path);
}

export const openSqliteStore: StoreOpener = async (url) => {
  const file = sqliteFileFromUrl(url);
  const adapter = new SqliteKeyvAdapter(file);
  const keyv = new Keyv({ store: adapter, useKeyPrefix: false, namespace: undefined });
  return new KeyvStore(
    `sqlite:${file}`,
    keyv,
    (prefix) => adapter.entriesWithPrefix(prefix),
    () => adapter.disconnect(),
  );
};

export const openMemoryStore: StoreOpener = async () => {
  const map = new Map<string, unknown>();
  const keyv = new Keyv({ store: map, useKeyPrefix: false, namespace: undefined });
  const scan = function* (prefix: string): Generator<[string, unknown]> {
    // Copy first so callers may write to the store while iterating.
    for (const entry of [...map.entries()]) if (entry[0].startsWith(prefix)) yield entry;
  };
  return new KeyvStore('memory', keyv, scan);
};

export const openRedisStore: StoreOpener = async (url) => {
  let connected = false;
  // Give up quickly at start-up (a wrong URL should fail fast); once connected, keep reconnecting.
  const reconnectStrategy = (retries: number): number | Error =>
    !connected && retries >= 3 ? new Error('giving up after 3 attempts') : Math.min(2000, 100 * 2 ** retries);
  const adapter = new KeyvRedis(
    { url: url.href, socket: { reconnectStrategy, connectTimeout: 3000 } },
    { namespace: REDIS_NAMESPACE, throwOnConnectError: true, connectionTimeout: 5000 },
  );
  const keyv = new Keyv({ store: adapter, useKeyPrefix: false, namespace: REDIS_NAMESPACE });
  const where = `${url.protocol}//${url.host}`; // never the password
  try {
    await adapter.getClient();
    connected = true;
  } catch (err) {
    await adapter.disconnect().catch(() => {});
    throw new Error(`store ${where}: cannot connect to Redis: ${(err as Error).message}`);
  }
  const scan = (prefix: string): AsyncIterable<[string, unknown]> => filterPrefix(adapter.iterator(REDIS_NAMESPACE), prefix);
  return new KeyvStore(`redis:${where}`, keyv, scan, () => adapter.disconnect());
};

async function* filterPrefix(source: AsyncIterable<Array<unknown>>, prefix: string): AsyncIterable<[string, unknown]> {
  for await (const [key, value] of source) if (typeof key === 'string' && key.startsWith(prefix)) yield [key, value];
}

export const BUILTIN_STORE_OPENERS: Record<string, StoreOpener> = {
  sqlite: openSqliteStore,
  memory: openMemoryStore,
  redis: openRedisStore,
  rediss: openRedisStore,
};

/**
 * Opens a store by URL. `extraOpeners` (e.g. ones plugins registered in registries.store) take
 * precedence over the built-in schemes.
 */
export async function openStore(url: string, extraOpeners: Record<string, StoreOpener> = {}): Promise<Store> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`store URL "${url}" is not a URL; expected sqlite://path, redis://host:port or memory://`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  const opener = extraOpeners[scheme] ?? BUILTIN_STORE_OPENERS[scheme];
  if (!opener) {
    const known = [...new Set([...Object.keys(extraOpeners), ...Object.keys(BUILTIN_STORE_OPENERS)])];
    throw new Error(`store URL "${url}": unknown scheme "${scheme}"; known: ${known.join(', ')}`);
  }
  return opener(parsed);
}
