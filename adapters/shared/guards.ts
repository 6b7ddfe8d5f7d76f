// The admission checks every adapter runs before spending work on a message: cheap dismissal
// of bots and empty messages, per-user and per-community token buckets, and the bounded queue.
import type { EkmmConfig } from '../../src/config/schema.ts';
import { RateLimiter } from './rate-limit.ts';
import { WorkQueue } from './work-queue.ts';

export type Refusal = 'user_rate' | 'community_rate' | 'queue_full';

export type Admission = { ok: true } | { ok: false; reason: Refusal; retryAfterMs: number; notify: boolean };

export interface GuardClock {
  now: () => number;
}

export class Guards {
  readonly queue: WorkQueue;
  private readonly perUser: RateLimiter;
  private readonly perCommunity: RateLimiter;
  /** One refusal notice per user per minute: telling a flooder "slow down" must not be a flood. */
  private readonly notices: RateLimiter;

  constructor(config: EkmmConfig['guards'], clock: () => number = Date.now) {
    this.perUser = new RateLimiter(config.perUserPerMinute, clock);
    this.perCommunity = new RateLimiter(config.perCommunityPerMinute, clock);
    this.notices = new RateLimiter(1, clock);
    this.queue = new WorkQueue(config.concurrency, config.queueSize);
  }

  /** Rate checks only; the queue is checked when the work is submitted. */
  admit(userId: string, communityId: string): Admission {
    if (!this.perUser.take(userId)) {
      return { ok: false, reason: 'user_rate', retryAfterMs: this.perUser.waitMs(userId), notify: this.notices.take(userId) };
    }
    if (!this.perCommunity.take(communityId)) {
      return { ok: false, reason: 'community_rate', retryAfterMs: this.perCommunity.waitMs(communityId), notify: this.notices.take(userId) };
    }
    return { ok: true };
  }

  /** Whether a refusal for a full queue should be told to this user now. */
  noticeQueueFull(userId: string): boolean {
    return this.notices.take(userId);
  }
}

export function refusalText(reason: Refusal, retryAfterMs: number): string {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  switch (reason) {
    case 'user_rate':
      return `You're sending messages faster than I can look at them. Please try again in about ${seconds} s.`;
    case 'community_rate':
      return `This chat is very busy right now, so I'm skipping some messages. Please try again in about ${seconds} s.`;
    case 'queue_full':
      return `I'm overloaded at the moment and couldn't look at this message. Please try again shortly.`;
  }
}
