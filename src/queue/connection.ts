// Redis connection settings for BullMQ from queue.url. BullMQ opens its own ioredis clients
// (one blocking client per worker); we give it options, never a shared client.
import type { ConnectionOptions } from 'bullmq';

export function redisConnection(url: string, purpose: 'producer' | 'worker'): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`queue.url "${describeRedisUrl(url)}" is not a URL; expected redis://host:port`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new Error(`queue.url must start with redis:// or rediss://, got ${u.protocol}//`);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new Error(`queue.url database "${u.pathname.slice(1)}" is not a number`);
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // Workers block on Redis and must retry forever (BullMQ requires null). The producer fails a
    // command after a few tries so a message never waits on a dead Redis past the reply timeout.
    maxRetriesPerRequest: purpose === 'worker' ? null : 2,
    // Reconnect forever, at most every 2 s: Redis coming back must be noticed without a restart.
    retryStrategy: (times: number) => Math.min(2000, 100 * 2 ** Math.min(times, 5)),
  };
}

/** The URL without its password, for messages. */
export function describeRedisUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, (_m, auth: string) => `//${auth.includes(':') ? `${auth.split(':')[0]}:***` : '***'}@`);
}

/**
 * Checks that Redis answers PING within `timeoutMs`, with a throwaway client that does not
 * reconnect. Done before BullMQ objects are made: a QueueEvents that never connected cannot be
 * closed (its close() waits for the connection), so start-up must not make one for a dead URL.
 */
export async function probeRedis(url: string, timeoutMs = 5000): Promise<void> {
  const { Redis } = await import('ioredis');
  const options = redisConnection(url, 'producer');
  const client = new Redis({
    ...options,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
  });
  let lastError = '';
  client.on('error', (err: Error) => (lastError = err.message));
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(
      `queue.url ${describeRedisUrl(url)}: cannot connect to Redis: ${lastError || (err instanceof Error ? err.message : String(err))}`,
    );
  } finally {
    client.disconnect();
  }
}
