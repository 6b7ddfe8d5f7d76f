// What a bot tells the user about the images of a message it did not read: too large to fetch,
// past limits.imagesPerMessage (never downloaded), or a download that failed. Both bots collect
// these while the message is processed and add the note to their reply, so an image we did not
// read never looks like "nothing found", and an image-only message is never met with silence.
import type { Outcome } from '../../src/host/processor.ts';
import type { BotTexts } from './bot-texts.ts';

export class ImageNotes {
  /** Images over intake.maxBytes, not fetched. */
  tooLarge = 0;
  /** Images past limits.imagesPerMessage, not fetched. */
  pastLimit = 0;
  /** Images whose download failed (the platform or its CDN did not deliver them). */
  failed = 0;

  constructor(private readonly limit: number) {}

  /** The images to download: the first limits.imagesPerMessage of them; the rest are counted, never fetched. */
  take<T>(images: T[]): T[] {
    const kept = images.slice(0, this.limit);
    this.pastLimit = images.length - kept.length;
    return kept;
  }

  get any(): boolean {
    return this.tooLarge + this.pastLimit + this.failed > 0;
  }

  /** One line per kind of unread image, in the community's language. */
  text(texts: BotTexts, maxBytes: number): string {
    const lines: string[] = [];
    if (this.tooLarge) lines.push(texts.imageTooLarge(this.tooLarge, maxBytes));
    if (this.pastLimit) lines.push(texts.imagesPastLimit(this.limit));
    if (this.failed) lines.push(texts.imageUnreadable(this.failed));
    return lines.join('\n');
  }
}

/**
 * Whether the note belongs in a reply to this outcome: an answer, a failure, or a message that
 * turned out empty (it held only images we did not read). A refusal has its own reply.
 */
export function notesApply(notes: ImageNotes, outcome: Outcome): boolean {
  return (
    notes.any &&
    (outcome.kind === 'recognized' || outcome.kind === 'failed' || (outcome.kind === 'dismissed' && outcome.reason === 'empty'))
  );
}
