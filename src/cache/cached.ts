// Read-through caching over any Store. Values are wrapped in an envelope so that null (e.g. "no
// caption for this image") is cached too, and concurrent misses on one key compute only once.
import type { Store } from '../core/stages.ts';

interface Envelope<T> {
  v: T;
}

const inFlight = new WeakMap<Store, Map<string, Promise<unknown>>>();

export const DAY_MS = 24 * 60 * 60 * 1000;

export async function cached<T>(store: Store, key: string, ttlMs: number | undefined, compute: () => Promise<T>): Promise<T> {
  const hit = await store.get<Envelope<T>>(key);
  if (hit && typeof hit === 'object' && 'v' in hit) return hit.v;
  let pending = inFlight.get(store);
  if (!pending) inFlight.set(store, (pending = new Map()));
  const running = pending.get(key);
  if (running) return running as Promise<T>;
  const job = (async () => {
    const value = await compute();
    // undefined means "do not cache" (e.g. a truncated or failed answer).
    if (value !== undefined) await store.set<Envelope<T>>(key, { v: value }, ttlMs);
    return value;
  })();
  pending.set(key, job);
  try {
    return await job;
  } finally {
    pending.delete(key);
  }
}

/** Batch form: looks every key up, computes only the misses in one call, stores them. */
export async function cachedBatch<T>(
  store: Store,
  keys: string[],
  ttlMs: number | undefined,
  computeMisses: (missIndexes: number[]) => Promise<T[]>,
): Promise<T[]> {
  const hits = await Promise.all(keys.map((k) => store.get<Envelope<T>>(k)));
  const out: (T | undefined)[] = hits.map((h) => (h && typeof h === 'object' && 'v' in h ? h.v : undefined));
  const misses = out.flatMap((_v, i) => (hits[i] && 'v' in (hits[i] as object) ? [] : [i]));
  if (misses.length) {
    const computed = await computeMisses(misses);
    if (computed.length !== misses.length) {
      throw new Error(`cachedBatch: compute returned ${computed.length} results for ${misses.length} inputs`);
    }
    await Promise.all(
      misses.map(async (index, j) => {
        const value = computed[j] as T;
        out[index] = value;
        if (value !== undefined) await store.set<Envelope<T>>(keys[index]!, { v: value }, ttlMs);
      }),
    );
  }
  return out as T[];
}
