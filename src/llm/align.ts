// Puts the entities an LLM names back onto spans of what it was shown: the message text, an OCR
// line or a caption. Matching is exact, then case-insensitive, then whitespace-insensitive; a
// name found nowhere is dropped (LLMs paraphrase, translate and invent).
//
// Cost: linear in the sources, the names and their matches (plus a sort of the names and a
// log factor per claim check), where the earlier version scanned (and lower-cased) the whole
// text once per name; bench/merge.ts measures both side by side.
import type { Entity, EntitySource } from '../core/types.ts';
import { PhraseSearch } from './phrase-search.ts';

export interface AlignSource {
  source: EntitySource;
  text: string;
  ocrLine?: number;
  caption?: number;
}

export interface TypedName {
  text: string;
  type: string;
}

export interface AlignResult {
  entities: Entity[];
  /** Names found in no source. */
  unmatched: TypedName[];
  /** Names whose every occurrence was already taken by another (longer or earlier) entity. */
  overlapping: TypedName[];
}

type Span = [number, number];

const WORD = /[\p{L}\p{N}_]/u;
const UNSPACED_SCRIPT = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

function isWordChar(c: string | undefined): boolean {
  return c !== undefined && WORD.test(c) && !UNSPACED_SCRIPT.test(c);
}

/** A match must not start or end inside a word of a spaced script ("Al" in "Alabama"). */
function onBoundaries(text: string, [start, end]: Span): boolean {
  const cut = (inside: string | undefined, outside: string | undefined) => isWordChar(inside) && isWordChar(outside);
  return !cut(text[start], text[start - 1]) && !cut(text[end - 1], text[end]);
}

/**
 * One way of matching names against a source: how both are normalised, and where a match in the
 * normalised text lies in the original. Undefined when the normalisation changes length (a few
 * characters lower-case to two), since offsets would then be wrong.
 */
interface Tier {
  haystack(text: string): { text: string; span: (at: number, length: number) => Span } | undefined;
  needle(name: string): string;
}

const exact: Tier = {
  haystack: (text) => ({ text, span: (at, length) => [at, at + length] }),
  needle: (name) => name,
};

const caseInsensitive: Tier = {
  haystack: (text) => {
    const lower = text.toLowerCase();
    return lower.length === text.length ? { text: lower, span: (at, length) => [at, at + length] } : undefined;
  },
  needle: (name) => name.toLowerCase(),
};

/** What /\s/ matches, by UTF-16 code unit (checked unit by unit, as the earlier regex did). */
function isSpace(u: number): boolean {
  return (
    (u >= 0x09 && u <= 0x0d) ||
    u === 0x20 ||
    u === 0xa0 ||
    u === 0x1680 ||
    (u >= 0x2000 && u <= 0x200a) ||
    u === 0x2028 ||
    u === 0x2029 ||
    u === 0x202f ||
    u === 0x205f ||
    u === 0x3000 ||
    u === 0xfeff
  );
}

const whitespaceInsensitive: Tier = {
  haystack: (text) => {
    const positions: number[] = [];
    const units: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const u = text.charCodeAt(i);
      if (isSpace(u)) continue;
      positions.push(i);
      if (u < 0x80) units.push(u >= 0x41 && u <= 0x5a ? u + 32 : u);
      else {
        // Unit by unit: a whole-string toLowerCase would treat a final sigma differently.
        const lower = text[i]!.toLowerCase();
        if (lower.length !== 1) return undefined;
        units.push(lower.charCodeAt(0));
      }
    }
    let squeezed = '';
    for (let i = 0; i < units.length; i += 8192) squeezed += String.fromCharCode(...units.slice(i, i + 8192));
    return { text: squeezed, span: (at, length) => [positions[at]!, positions[at + length - 1]! + 1] };
  },
  needle: (name) => name.replace(/\s+/g, '').toLowerCase(),
};

const TIERS = [exact, caseInsensitive, whitespaceInsensitive];
const NONE: readonly Span[] = [];

/**
 * For each source and name, the spans of the first tier that matches the name there on word
 * boundaries (none when no tier does). One Aho-Corasick pass per tier and source replaces a scan
 * (and a lower-cased or squeezed copy of the text) per name; a later tier is built only for the
 * names an earlier one left unmatched somewhere.
 */
function firstMatches(names: readonly string[], sources: readonly AlignSource[]): (readonly Span[])[][] {
  const result: (readonly Span[])[][] = sources.map(() => names.map(() => NONE));
  let pending = names.map((_, n) => n);
  for (const tier of TIERS) {
    if (pending.length === 0) break;
    const needles = new Map<number, string>();
    const ids = new Map<string, number>();
    for (const n of pending) {
      const needle = tier.needle(names[n]!);
      if (!needle) continue;
      needles.set(n, needle);
      if (!ids.has(needle)) ids.set(needle, ids.size);
    }
    const search = new PhraseSearch([...ids.keys()]);
    sources.forEach((src, s) => {
      const hay = tier.haystack(src.text);
      if (!hay) return;
      const found = search.findAll(hay.text);
      const row = result[s]!;
      for (const n of pending) {
        const needle = needles.get(n);
        if (row[n]!.length || needle === undefined) continue;
        const starts = found.get(ids.get(needle)!);
        if (!starts) continue;
        const spans = starts.map((at) => hay.span(at, needle.length)).filter((sp) => onBoundaries(src.text, sp));
        if (spans.length) row[n] = spans;
      }
    });
    pending = pending.filter((n) => result.some((row) => row[n]!.length === 0));
  }
  return result;
}

/**
 * The spans already claimed in one source (disjoint by construction): a Fenwick tree of claimed
 * code units answers "is any unit of [start, end) claimed?" in O(log n).
 */
class Claims {
  private readonly tree: Int32Array;
  constructor(private readonly size: number) {
    this.tree = new Int32Array(size + 1);
  }

  private prefix(end: number): number {
    let sum = 0;
    for (let i = end; i > 0; i -= i & -i) sum += this.tree[i]!;
    return sum;
  }

  taken([start, end]: Span): boolean {
    return this.prefix(end) - this.prefix(start) > 0;
  }

  claim([start, end]: Span): void {
    for (let u = start; u < end; u++) for (let i = u + 1; i <= this.size; i += i & -i) this.tree[i]!++;
  }
}

const SOURCE_ORDER: Record<EntitySource, number> = { text: 0, ocr: 1, caption: 2 };

/** Text first, then OCR lines, then captions, each by line or caption, then by offset. */
export function inReadingOrder(a: Entity, b: Entity): number {
  return (
    SOURCE_ORDER[a.source] - SOURCE_ORDER[b.source] || (a.ocrLine ?? a.caption ?? 0) - (b.ocrLine ?? b.caption ?? 0) || a.start - b.start
  );
}

export function alignEntities(names: TypedName[], sources: AlignSource[], backend: string): AlignResult {
  const { found, unmatched, overlapping } = alignEntitiesIndexed(names, sources, backend);
  return { entities: found.map((f) => f.entity), unmatched, overlapping };
}

/** As alignEntities, with the index of the source each entity was found in. */
export function alignEntitiesIndexed(
  names: TypedName[],
  sources: AlignSource[],
  backend: string,
): { found: { entity: Entity; source: number }[]; unmatched: TypedName[]; overlapping: TypedName[] } {
  const hits: { entity: Entity; source: number }[] = [];
  const claims = sources.map((src) => new Claims(src.text.length));
  const claimedKeys = new Set<string>();
  const result: Omit<AlignResult, 'entities'> = { unmatched: [], overlapping: [] };
  // Longest first, so "New York City" claims its span before "New York" could.
  const ordered = names
    .map((n) => ({ text: n.text.trim(), type: n.type }))
    .filter((n) => n.text.length > 0)
    .sort((a, b) => b.text.length - a.text.length);
  const matches = firstMatches(
    ordered.map((n) => n.text),
    sources,
  );
  ordered.forEach((name, n) => {
    let found = false;
    let emitted = false;
    let blocked = false;
    sources.forEach((src, s) => {
      const spans = matches[s]![n]!;
      if (spans.length === 0) return;
      found = true;
      const free = spans.filter((sp) => !claims[s]!.taken(sp));
      if (free.length === 0) {
        // The same name listed twice is a repeat, not a conflict.
        if (!spans.some((sp) => claimedKeys.has(`${s}:${sp[0]}:${sp[1]}:${name.type}`))) blocked = true;
        return;
      }
      for (const [start, end] of free) {
        // Occurrences of one name may overlap each other ("aa" in "aaa"): the first one wins.
        if (claims[s]!.taken([start, end])) continue;
        emitted = true;
        claims[s]!.claim([start, end]);
        claimedKeys.add(`${s}:${start}:${end}:${name.type}`);
        const entity: Entity = {
          text: src.text.slice(start, end),
          type: name.type,
          start,
          end,
          source: src.source,
          ...(src.ocrLine !== undefined ? { ocrLine: src.ocrLine } : {}),
          ...(src.caption !== undefined ? { caption: src.caption } : {}),
          backend,
        };
        hits.push({ entity, source: s });
      }
    });
    if (!found) result.unmatched.push(name);
    else if (!emitted && blocked) result.overlapping.push(name);
  });
  hits.sort(({ entity: a }, { entity: b }) => inReadingOrder(a, b));
  return { found: hits, unmatched: result.unmatched, overlapping: result.overlapping };
}
