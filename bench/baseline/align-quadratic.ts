// BASELINE for bench/merge.ts only: the pre-issue-8 quadratic version, kept verbatim so the bench can
// time old and new side by side in one run. Not used by the service.
// Puts the entities an LLM names back onto spans of what it was shown: the message text, an OCR
// line or a caption. Matching is exact, then case-insensitive, then whitespace-insensitive; a
// name found nowhere is dropped (LLMs paraphrase, translate and invent).
import type { Entity, EntitySource } from '../../src/core/types.ts';

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

function allIndexes(haystack: string, needle: string): number[] {
  const out: number[] = [];
  for (let i = haystack.indexOf(needle); i >= 0 && needle; i = haystack.indexOf(needle, i + 1)) out.push(i);
  return out;
}

function exactSpans(text: string, name: string): Span[] {
  return allIndexes(text, name).map((i) => [i, i + name.length]);
}

function caseInsensitiveSpans(text: string, name: string): Span[] {
  const lower = text.toLowerCase();
  // Lower-casing can change length for a few characters; offsets would then be wrong.
  if (lower.length !== text.length) return [];
  const needle = name.toLowerCase();
  return allIndexes(lower, needle).map((i) => [i, i + needle.length]);
}

function whitespaceInsensitiveSpans(text: string, name: string): Span[] {
  const positions: number[] = [];
  let squeezed = '';
  for (let i = 0; i < text.length; i++) {
    if (/\s/.test(text[i]!)) continue;
    positions.push(i);
    squeezed += text[i]!.toLowerCase();
  }
  const needle = name.replace(/\s+/g, '').toLowerCase();
  if (!needle || squeezed.length !== positions.length) return [];
  return allIndexes(squeezed, needle).map((i) => [positions[i]!, positions[i + needle.length - 1]! + 1]);
}

const TIERS = [exactSpans, caseInsensitiveSpans, whitespaceInsensitiveSpans];

function overlaps(a: Span, b: Span): boolean {
  return a[0] < b[1] && b[0] < a[1];
}

export function alignEntities(names: TypedName[], sources: AlignSource[], backend: string): AlignResult {
  const claimed: Span[][] = sources.map(() => []);
  const claimedKeys = new Set<string>();
  const result: AlignResult = { entities: [], unmatched: [], overlapping: [] };
  // Longest first, so "New York City" claims its span before "New York" could.
  const ordered = names
    .map((n) => ({ text: n.text.trim(), type: n.type }))
    .filter((n) => n.text.length > 0)
    .sort((a, b) => b.text.length - a.text.length);
  for (const name of ordered) {
    let found = false;
    let emitted = false;
    let blocked = false;
    sources.forEach((src, s) => {
      for (const tier of TIERS) {
        const spans = tier(src.text, name.text).filter((sp) => onBoundaries(src.text, sp));
        if (spans.length === 0) continue;
        found = true;
        const free = spans.filter((sp) => !claimed[s]!.some((c) => overlaps(c, sp)));
        if (free.length === 0) {
          // The same name listed twice is a repeat, not a conflict.
          if (!spans.some((sp) => claimedKeys.has(`${s}:${sp[0]}:${sp[1]}:${name.type}`))) blocked = true;
          break;
        }
        for (const [start, end] of free) {
          if (claimed[s]!.some((c) => overlaps(c, [start, end]))) continue;
          emitted = true;
          claimed[s]!.push([start, end]);
          claimedKeys.add(`${s}:${start}:${end}:${name.type}`);
          result.entities.push({
            text: src.text.slice(start, end),
            type: name.type,
            start,
            end,
            source: src.source,
            ...(src.ocrLine !== undefined ? { ocrLine: src.ocrLine } : {}),
            ...(src.caption !== undefined ? { caption: src.caption } : {}),
            backend,
          });
        }
        break;
      }
    });
    if (!found) result.unmatched.push(name);
    else if (!emitted && blocked) result.overlapping.push(name);
  }
  const order: Record<EntitySource, number> = { text: 0, ocr: 1, caption: 2 };
  result.entities.sort(
    (a, b) => order[a.source] - order[b.source] || (a.ocrLine ?? a.caption ?? 0) - (b.ocrLine ?? b.caption ?? 0) || a.start - b.start,
  );
  return result;
}
