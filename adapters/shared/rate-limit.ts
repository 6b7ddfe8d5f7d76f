// Token buckets per key (user, community). A bucket refills continuously at perMinute/60 s and
// holds at most perMinute tokens, so a quiet user can burst up to a minute's worth.

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();
  private readonly refillPerMs: number;

  constructor(
    private readonly perMinute: number,
    private readonly clock: () => number = Date.now,
    /** Above this many tracked keys, idle (full) buckets are forgotten: memory stays bounded. */
    private readonly maxKeys = 50_000,
  ) {
    if (!(perMinute > 0)) throw new Error(`rate limit must be positive, got ${perMinute}`);
    this.refillPerMs = perMinute / 60_000;
  }

  /** Takes one token; false when the key has none left. */
  take(key: string): boolean {
    const now = this.clock();
    const b = this.refill(key, now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Milliseconds until the key has a token again (0 when it has one now). */
  waitMs(key: string): number {
    const b = this.refill(key, this.clock());
    return b.tokens >= 1 ? 0 : Math.ceil((1 - b.tokens) / this.refillPerMs);
  }

  get size(): number {
    return this.buckets.size;
  }

  private refill(key: string, now: number): Bucket {
    let b = this.buckets.get(key);
    if (!b) {
      if (this.buckets.size >= this.maxKeys) this.sweep(now);
      b = { tokens: this.perMinute, updatedAt: now };
      this.buckets.set(key, b);
      return b;
    }
    b.tokens = Math.min(this.perMinute, b.tokens + (now - b.updatedAt) * this.refillPerMs);
    b.updatedAt = now;
    return b;
  }

  private sweep(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + (now - b.updatedAt) * this.refillPerMs >= this.perMinute) this.buckets.delete(key);
    }
    // Everyone is mid-burst: forget the oldest half rather than grow without bound.
    if (this.buckets.size >= this.maxKeys) {
      let drop = Math.ceil(this.buckets.size / 2);
      for (const key of this.buckets.keys()) {
        if (drop-- <= 0) break;
        this.buckets.delete(key);
      }
    }
  }
}
