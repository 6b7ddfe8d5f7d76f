// The path every platform message takes once the adapter has turned it into an Incoming:
// dismiss -> guards -> bounded queue -> (download images) -> engine.recognize -> statistics.
// Adapters only translate platform events in and replies out.
import type { ImageInput, LanguageSetting, Message, Recognition } from '../../src/core/types.ts';
import type { EkmmConfig } from '../../src/config/schema.ts';
import type { EntityStats } from '../../src/stats/entity-stats.ts';
import { Guards, type Refusal } from './guards.ts';
import { groupEntities, type ReplyGroup } from './reply-format.ts';
import { QueueFullError } from './work-queue.ts';

/** The part of the engine adapters use; createEngine's Engine satisfies it. */
export interface RecognizingEngine {
  recognize(message: Message): Promise<Recognition>;
}

export interface Incoming {
  fromBot: boolean;
  userId: string;
  communityId: string;
  channelId?: string;
  messageId?: string;
  text: string;
  /** How many images the message carries; loaded only once the message is admitted. */
  imageCount: number;
  loadImages?: () => Promise<ImageInput[]>;
  language?: LanguageSetting;
  /** Count the entities in statistics (false for explicit lookups such as /entities). */
  record: boolean;
}

export type Outcome =
  | { kind: 'dismissed'; reason: 'bot' | 'empty' }
  | { kind: 'refused'; reason: Refusal; retryAfterMs: number; notify: boolean }
  | { kind: 'recognized'; recognition: Recognition; groups: ReplyGroup[]; counted: number }
  | { kind: 'failed'; error: string };

export interface ProcessorDeps {
  engine: RecognizingEngine;
  config: EkmmConfig;
  stats?: EntityStats;
  guards?: Guards;
  log?: (line: string) => void;
}

export type Tally = Record<Outcome['kind'], number>;

export class MessageProcessor {
  readonly guards: Guards;
  /** How many messages ended each way, for health reports and the flood benchmark. */
  readonly tally: Tally = { dismissed: 0, refused: 0, recognized: 0, failed: 0 };
  private readonly log: (line: string) => void;

  constructor(private readonly deps: ProcessorDeps) {
    this.guards = deps.guards ?? new Guards(deps.config.guards);
    this.log = deps.log ?? ((line) => console.error(line));
  }

  async process(incoming: Incoming): Promise<Outcome> {
    const outcome = await this.decide(incoming);
    this.tally[outcome.kind]++;
    return outcome;
  }

  private async decide(incoming: Incoming): Promise<Outcome> {
    if (incoming.fromBot) return { kind: 'dismissed', reason: 'bot' };
    const text = incoming.text.trim();
    if (!text && incoming.imageCount === 0) return { kind: 'dismissed', reason: 'empty' };

    const admission = this.guards.admit(incoming.userId, incoming.communityId);
    if (!admission.ok) return { kind: 'refused', reason: admission.reason, retryAfterMs: admission.retryAfterMs, notify: admission.notify };

    try {
      return await this.guards.queue.run(() => this.recognize(incoming, text));
    } catch (err) {
      if (err instanceof QueueFullError) {
        return { kind: 'refused', reason: 'queue_full', retryAfterMs: 0, notify: this.guards.noticeQueueFull(incoming.userId) };
      }
      // Only the error's message: it never carries the user's text or a token.
      const error = err instanceof Error ? err.message : String(err);
      this.log(`ekmm: recognition failed for message ${incoming.messageId ?? '?'} in ${incoming.communityId}: ${error}`);
      return { kind: 'failed', error };
    }
  }

  private async recognize(incoming: Incoming, text: string): Promise<Outcome> {
    const images = incoming.imageCount > 0 && incoming.loadImages ? await incoming.loadImages() : [];
    if (!text && images.length === 0) return { kind: 'dismissed', reason: 'empty' };
    const message: Message = {
      text,
      ...(images.length ? { images } : {}),
      ...(incoming.language ? { language: incoming.language } : {}),
      communityId: incoming.communityId,
      ...(incoming.channelId ? { channelId: incoming.channelId } : {}),
      userId: incoming.userId,
      ...(incoming.messageId ? { messageId: incoming.messageId } : {}),
    };
    const recognition = await this.deps.engine.recognize(message);
    let counted = 0;
    if (incoming.record && this.deps.stats) {
      counted = await this.deps.stats.record({
        communityId: incoming.communityId,
        ...(incoming.channelId ? { channelId: incoming.channelId } : {}),
        // A retried message (same platform id) is counted once: the store keeps the id.
        ...(incoming.messageId ? { messageId: incoming.messageId } : {}),
        entities: recognition.entities,
      });
    }
    return { kind: 'recognized', recognition, groups: groupEntities(recognition.entities, this.deps.config.entityTypes), counted };
  }
}
