// The admission checks run before any work is spent on a message: per-user and per-community
// limits (rate-limiter-flexible's in-memory limiter: `points` per 60 s window, keys expire with
// their window so memory stays bounded), and one refusal notice per user per minute, so telling
// a flooder "slow down" is not a flood of its own.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { EkmmConfig } from '../config/schema.ts';

export type Refusal = 'user_rate' | 'community_rate' | 'queue_full';

export type Admission = { ok: true } | { ok: false; reason: Refusal; retryAfterMs: number; notify: boolean };

type Taken = { ok: true } | { ok: false; retryAfterMs: number };

async function take(limiter: RateLimiterMemory, key: string): Promise<Taken> {
  try {
    await limiter.consume(key);
    return { ok: true };
  } catch (err) {
    // The in-memory limiter rejects with a RateLimiterRes when the key has no points left.
    if (err instanceof RateLimiterRes) return { ok: false, retryAfterMs: err.msBeforeNext };
    throw err;
  }
}

export class Guards {
  private readonly perUser: RateLimiterMemory;
  private readonly perCommunity: RateLimiterMemory;
  private readonly notices: RateLimiterMemory;

  constructor(config: EkmmConfig['guards']) {
    this.perUser = new RateLimiterMemory({ keyPrefix: 'user', points: config.perUserPerMinute, duration: 60 });
    this.perCommunity = new RateLimiterMemory({ keyPrefix: 'community', points: config.perCommunityPerMinute, duration: 60 });
    this.notices = new RateLimiterMemory({ keyPrefix: 'notice', points: 1, duration: 60 });
  }

  /** Rate checks only; the queue is checked when the work is submitted. */
  async admit(userId: string, communityId: string): Promise<Admission> {
    const user = await take(this.perUser, userId);
    if (!user.ok) return { ok: false, reason: 'user_rate', retryAfterMs: user.retryAfterMs, notify: await this.notify(userId) };
    const community = await take(this.perCommunity, communityId);
    if (!community.ok)
      return { ok: false, reason: 'community_rate', retryAfterMs: community.retryAfterMs, notify: await this.notify(userId) };
    return { ok: true };
  }

  /** Whether a refusal should be told to this user now (at most once a minute). */
  async notify(userId: string): Promise<boolean> {
    return (await take(this.notices, userId)).ok;
  }
}
