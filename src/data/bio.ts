// Tag schemes as data. The conlleval table reproduces conlleval.pl's startOfChunk/endOfChunk
// for B/I/O/E (plus S as the widely used Python port of conlleval extends it); the strict
// tables are seqeval's scheme.py patterns (IOB2, IOBES).

export type Prefix = 'B' | 'I' | 'O' | 'E' | 'S';

export interface ParsedTag {
  /** Part before the first '-' ('O' for the outside tag). conlleval splits the same way. */
  prefix: string;
  /** Entity type; '' for O. */
  type: string;
}

export function parseTag(tag: string): ParsedTag {
  const dash = tag.indexOf('-');
  if (dash < 0) return { prefix: tag, type: '' };
  return { prefix: tag.slice(0, dash), type: tag.slice(dash + 1) };
}

/** Tags the readers accept: O, or a B/I/E/S prefix, '-', and a non-empty type without spaces. */
export const TAG_PATTERN = /^(?:O|[BIES]-\S+)$/;
/** Twitter and CMNER files only use BIO. */
export const BIO_TAG_PATTERN = /^(?:O|[BI]-\S+)$/;

/**
 * conlleval-lenient (IOB1-compatible) chunk boundaries. A chunk ends before `cur` when
 * prev is E/S, when (prev, cur) is an end pair, or when prev is inside a chunk and the type changes;
 * a chunk starts at `cur` when cur is B/S, when (prev, cur) is a start pair, or when cur is
 * not O and the type changes.
 */
export const CONLLEVAL_TABLE = {
  endAfter: ['E', 'S'],
  endPairs: [
    ['B', 'B'],
    ['B', 'S'],
    ['B', 'O'],
    ['I', 'B'],
    ['I', 'S'],
    ['I', 'O'],
  ],
  startOn: ['B', 'S'],
  startPairs: [
    ['E', 'E'],
    ['E', 'I'],
    ['S', 'E'],
    ['S', 'I'],
    ['O', 'E'],
    ['O', 'I'],
  ],
} as const;

function hasPair(pairs: readonly (readonly [string, string])[], a: string, b: string): boolean {
  return pairs.some(([x, y]) => x === a && y === b);
}

export function conllevalEndOfChunk(prev: ParsedTag, cur: ParsedTag): boolean {
  const t = CONLLEVAL_TABLE;
  if ((t.endAfter as readonly string[]).includes(prev.prefix)) return true;
  if (hasPair(t.endPairs, prev.prefix, cur.prefix)) return true;
  return prev.prefix !== 'O' && prev.prefix !== '.' && prev.type !== cur.type;
}

export function conllevalStartOfChunk(prev: ParsedTag, cur: ParsedTag): boolean {
  const t = CONLLEVAL_TABLE;
  if ((t.startOn as readonly string[]).includes(cur.prefix)) return true;
  if (hasPair(t.startPairs, prev.prefix, cur.prefix)) return true;
  return cur.prefix !== 'O' && cur.prefix !== '.' && prev.type !== cur.type;
}

export type TagCondition = 'ANY' | 'SAME' | 'DIFF';
/** [previous prefix or ANY, current prefix or ANY, type condition] as in seqeval. */
export type Pattern = readonly [Prefix | 'ANY', Prefix | 'ANY', TagCondition];

export interface StrictScheme {
  name: 'IOB2' | 'IOBES';
  allowed: readonly Prefix[];
  start: readonly Pattern[];
  inside: readonly Pattern[];
  end: readonly Pattern[];
}

export const STRICT_SCHEMES: Record<StrictScheme['name'], StrictScheme> = {
  IOB2: {
    name: 'IOB2',
    allowed: ['B', 'I', 'O'],
    start: [['ANY', 'B', 'ANY']],
    inside: [
      ['B', 'I', 'SAME'],
      ['I', 'I', 'SAME'],
    ],
    end: [
      ['I', 'O', 'ANY'],
      ['I', 'I', 'DIFF'],
      ['I', 'B', 'ANY'],
      ['B', 'O', 'ANY'],
      ['B', 'I', 'DIFF'],
      ['B', 'B', 'ANY'],
    ],
  },
  IOBES: {
    name: 'IOBES',
    allowed: ['B', 'I', 'O', 'E', 'S'],
    start: [
      ['ANY', 'B', 'ANY'],
      ['ANY', 'S', 'ANY'],
    ],
    inside: [
      ['B', 'I', 'SAME'],
      ['B', 'E', 'SAME'],
      ['I', 'I', 'SAME'],
      ['I', 'E', 'SAME'],
    ],
    end: [
      ['S', 'ANY', 'ANY'],
      ['E', 'ANY', 'ANY'],
    ],
  },
};

export function matchesPattern(patterns: readonly Pattern[], prev: ParsedTag, cur: ParsedTag): boolean {
  return patterns.some(([p, c, cond]) => {
    if (p !== 'ANY' && p !== prev.prefix) return false;
    if (c !== 'ANY' && c !== cur.prefix) return false;
    if (cond === 'SAME') return prev.type === cur.type;
    if (cond === 'DIFF') return prev.type !== cur.type;
    return true;
  });
}

/** Entity type renames applied to tags, e.g. CMNER's and Twitter-2017's MISC -> OTHER. */
export type TypeMap = Readonly<Record<string, string>>;
export const DEFAULT_TYPE_MAP: TypeMap = { MISC: 'OTHER' };

export function mapTagTypes(tags: readonly string[], map: TypeMap = DEFAULT_TYPE_MAP): string[] {
  return tags.map((tag) => {
    const { prefix, type } = parseTag(tag);
    const to = type ? map[type] : undefined;
    return to === undefined ? tag : `${prefix}-${to}`;
  });
}

/**
 * Positions where an I- or E- tag does not continue a same-type chunk (after O, at the start,
 * after another type, or after a closed E-/S- chunk). IOB2 files should have none.
 */
export function bioViolationPositions(tags: readonly string[]): number[] {
  const out: number[] = [];
  let prev: ParsedTag = { prefix: 'O', type: '' };
  tags.forEach((tag, i) => {
    const cur = parseTag(tag);
    if (cur.prefix === 'I' || cur.prefix === 'E') {
      const continues = (prev.prefix === 'B' || prev.prefix === 'I') && prev.type === cur.type;
      if (!continues) out.push(i);
    }
    prev = cur;
  });
  return out;
}

export function bioViolations(tags: readonly string[]): number {
  return bioViolationPositions(tags).length;
}

/** Rewrites violating I-/E- tags to B-/S- so that IOB2/IOBES readers see the chunk conlleval sees. */
export function repairBio(tags: readonly string[]): string[] {
  const bad = new Set(bioViolationPositions(tags));
  return tags.map((tag, i) => {
    if (!bad.has(i)) return tag;
    const { prefix, type } = parseTag(tag);
    return `${prefix === 'E' ? 'S' : 'B'}-${type}`;
  });
}
