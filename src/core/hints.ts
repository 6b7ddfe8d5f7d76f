// Entities the platform already names: a Telegram text_mention marks a span of the text as a
// mention of a user (the span is the name the sender wrote, the user has no @username). It is a
// person by the platform's word, so it is reported as PER with backend "hints" and ranks above
// every recognizer in the merge. Other hints only change what the tagger reads (chat-markup.ts).
import type { Entity, MessageHints } from './types.ts';
import { snapToCodePoints } from './code-points.ts';

export const HINTS_BACKEND = 'hints';

export function hintEntities(text: string, hints: MessageHints | undefined, entityTypes: readonly string[]): Entity[] {
  if (!hints?.spans?.length || !entityTypes.includes('PER')) return [];
  const out: Entity[] = [];
  for (const span of hints.spans) {
    if (span.kind !== 'text_mention') continue;
    if (
      !(Number.isInteger(span.start) && Number.isInteger(span.end) && span.start >= 0 && span.end <= text.length && span.start < span.end)
    )
      continue;
    // Trim the span to its visible name: Telegram offsets may include a trailing space.
    let { start, end } = snapToCodePoints(text, span.start, span.end);
    while (start < end && /\s/u.test(text[start]!)) start++;
    while (end > start && /\s/u.test(text[end - 1]!)) end--;
    if (start === end) continue;
    const entity: Entity = { text: text.slice(start, end), type: 'PER', start, end, source: 'text', backend: HINTS_BACKEND };
    if (span.name && span.name !== entity.text) entity.display = span.name;
    out.push(entity);
  }
  return out;
}
