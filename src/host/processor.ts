// The path every chat message takes once its adapter has turned it into an Incoming:
// dismiss -> guards -> the host's bounded queue -> (download images) -> executor -> statistics.
// Adapters only translate platform events in and replies out.
import type { ImageInput, LanguageSetting, Message, MessageHints, Recognition, Warning } from '../core/types.ts';
import type { Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { limitText } from '../core/limits.ts';
import type { Guards, Refusal } from './guards.ts';
import type { RecognitionJob, Recognized } from './host.ts';
import { QueueFullError } from './work-queue.ts';

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
  /** What the platform resolved about the text (mentions, marked spans; offsets into `text`). */
  hints?: MessageHints;
  /** Count the entities in statistics (false for explicit lookups such as /entities). */
  record: boolean;
  /** The channel the message itself is in, when it is counted under another (a Discord thread under its parent): alert links use it. */
  messageChannelId?: string;
}

export type Outcome =
  | { kind: 'dismissed'; reason: 'bot' | 'empty' }
  | { kind: 'refused'; reason: Refusal; retryAfterMs: number; notify: boolean }
  | { kind: 'recognized'; recognition: Recognition; counted: number }
  | { kind: 'failed'; error: string };

export type Tally = Record<Outcome['kind'], number>;

/** What the processor needs of the host (Host satisfies it). */
export interface ProcessorHost {
  readonly config: EkmmConfig;
  readonly guards: Guards;
  readonly logger: Logger;
  readonly metrics: Metrics;
  recognize(job: RecognitionJob): Promise<Recognized | undefined>;
}

export class MessageProcessor {
  /** How many messages ended each way, for health reports and the flood benchmark. */
  readonly tally: Tally = { dismissed: 0, refused: 0, recognized: 0, failed: 0 };

  constructor(private readonly host: ProcessorHost) {}

  async process(incoming: Incoming): Promise<Outcome> {
    const outcome = await this.decide(incoming);
    this.tally[outcome.kind]++;
    this.host.metrics.recognitions.inc({ platform: Metrics.platformOf(incoming.communityId), outcome: outcome.kind });
    return outcome;
  }

  private async decide(incoming: Incoming): Promise<Outcome> {
    if (incoming.fromBot) return { kind: 'dismissed', reason: 'bot' };
    const text = incoming.text.trim();
    if (!text && incoming.imageCount === 0) return { kind: 'dismissed', reason: 'empty' };

    const admission = await this.host.guards.admit(incoming.userId, incoming.communityId);
    if (!admission.ok) return { kind: 'refused', reason: admission.reason, retryAfterMs: admission.retryAfterMs, notify: admission.notify };

    // A bot cuts past its platform's own limit with a warning (the platform should not send more).
    const cut = limitText(text, this.textLimit(incoming.communityId), 'limits.textChars');
    try {
      const done = await this.host.recognize({
        message: () => this.message(incoming, cut.text),
        hasImages: incoming.imageCount > 0,
        ...(incoming.messageChannelId ? { messageChannelId: incoming.messageChannelId } : {}),
        // Fair queueing per community: one busy chat does not hold up the others.
        client: `community:${incoming.communityId}`,
        ...(incoming.record
          ? {
              countAs: {
                communityId: incoming.communityId,
                ...(incoming.channelId ? { channelId: incoming.channelId } : {}),
                ...(incoming.messageId ? { messageId: incoming.messageId } : {}),
              },
            }
          : {}),
      });
      if (!done) return { kind: 'dismissed', reason: 'empty' };
      const warnings: Warning[] = cut.warning ? [cut.warning, ...done.recognition.warnings] : done.recognition.warnings;
      return { kind: 'recognized', recognition: { ...done.recognition, warnings }, counted: done.counted };
    } catch (err) {
      if (err instanceof QueueFullError) {
        return { kind: 'refused', reason: 'queue_full', retryAfterMs: 0, notify: await this.host.guards.notify(incoming.userId) };
      }
      // Only the error's message: it never carries the user's text or a token.
      const error = err instanceof Error ? err.message : String(err);
      this.host.logger.warn({ messageId: incoming.messageId, community: incoming.communityId, error }, 'recognition failed');
      return { kind: 'failed', error };
    }
  }

  /** The platform's own message length (communities are "discord:<id>", "telegram:<id>"). */
  private textLimit(communityId: string): number {
    const limits = this.host.config.limits.textChars;
    const platform = communityId.slice(0, communityId.indexOf(':'));
    return platform === 'discord' || platform === 'telegram' ? limits[platform] : limits.api;
  }

  private async message(incoming: Incoming, text: string): Promise<Message | undefined> {
    const images = incoming.imageCount > 0 && incoming.loadImages ? await incoming.loadImages() : [];
    if (!text && images.length === 0) return undefined;
    return {
      text,
      ...(images.length ? { images } : {}),
      ...(incoming.language ? { language: incoming.language } : {}),
      ...(incoming.hints ? { hints: shiftHints(incoming.hints, incoming.text.length - incoming.text.trimStart().length) } : {}),
      communityId: incoming.communityId,
      ...(incoming.channelId ? { channelId: incoming.channelId } : {}),
      userId: incoming.userId,
      ...(incoming.messageId ? { messageId: incoming.messageId } : {}),
    };
  }
}

/** Hints whose span offsets follow the text after its leading whitespace was trimmed off. */
function shiftHints(hints: MessageHints, by: number): MessageHints {
  if (!by || !hints.spans) return hints;
  return { ...hints, spans: hints.spans.map((s) => ({ ...s, start: s.start - by, end: s.end - by })) };
}

/** `{ hints }` when there are any, for spreading into an Incoming. */
export function withHints(hints: MessageHints | undefined): { hints?: MessageHints } {
  return hints ? { hints } : {};
}
