// How entities from several recognizers become one list. Documented in README "Merge policy".
//
// first-wins: recognizers are ranked by their order in `recognizer.backends`. An entity is kept
//   unless it overlaps an entity already kept from a higher-ranked recognizer in the same input
//   (the text, one OCR line, or one caption). Identical spans are never duplicated.
// union: every entity is kept; exact duplicates (same input, span and type) collapse to the first.
//
// Cost: O(n log n) for n entities. Duplicates are found through a hash set; overlap with the
// higher ranks through, per input, the kept spans sorted by start with a running maximum of their
// ends (a span [s, e) overlaps one of them iff some kept span starting before e ends after s).
// The earlier version compared every new entity with every kept one: a 0.5 MB text froze the
// event loop for 33 s (issue 8); bench/merge.ts measures both side by side.
import type { Entity } from './types.ts';

export type MergePolicy = 'first-wins' | 'union';

interface Span {
  start: number;
  end: number;
}

interface Placement extends Span {
  key: string;
}

function inputKey(e: Entity): string {
  return `${e.source}:${e.ocrLine ?? ''}:${e.caption ?? ''}`;
}

/** Where an OCR name wrapped over lines lies: one span per line (keys as inputKey's). */
function placements(e: Entity): Placement[] {
  return (e.spans ?? []).map((s) => ({ key: `ocr:${s.ocrLine}:`, start: s.start, end: s.end }));
}

/** The spans kept for one input, frozen for the duration of one rank's list. */
class SpanIndex {
  private readonly starts: number[];
  /** maxEnd[i]: the largest end among the first i + 1 spans in start order. */
  private readonly maxEnd: number[];

  constructor(spans: readonly Span[]) {
    const sorted = [...spans].sort((a, b) => a.start - b.start);
    this.starts = sorted.map((s) => s.start);
    this.maxEnd = [];
    let max = -Infinity;
    for (const s of sorted) {
      max = Math.max(max, s.end);
      this.maxEnd.push(max);
    }
  }

  overlaps(start: number, end: number): boolean {
    // Last span whose start is < end (binary search), then the longest reach among it and those before.
    let lo = 0;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! < end) lo = mid + 1;
      else hi = mid;
    }
    return lo > 0 && this.maxEnd[lo - 1]! > start;
  }
}

export function mergeEntities(ranked: Entity[][], policy: MergePolicy): Entity[] {
  const kept: Entity[] = [];
  const keptByInput = new Map<string, Span[]>();
  const seen = new Set<string>();
  for (const list of ranked) {
    // Entities of the same rank never block each other, so the index is built once per rank.
    const higher = new Map<string, SpanIndex>();
    if (policy === 'first-wins') for (const [key, spans] of keptByInput) higher.set(key, new SpanIndex(spans));
    const index = (key: string, span: Span) => {
      const same = keptByInput.get(key);
      if (same) same.push(span);
      else keptByInput.set(key, [span]);
    };
    for (const e of list) {
      if (!(e.source === 'ocr' && e.spans && e.spans.length > 1)) {
        // One input (the common case, kept allocation-free: 100k entities in the merge test).
        const key = inputKey(e);
        const identity = `${key}|${e.start}|${e.end}|${e.type}`;
        if (seen.has(identity)) continue;
        if (higher.get(key)?.overlaps(e.start, e.end)) continue;
        seen.add(identity);
        kept.push(e);
        index(key, e);
        continue;
      }
      const places = placements(e);
      let identity = e.type;
      for (const p of places) identity += `;${p.key}|${p.start}|${p.end}`;
      if (seen.has(identity)) continue;
      if (places.some((p) => higher.get(p.key)?.overlaps(p.start, p.end))) continue;
      seen.add(identity);
      kept.push(e);
      for (const p of places) index(p.key, p);
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
