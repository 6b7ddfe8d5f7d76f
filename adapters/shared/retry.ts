// Retries a platform call on rate limiting (429), server errors (5xx) and dropped connections.
// Other errors (bad request, forbidden) are not going to get better and are returned at once.
import type { Logger } from '../../src/observability/logger.ts';

export type RetryDecision = { retry: true; afterMs?: number } | { retry: false };

export interface RetryOptions {
  attempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  classify: (err: unknown) => RetryDecision;
  logger?: Logger;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withRetry<T>(what: string, fn: () => Promise<T>, opts: RetryOptions): Promise<T> {
  const attempts = opts.attempts ?? 4;
  const base = opts.baseDelayMs ?? 250;
  const max = opts.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const decision = opts.classify(err);
      if (!decision.retry || attempt >= attempts) throw err;
      const delay = Math.min(max, decision.afterMs ?? base * 2 ** (attempt - 1));
      opts.logger?.warn(
        { call: what, attempt, delayMs: delay },
        `${what} failed (${err instanceof Error ? err.message : String(err)}); retry ${attempt}/${attempts - 1} in ${delay} ms`,
      );
      await sleep(delay);
    }
  }
}

/** Network-level failures worth another try. */
export function isTransientNetworkError(err: unknown): boolean {
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  return (
    e?.name === 'FetchError' ||
    e?.name === 'AbortError' ||
    ['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'UND_ERR_SOCKET'].includes(String(code))
  );
}
