// Limits on what one message may carry (README "Limits and deadlines"). Bots cut past a limit
// with a warning (the platform already bounds its messages; this is the backstop); the web API
// refuses with a 413 before any work, using the same checks.
import type { ImageInput, Warning } from './types.ts';

/** Cuts text to at most `max` UTF-16 code units without splitting a surrogate pair. */
export function cutText(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = max > 0 && /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return text.slice(0, end);
}

export function limitText(text: string, max: number, setting: string): { text: string; warning?: Warning } {
  if (text.length <= max) return { text };
  return {
    text: cutText(text, max),
    warning: {
      code: 'text.truncated',
      stage: 'intake',
      message: `text of ${text.length} characters was cut to the first ${max} (${setting})`,
    },
  };
}

export function limitImages(images: ImageInput[], max: number): { images: ImageInput[]; warning?: Warning } {
  if (images.length <= max) return { images };
  return {
    images: images.slice(0, max),
    warning: {
      code: 'images.too_many',
      stage: 'intake',
      message: `${images.length} images sent; only the first ${max} were read (limits.imagesPerMessage)`,
    },
  };
}
