// BASELINE for bench/merge.ts only: the pre-issue-8 quadratic version, kept verbatim so the bench can
// time old and new side by side in one run. Not used by the service.
// How entities from several recognizers become one list. Documented in README "Merge policy".
//
// first-wins: recognizers are ranked by their order in `recognizer.backends`. An entity is kept
//   unless it overlaps an entity already kept from a higher-ranked recognizer in the same input
//   (the text, one OCR line, or one caption). Identical spans are never duplicated.
// union: every entity is kept; exact duplicates (same input, span and type) collapse to the first.
import type { Entity } from '../../src/core/types.ts';

export type MergePolicy = 'first-wins' | 'union';

function inputKey(e: Entity): string {
  return `${e.source}:${e.ocrLine ?? ''}:${e.caption ?? ''}`;
}

function overlaps(a: Entity, b: Entity): boolean {
  return a.start < b.end && b.start < a.end;
}

export function mergeEntities(ranked: Entity[][], policy: MergePolicy): Entity[] {
  const kept: Entity[] = [];
  for (const list of ranked) {
    const fromHigherRank = kept.slice();
    for (const e of list) {
      const key = inputKey(e);
      const sameInput = (k: Entity) => inputKey(k) === key;
      const duplicate = kept.some((k) => sameInput(k) && k.start === e.start && k.end === e.end && k.type === e.type);
      if (duplicate) continue;
      if (policy === 'first-wins' && fromHigherRank.some((k) => sameInput(k) && overlaps(k, e))) continue;
      kept.push(e);
    }
  }
  return sortEntities(kept);
}

const SOURCE_ORDER = { text: 0, ocr: 1, caption: 2 } as const;

export function sortEntities(entities: Entity[]): Entity[] {
  return entities.sort(
    (a, b) =>
      SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] ||
      (a.ocrLine ?? 0) - (b.ocrLine ?? 0) ||
      (a.caption ?? 0) - (b.caption ?? 0) ||
      a.start - b.start ||
      a.end - b.end,
  );
}

/** Maps a label onto a configured type through aliases; undefined when it is not a known type. */
export function canonicalType(label: string, types: readonly string[], aliases: Record<string, string>): string | undefined {
  const upper = label.trim().toUpperCase();
  if (types.includes(upper)) return upper;
  const alias = aliases[upper] ?? aliases[label.trim()];
  return alias && types.includes(alias) ? alias : undefined;
}
