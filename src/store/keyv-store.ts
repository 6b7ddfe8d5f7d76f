// One Store implementation over keyv for every backend; what differs per backend is only the
// keyv adapter and how a key prefix is enumerated.
import type { Keyv } from 'keyv';
import type { IterableStore } from '../core/stages.ts';

/** Raw [key, serialized envelope] pairs whose key starts with the prefix (expired ones may appear). */
export type RawPrefixScan = (prefix: string) => AsyncIterable<[string, unknown]> | Iterable<[string, unknown]>;

export class KeyvStore implements IterableStore {
  private closed = false;

  constructor(
    readonly name: string,
    private readonly keyv: Keyv,
    private readonly scan: RawPrefixScan,
    private readonly onClose: () => Promise<void> = async () => {},
  ) {
    // keyv emits adapter errors as events; without a listener they would crash the process.
    keyv.on('error', () => {});
    keyv.throwOnErrors = true;
  }

  async get<T>(key: string): Promise<T | undefined> {
    this.assertOpen();
    return (await this.keyv.get<T>(key)) ?? undefined;
  }

  async set<T>(key: string, value: T, ttlMs?: number): Promise<void> {
    this.assertOpen();
    if (value === undefined) throw new Error(`store ${this.name}: refusing to store undefined under "${key}"`);
    await this.keyv.set(key, value, ttlMs && ttlMs > 0 ? ttlMs : undefined);
  }

  async delete(key: string): Promise<boolean> {
    this.assertOpen();
    return this.keyv.delete(key);
  }

  async *iterate(prefix: string): AsyncIterable<[string, unknown]> {
    this.assertOpen();
    for await (const [key, raw] of this.scan(prefix)) {
      if (!key.startsWith(prefix) || raw === undefined || raw === null) continue;
      const data = await this.keyv.deserializeData<unknown>(raw as string);
      if (!data) continue;
      if (typeof data.expires === 'number' && data.expires <= Date.now()) continue;
      yield [key, data.value];
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.onClose();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`store ${this.name} is closed`);
  }
}
