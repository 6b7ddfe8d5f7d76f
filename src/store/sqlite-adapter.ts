// A keyv store adapter over better-sqlite3 (synchronous, no prebuilt-binary download at runtime).
// Rows hold keyv's serialized envelope; `expires` is duplicated in a column so expired rows can
// be purged and skipped without deserializing them.
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { KeyvStoreAdapter, StoredData } from 'keyv';

interface Row {
  key: string;
  value: string;
  expires: number | null;
}

export class SqliteKeyvAdapter extends EventEmitter implements KeyvStoreAdapter {
  readonly opts: { dialect: 'sqlite'; url: string };
  namespace?: string;
  private readonly db: Database.Database;
  private readonly stmt: {
    get: Database.Statement<[string], Row>;
    set: Database.Statement<[string, string, number | null]>;
    del: Database.Statement<[string]>;
    clear: Database.Statement<[]>;
    purge: Database.Statement<[number]>;
    range: Database.Statement<[string, string, number], Row>;
  };

  constructor(readonly file: string) {
    super();
    this.opts = { dialect: 'sqlite', url: `sqlite://${file}` };
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec('CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires INTEGER)');
    this.db.exec('CREATE INDEX IF NOT EXISTS kv_expires ON kv(expires) WHERE expires IS NOT NULL');
    this.stmt = {
      get: this.db.prepare('SELECT key, value, expires FROM kv WHERE key = ?'),
      set: this.db.prepare(
        'INSERT INTO kv (key, value, expires) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, expires = excluded.expires',
      ),
      del: this.db.prepare('DELETE FROM kv WHERE key = ?'),
      clear: this.db.prepare('DELETE FROM kv'),
      purge: this.db.prepare('DELETE FROM kv WHERE expires IS NOT NULL AND expires <= ?'),
      // Prefix scan as a key range so the primary-key index is used (LIKE would need escaping).
      range: this.db.prepare(
        'SELECT key, value, expires FROM kv WHERE key >= ? AND key < ? AND (expires IS NULL OR expires > ?) ORDER BY key',
      ),
    };
    this.purgeExpired();
  }

  purgeExpired(): number {
    return this.stmt.purge.run(Date.now()).changes;
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    const row = this.stmt.get.get(key);
    if (!row) return undefined;
    if (row.expires !== null && row.expires <= Date.now()) {
      this.stmt.del.run(key);
      return undefined;
    }
    return row.value as StoredData<Value>;
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    return Promise.all(keys.map((k) => this.get<Value>(k)));
  }

  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const text = typeof value === 'string' ? value : JSON.stringify(value);
    const expires = typeof ttl === 'number' && ttl > 0 ? Date.now() + ttl : null;
    this.stmt.set.run(key, text, expires);
    return true;
  }

  async delete(key: string): Promise<boolean> {
    return this.stmt.del.run(key).changes > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    let deleted = false;
    this.db.transaction(() => {
      for (const k of keys) deleted = this.stmt.del.run(k).changes > 0 || deleted;
    })();
    return deleted;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async clear(): Promise<void> {
    this.stmt.clear.run();
  }

  /**
   * Live rows whose key starts with `prefix`, in key order, with their raw serialized values.
   * Read eagerly: a lazy statement would keep the connection busy and make writes made by the
   * caller during iteration (e.g. retention deletes) throw.
   */
  entriesWithPrefix(prefix: string): Array<[string, string]> {
    const upper = prefix + '\u{10FFFF}';
    return this.stmt.range.all(prefix, upper, Date.now()).map((row) => [row.key, row.value]);
  }

  async disconnect(): Promise<void> {
    if (this.db.open) this.db.close();
  }
}
