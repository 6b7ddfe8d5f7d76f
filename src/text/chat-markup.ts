// Chat markup normalised into the text a tagger was trained on, with an exact way back.
//
//  - Discord mentions <@id> <@!id> <@&id> <#id>: the display name the adapter resolved
//    (MessageHints.mentions), else kept as a handle "@id" / "#id".
//  - Custom emoji <:name:id> <a:name:id>, timestamps <t:...>, Unicode emoji, @everyone / @here:
//    removed from the tagger's view (a space keeps the neighbours apart).
//  - URLs: kept (the Twitter models saw them), only Discord's <url> brackets go; the `urls` rule
//    (off by default) removes them.
//  - #hashtags: split into words at case and digit boundaries, then by the wordsninja word list
//    ("#TaylorSwift" -> "Taylor Swift", "#worldcupfinal" -> "world cup final"); the '#' goes.
//  - @handles: kept as they are (the Twitter models saw them that way).
//  - Elongations: a letter repeated 3+ times is squeezed to two, or to one where only that is
//    a word ("sooooo" -> "soo", "Looooondon" -> "Loondon", "gooood" -> "good").
//  - ALL CAPS lines: words re-cased like a headline ("TAYLOR SWIFT IN LONDON" -> "Taylor Swift
//    in London"); words of up to three letters stay capitals (USA, NBA, UK).
//  - Spans the platform marked (Telegram text_mention, mention) are copied untouched.
// Every unit of the view maps back to the raw text (offset-map.ts), so an entity found in the
// view is reported as raw.slice(start, end), always.
import type { MessageHints } from '../core/types.ts';
import { loadWordCosts, type WordCosts } from '../ocr/word-costs.ts';
import { splitHashtag } from './hashtag.ts';
import { MARKUP_RULES, type MarkupRule } from '../config/markup-rules.ts';
import { snapToCodePoints } from '../core/code-points.ts';
import { type MappedText, OffsetMapBuilder } from './offset-map.ts';

let costs: WordCosts | undefined;
function wordCosts(): WordCosts {
  costs ??= loadWordCosts();
  return costs;
}

// One alternative per markup kind, tried left to right at each position; order matters
// (a Discord mention before a bare '@', a URL before a word).
const MARKUP = new RegExp(
  [
    String.raw`(?<user><@!?(?<userId>\d+)>)`,
    String.raw`(?<role><@&(?<roleId>\d+)>)`,
    String.raw`(?<channel><#(?<channelId>\d+)>)`,
    String.raw`(?<customEmoji><a?:[\w~]+:\d+>)`,
    String.raw`(?<timestamp><t:-?\d+(?::[tTdDfFR])?>)`,
    String.raw`(?<url><?(?:https?:\/\/|www\.)[^\s<>]+>?)`,
    String.raw`(?<broadcast>@(?:everyone|here)\b)`,
    String.raw`(?<hashtag>(?<![\p{L}\p{N}_&])#(?<tag>[\p{L}\p{N}_]*\p{L}[\p{L}\p{N}_]*))`,
    String.raw`(?<handle>(?<![\p{L}\p{N}_])@[\p{L}\p{N}_]+)`,
    String.raw`(?<emoji>(?:\p{Extended_Pictographic}|\p{Regional_Indicator})(?:\uFE0F|\u200D|\p{Emoji_Modifier}|\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20E3)*)`,
    String.raw`(?<word>[\p{L}\p{M}]+)`,
  ].join('|'),
  'gu',
);

/** Headline words that stay lower case when an ALL CAPS line is re-cased. */
const SMALL_WORDS = new Set(
  'a an and as at but by for from in into is are was were be of off on onto or so the to up via with vs'.split(' '),
);
/** Capital words this short stay capitals: acronyms (USA, NBA, EU) outnumber short names. */
const ACRONYM_MAX = 3;

const CASED_LETTER = /[\p{Lu}\p{Ll}]/u;
const HAN = /\p{Script=Han}/u;

/** True for a line worth re-casing: at least two words of 2+ letters and no lower-case letter. */
export function isAllCapsLine(line: string): boolean {
  if (/\p{Ll}/u.test(line)) return false;
  const words = line.match(/\p{Lu}{2,}/gu) ?? [];
  return words.length >= 2;
}

/** Lower-cases code point by code point, keeping any whose lower case has another length. */
function lowerSameLength(text: string): string {
  let out = '';
  for (const ch of text) {
    const lower = ch.toLowerCase();
    out += lower.length === ch.length ? lower : ch;
  }
  return out;
}

function headlineCase(word: string, first: boolean): string {
  const lower = lowerSameLength(word);
  if (SMALL_WORDS.has(lower) && !first) return lower;
  if ([...word].length <= ACRONYM_MAX) return word;
  const [head = '', ...rest] = [...word];
  return head + lowerSameLength(rest.join(''));
}

/** Runs of one letter repeated 3+ times (case-insensitive), as [start, end) in the word. */
function elongatedRuns(word: string): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const m of word.matchAll(/(\p{L})\1{2,}/giu)) runs.push([m.index, m.index + m[0].length]);
  return runs;
}

function squeezed(word: string, runs: Array<[number, number]>, keep: 1 | 2): string {
  let out = '';
  let at = 0;
  for (const [s, e] of runs) {
    const unit = word.codePointAt(s)! > 0xffff ? 2 : 1;
    out += word.slice(at, s + keep * unit);
    at = e;
  }
  return out + word.slice(at);
}

export { MARKUP_RULES, type MarkupRule };
/**
 * The default: every rule but `urls`. The Twitter models saw URLs (their word key maps any URL to
 * one key), and removing them cost 0.5 F1 on Twitter-2015 test and gained nothing on the chat set
 * (bench/markup-ablation.ts; README "Chat markup").
 */
export const DEFAULT_MARKUP_RULES: readonly MarkupRule[] = MARKUP_RULES.filter((r) => r !== 'urls');

export interface NormalizeOptions {
  hints?: MessageHints;
  /** Rules applied (default DEFAULT_MARKUP_RULES); markup of a rule left out is copied as it is. */
  rules?: readonly MarkupRule[];
}

/** The tagger's view of a chat text, and the map back to it. */
export function normalizeChatText(raw: string, options: NormalizeOptions = {}): MappedText {
  const b = new OffsetMapBuilder(raw);
  const rules = new Set<MarkupRule>(options.rules ?? DEFAULT_MARKUP_RULES);
  const names = new Map<string, string>();
  for (const m of options.hints?.mentions ?? []) if (m.name.trim()) names.set(`${m.kind}:${m.id}`, m.name.trim());
  // Spans the platform marked are copied as they are; the markup rules apply between them.
  const protectedSpans = (options.hints?.spans ?? [])
    .filter((s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start >= 0 && s.end <= raw.length && s.start < s.end)
    .map((s) => snapToCodePoints(raw, s.start, s.end))
    .sort((x, y) => x.start - y.start);
  let at = 0;
  for (const span of protectedSpans) {
    if (span.start < at) continue; // overlapping marks: the first one wins
    normalizeRange(raw, at, span.start, b, names, rules);
    b.copy(span.start, raw.slice(span.start, span.end));
    at = span.end;
  }
  normalizeRange(raw, at, raw.length, b, names, rules);
  return b.build();
}

function normalizeRange(
  raw: string,
  from: number,
  to: number,
  b: OffsetMapBuilder,
  names: Map<string, string>,
  rules: Set<MarkupRule>,
): void {
  if (from >= to) return;
  const text = raw.slice(from, to);
  const capsLines = lineCapsFlags(raw);
  const capsAt = (pos: number) => capsLines.some(([s, e]) => pos >= s && pos < e);
  let at = 0;
  let lastWordEnd = -1;
  const copyGap = (end: number) => {
    if (end > at) b.copy(from + at, text.slice(at, end));
  };
  MARKUP.lastIndex = 0;
  for (const m of text.matchAll(MARKUP)) {
    const g = m.groups!;
    const start = m.index;
    const end = start + m[0].length;
    copyGap(start);
    const rawStart = from + start;
    const rawEnd = from + end;
    if (g.user !== undefined || g.role !== undefined || g.channel !== undefined) {
      if (!rules.has('mentions')) {
        b.copy(rawStart, m[0]);
        at = end;
        continue;
      }
      const [kind, id, sigil] =
        g.user !== undefined ? ['user', g.userId!, '@'] : g.role !== undefined ? ['role', g.roleId!, '@'] : ['channel', g.channelId!, '#'];
      const name = names.get(`${kind}:${id}`);
      b.replace(rawStart, rawEnd, name ?? `${sigil}${id}`, name !== undefined);
    } else if (g.url !== undefined && !rules.has('urls')) {
      // Kept for the tagger (the Twitter models saw URLs); only Discord's <...> embed guard goes.
      const inner = /^<(.*)>$/s.exec(m[0]);
      if (inner) {
        b.insert(rawStart, ' ');
        b.copy(rawStart + 1, inner[1]!);
        b.insert(rawEnd, ' ');
      } else b.copy(rawStart, m[0]);
    } else if ((g.customEmoji !== undefined || g.timestamp !== undefined) && !rules.has('customEmoji')) {
      b.copy(rawStart, m[0]);
    } else if (g.emoji !== undefined && !rules.has('emoji')) {
      b.copy(rawStart, m[0]);
    } else if (
      g.customEmoji !== undefined ||
      g.timestamp !== undefined ||
      g.url !== undefined ||
      g.broadcast !== undefined ||
      g.emoji !== undefined
    ) {
      b.insert(rawStart, ' ');
    } else if (g.hashtag !== undefined && !rules.has('hashtags')) {
      b.copy(rawStart, m[0]);
    } else if (g.hashtag !== undefined) {
      const body = g.tag!;
      const bodyAt = rawStart + 1;
      const caps = rules.has('caps') && (capsAt(rawStart) || isAllCapsLine(body));
      b.insert(rawStart, ' ');
      // A hashtag names one thing or none: "#TaylorSwift" is a person, "#BlackhawksRally" is no
      // team. An entity may take all of its words or none (measured on Twitter-2015, README).
      const wordsStart = b.length;
      splitHashtag(body).forEach(([offset, length], k) => {
        if (k > 0) b.insert(bodyAt + offset, ' ');
        const piece = body.slice(offset, offset + length);
        const cased = caps && CASED_LETTER.test(piece) ? headlineCase(piece, k === 0) : piece;
        b.copy(bodyAt + offset, cased, true);
      });
      b.whole(wordsStart, b.length);
    } else if (g.handle !== undefined) {
      b.copy(rawStart, m[0]);
    } else {
      const first = lastWordEnd < 0 || /[\n.!?:]\s*$/.test(raw.slice(Math.max(0, lastWordEnd), rawStart));
      word(m[0], rawStart, rules.has('caps') && capsAt(rawStart), first, rules.has('elongation'), b);
      lastWordEnd = rawEnd;
    }
    at = end;
  }
  copyGap(text.length);
}

/** [start, end) of each raw line written in capitals. */
function lineCapsFlags(raw: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let start = 0;
  for (const line of raw.split('\n')) {
    if (isAllCapsLine(line)) out.push([start, start + line.length]);
    start += line.length + 1;
  }
  return out;
}

function word(text: string, rawStart: number, caps: boolean, first: boolean, elongation: boolean, b: OffsetMapBuilder): void {
  if (HAN.test(text)) {
    // Chinese has no case, and repeated characters (哈哈哈) are words, not elongation.
    b.copy(rawStart, text);
    return;
  }
  const runs = elongation ? elongatedRuns(text) : [];
  if (runs.length === 0) {
    const cased = caps ? headlineCase(text, first) : text;
    b.copy(rawStart, cased, cased !== text);
    return;
  }
  const lower = lowerSameLength(text);
  const keep: 1 | 2 =
    wordCosts().cost(squeezed(lower, runs, 2)) === undefined && wordCosts().cost(squeezed(lower, runs, 1)) !== undefined ? 1 : 2;
  const cased = caps ? headlineCase(text, first) : text;
  let at = 0;
  for (const [s, e] of runs) {
    b.copy(rawStart + at, cased.slice(at, s));
    const unit = text.codePointAt(s)! > 0xffff ? 2 : 1;
    b.squeeze(rawStart + s, rawStart + e, cased.slice(s, s + keep * unit));
    at = e;
  }
  b.copy(rawStart + at, cased.slice(at));
}
