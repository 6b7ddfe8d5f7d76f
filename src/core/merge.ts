// How entities from several recognizers become one list. Documented in README "Merge policy".
//
// first-wins: recognizers are ranked by their order in `recognizer.backends`. An entity is kept
//   unless it overlaps an entity already kept from a higher-ranked recognizer in the same input
//   (the text, one OCR line, or one caption). Identical spans are never duplicated.
// union: every entity is kept; exact duplicates (same input, span and type) collapse to the first.
import type { Entity } from './types.ts';

export type MergePolicy = 'first-wins' | 'union';

/** Where an entity lies: one span per input it touches (an OCR entity may cover several lines). */
function placements(e: Entity): Array<{ key: string; start: number; end: number }> {
  if (e.source === 'ocr' && e.spans?.length) return e.spans.map((s) => ({ key: `ocr:${s.ocrLine}:`, start: s.start, end: s.end }));
  return [{ key: `${e.source}:${e.ocrLine ?? ''}:${e.caption ?? ''}`, start: e.start, end: e.end }];
}

function sameSpans(a: Entity, b: Entity): boolean {
  const pa = placements(a);
  const pb = placements(b);
  return pa.length === pb.length && pa.every((p, i) => p.key === pb[i]!.key && p.start === pb[i]!.start && p.end === pb[i]!.end);
}

function overlaps(a: Entity, b: Entity): boolean {
  const pb = placements(b);
  return placements(a).some((p) => pb.some((q) => p.key === q.key && p.start < q.end && q.start < p.end));
}

export function mergeEntities(ranked: Entity[][], policy: MergePolicy): Entity[] {
  const kept: Entity[] = [];
  for (const list of ranked) {
    const fromHigherRank = kept.slice();
    for (const e of list) {
      const duplicate = kept.some((k) => k.type === e.type && sameSpans(k, e));
      if (duplicate) continue;
      if (policy === 'first-wins' && fromHigherRank.some((k) => overlaps(k, e))) continue;
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
