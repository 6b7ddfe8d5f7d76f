// Alerts for watched entities. The host calls `onRecognized` once a message to be counted has
// been recognized (src/host/host.ts): this matches its entities against the community's
// watchlist, applies the per-community+entity window, and hands each alert to the AlertSink of
// the message's platform (the Discord and Telegram adapters implement it; they only format and
// post, no recognition logic lives there).
//
// Exactly once per message, also with BullMQ workers: workers only recognize and count; the
// answer comes back to the one serve process that received the platform message (a job retried
// after a worker crash still answers that caller once), and that process alerts. Workers hold
// no platform connection, and an alert sent from inside a job would repeat on each retry.
// The serve process further records each message id whose alerts it decided (a platform that
// redelivers a message, or the web API's repeated `id`, gets no second alert), writing the
// record before sending: a crash between the two loses that alert rather than doubling it.
//
// The window is a persisted last-alert record per community+entity, written with a TTL of the
// window into the same store as the watchlist (SQLite or Redis on stats.url): it survives a
// restart, goes with the community on deletion, and needs no second database client (which
// rate-limiter-flexible's RateLimiterSQLite/RateLimiterRedis would, beside the store registry).
// Check-and-set is serialized per community in this process; a community's messages all reach
// one process (one Telegram poller; a Discord guild lives on one shard).
import type { Entity, Recognition } from '../core/types.ts';
import type { Logger } from '../observability/logger.ts';
import { normalizeEntityText } from '../stats/normalize.ts';
import { watchKeys, type WatchEntry, type WatchStore } from './watchlist.ts';

/** Messages whose alerts were decided are remembered this long (platform redeliveries come within minutes). */
const DECIDED_MESSAGE_TTL_MS = 24 * 60 * 60 * 1000;

export interface Alert {
  communityId: string;
  channelId?: string;
  messageId?: string;
  /** The channel the message itself is in, when that is not `channelId` (a thread): links point there. */
  messageChannelId?: string;
  /** The entity as found (its most frequent surface form in this message), its type and folded key. */
  entity: { text: string; type: string; key: string };
  /** Which watchlist entry matched. */
  watched: WatchEntry;
  /** Read from an image (OCR text or caption) and/or from the message text. */
  fromImage: boolean;
  fromText: boolean;
  at: Date;
}

/** What an adapter implements to deliver alerts of its platform's communities to their moderators. */
export interface AlertSink {
  send(alert: Alert): Promise<void>;
}

/** Whom to alert for: the community, channel and message a recognized message was counted under. */
export interface AlertTarget {
  communityId: string;
  channelId?: string;
  messageId?: string;
  /** The channel the message itself is in when it was counted under another (a thread under its parent). */
  messageChannelId?: string;
}

export interface WatchAlertsOptions {
  windowMinutes: number;
  logger: Logger;
  now?: () => Date;
  /** Told each outcome (the app counts them in ekmm_watch_alerts_total). */
  onOutcome?: (platform: string, result: 'sent' | 'limited' | 'failed') => void;
}

interface Found {
  key: string;
  type: string;
  surfaces: Map<string, number>;
  fromImage: boolean;
  fromText: boolean;
}

/** The platform of a community id ("discord:123" -> "discord"). */
export function platformOf(communityId: string): string {
  const i = communityId.indexOf(':');
  return i > 0 ? communityId.slice(0, i) : communityId;
}

export class WatchAlerts {
  private readonly sinks = new Map<string, AlertSink>();
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly now: () => Date;
  /** Alerts handed to a sink and alerts held back by the window, for tests and logs. */
  readonly tally = { sent: 0, limited: 0, failed: 0 };

  constructor(
    readonly watchlists: WatchStore,
    private readonly options: WatchAlertsOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  get windowMinutes(): number {
    return this.options.windowMinutes;
  }

  /** The adapter of `platform` delivers its alerts; returns the function that unregisters it. */
  registerSink(platform: string, sink: AlertSink): () => void {
    this.sinks.set(platform, sink);
    return () => {
      if (this.sinks.get(platform) === sink) this.sinks.delete(platform);
    };
  }

  /**
   * Starts deciding the alerts for one recognized message without delaying its reply; `idle()`
   * waits for them (the host waits before the stores close).
   */
  onRecognized(target: AlertTarget, recognition: Recognition): void {
    if (recognition.entities.length === 0 || !this.sinks.has(platformOf(target.communityId))) return;
    const work = this.serialized(target.communityId, () => this.decide(target, recognition.entities)).catch((err: unknown) => {
      this.tally.failed++;
      this.options.onOutcome?.(platformOf(target.communityId), 'failed');
      // Ids only: never the message text.
      this.options.logger.warn(
        { community: target.communityId, messageId: target.messageId, error: err instanceof Error ? err.message : String(err) },
        'watch: alert failed',
      );
    });
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Resolves once every alert started so far was sent (or failed). */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }

  /** The alerts one message gives, before the window (exported for the matching tests). */
  static match(entities: readonly Entity[], watched: readonly WatchEntry[]): Array<{ found: Found; entry: WatchEntry }> {
    if (watched.length === 0) return [];
    const byKey = new Map<string, Found>();
    for (const e of entities) {
      const name = e.display ?? e.text;
      const key = normalizeEntityText(name);
      if (!key || !e.type) continue;
      const k = `${e.type}\t${key}`;
      const f = byKey.get(k) ?? { key, type: e.type, surfaces: new Map<string, number>(), fromImage: false, fromText: false };
      const surface = name.normalize('NFC').replace(/\s+/gu, ' ').trim();
      f.surfaces.set(surface, (f.surfaces.get(surface) ?? 0) + 1);
      if (e.source === 'text') f.fromText = true;
      else f.fromImage = true;
      byKey.set(k, f);
    }
    const out: Array<{ found: Found; entry: WatchEntry }> = [];
    for (const found of byKey.values()) {
      // A named entry is more specific than a type entry: it is the one reported.
      const entry =
        watched.find((w) => w.kind === 'entity' && w.key === found.key) ?? watched.find((w) => w.kind === 'type' && w.type === found.type);
      if (entry) out.push({ found, entry });
    }
    return out;
  }

  private async decide(target: AlertTarget, entities: readonly Entity[]): Promise<void> {
    const { communityId } = target;
    const matches = WatchAlerts.match(entities, await this.watchlists.entries(communityId));
    if (matches.length === 0) return;
    const store = this.watchlists.store;
    if (target.messageId) {
      const decided = watchKeys.message(communityId, target.messageId);
      if (await store.get(decided)) return;
      await store.set(decided, 1, DECIDED_MESSAGE_TTL_MS);
    }
    const at = this.now();
    const windowMs = this.options.windowMinutes * 60_000;
    for (const { found, entry } of matches) {
      const sentKey = watchKeys.sent(communityId, `${found.type}\t${found.key}`);
      const last = await store.get<number>(sentKey);
      if (typeof last === 'number' && at.getTime() - last < windowMs) {
        this.tally.limited++;
        this.options.onOutcome?.(platformOf(communityId), 'limited');
        continue;
      }
      await store.set(sentKey, at.getTime(), windowMs);
      const sink = this.sinks.get(platformOf(communityId));
      if (!sink) return;
      const alert: Alert = {
        communityId,
        ...(target.channelId ? { channelId: target.channelId } : {}),
        ...(target.messageId ? { messageId: target.messageId } : {}),
        ...(target.messageChannelId ? { messageChannelId: target.messageChannelId } : {}),
        entity: { text: mostFrequent(found.surfaces), type: found.type, key: found.key },
        watched: entry,
        fromImage: found.fromImage,
        fromText: found.fromText,
        at,
      };
      await sink.send(alert);
      this.tally.sent++;
      this.options.onOutcome?.(platformOf(communityId), 'sent');
    }
  }

  /** Runs `fn` after the community's previous decision finished, so check-and-set never races. */
  private serialized<T>(communityId: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(communityId) ?? Promise.resolve();
    const next = previous.then(fn, fn);
    const tail = next.catch(() => {});
    this.tails.set(communityId, tail);
    void tail.then(() => {
      if (this.tails.get(communityId) === tail) this.tails.delete(communityId);
    });
    return next;
  }
}

function mostFrequent(surfaces: Map<string, number>): string {
  let best = '';
  let n = -1;
  for (const [s, c] of surfaces) if (c > n) [best, n] = [s, c];
  return best;
}
