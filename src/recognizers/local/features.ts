// Token keys and knowledge/caption features, mirroring training/ekmm_data.py rule for rule (the
// model only works if inference builds exactly the features it was trained on). Python's
// `[^\W_]` (letter or digit) is `[\p{L}\p{N}]` here; its `\d` is `\p{Nd}`.

const EDGE_NON_ALNUM = /^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu;
const ALNUM_RUN = /[\p{L}\p{N}]+/gu;
const DIGIT = /\p{Nd}/gu;
const ENTITY_LIST = /named entities\s*:([\s\S]*?)(?:reasoning\s*:|$)/iu;
const ENTITY_ITEM = /\p{Nd}+\.\s*([^()]+?)\s*\(([^()]*)\)/gu;

export const KNOWLEDGE_TYPES = ['PER', 'LOC', 'ORG', 'OTHER'] as const;
export type KnowledgeType = (typeof KNOWLEDGE_TYPES)[number];

/** The 13 feature columns, in the order the model was trained with (checked against the manifest). */
export const FEATURES = [
  'knowledge_present',
  'in_knowledge_text',
  'listed_span_PER',
  'listed_span_LOC',
  'listed_span_ORG',
  'listed_span_OTHER',
  'listed_span_begin',
  'listed_word_PER',
  'listed_word_LOC',
  'listed_word_ORG',
  'listed_word_OTHER',
  'caption_present',
  'in_caption',
] as const;

/** Key of a token in the word vocabulary. */
export function wordKey(token: string): string {
  const t = token.toLowerCase();
  if (t.startsWith('http://') || t.startsWith('https://') || t.startsWith('www.')) return '<url>';
  return t.replace(DIGIT, '0');
}

// ASCII fast paths: for a string of ASCII characters only, [\p{L}\p{N}] is [A-Za-z0-9] and
// scanning char codes gives what the regexes give, several times faster (the knowledge texts'
// words were a third of the feature time); anything else takes the regexes.

/** Char code of an ASCII letter or digit. */
const asciiAlnum = (c: number): boolean => (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);

/** -1: some character is not ASCII; else 1 when all are letters/digits, 0 when not. */
function asciiKind(s: string): number {
  let all = 1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return -1;
    if (!asciiAlnum(c)) all = 0;
  }
  return all;
}

/** An ASCII string without leading and trailing non-letters/digits (EDGE_NON_ALNUM's replace). */
function stripAscii(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && !asciiAlnum(s.charCodeAt(a))) a++;
  while (b > a && !asciiAlnum(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

/** Key used to look a token up in knowledge/caption text. */
export function matchKey(token: string): string {
  const t = token.toLowerCase();
  const kind = asciiKind(t);
  if (kind === 1) return t;
  if (kind === 0) return stripAscii(t);
  return t.replace(EDGE_NON_ALNUM, '');
}

/** Every whitespace word (edge punctuation stripped) and every letter/digit run of a text. */
export function textKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const w of text.toLowerCase().split(/\s+/u)) {
    if (!w) continue;
    const kind = asciiKind(w);
    if (kind === 1) {
      keys.add(w); // its stripped form and its only run
    } else if (kind === 0) {
      const k = stripAscii(w);
      if (k) keys.add(k);
      for (let i = 0; i < w.length; ) {
        if (!asciiAlnum(w.charCodeAt(i))) {
          i++;
          continue;
        }
        const from = i;
        while (i < w.length && asciiAlnum(w.charCodeAt(i))) i++;
        keys.add(w.slice(from, i));
      }
    } else {
      const k = w.replace(EDGE_NON_ALNUM, '');
      if (k) keys.add(k);
      for (const run of w.match(ALNUM_RUN) ?? []) keys.add(run);
    }
  }
  return keys;
}

export type TypeKeywords = Record<string, string[]>;

/** First word of the LLM's type text that is a keyword of one of our types wins; else OTHER. */
export function mapLlmType(typeText: string, keywords: TypeKeywords): KnowledgeType {
  for (const word of typeText.toLowerCase().split(/[^a-z]+/)) {
    for (const [type, words] of Object.entries(keywords)) {
      if (words.includes(word)) return type as KnowledgeType;
    }
  }
  return 'OTHER';
}

export interface ListedEntity {
  keys: string[];
  type: KnowledgeType;
  /** Words of the LLM's own type text, e.g. person/handle -> person, handle. */
  typeWords: Set<string>;
}

export const CASES = [
  'case_url',
  'case_mention',
  'case_hashtag',
  'case_no_alnum',
  'case_digit',
  'case_all_upper',
  'case_init_upper',
  'case_other',
] as const;
// Python's [^\W\d_]: letters plus the non-decimal numerals (Ⅻ, ½) that str.isalnum accepts
const LETTER = /[\p{L}\p{Nl}\p{No}]/gu;

/** Shape of a token, first matching rule wins (training/ekmm_data.py case_class). */
export function caseClass(token: string): number {
  const t = token.toLowerCase();
  if (t.startsWith('http://') || t.startsWith('https://') || t.startsWith('www.')) return 0;
  if (token.startsWith('@') && token.length > 1) return 1;
  if (token.startsWith('#') && token.length > 1) return 2;
  if (asciiKind(token) >= 0) {
    // ASCII: letters are A-Za-z (upper: A-Z), digits 0-9, as the rules below find them
    let alnum = false;
    let letters = 0;
    let uppers = 0;
    let firstUpper = false;
    for (let i = 0; i < token.length; i++) {
      const c = token.charCodeAt(i);
      if (c >= 48 && c <= 57) return 4;
      const upper = c >= 65 && c <= 90;
      if (upper || (c >= 97 && c <= 122)) {
        alnum = true;
        if (letters === 0) firstUpper = upper;
        letters++;
        if (upper) uppers++;
      }
    }
    if (!alnum) return 3;
    if (letters > 1 && uppers === letters) return 5;
    return firstUpper ? 6 : 7;
  }
  if (!/[\p{L}\p{N}]/u.test(token)) return 3;
  if (/\p{Nd}/u.test(token)) return 4;
  const upper = (token.match(LETTER) ?? []).map((c) => c !== c.toLowerCase());
  if (upper.length > 1 && upper.every(Boolean)) return 5;
  if (upper[0]) return 6;
  return 7;
}

/** Name lists of the gazetteer features, in column order (training/ekmm_data.py GAZ_LISTS). */
export const GAZ_LISTS = ['country', 'state', 'city', 'first'] as const;
export type GazetteerList = (typeof GAZ_LISTS)[number];

/**
 * Names by list, each as its match keys joined by one space (the model directory's gazetteer.tsv,
 * from training/gazetteer-en.tsv). `firsts` holds every name's first key, so most tokens are
 * rejected with one lookup; `prefixes` every name's first 1, 2, ... keys joined, so a run stops
 * growing as soon as no name starts with it (a first name matched led to `longest` joins and
 * lookups of fresh strings: 11% of the feature time).
 */
export interface Gazetteer {
  names: Record<GazetteerList, Set<string>>;
  longest: Record<GazetteerList, number>;
  firsts: Record<GazetteerList, Set<string>>;
  prefixes: Record<GazetteerList, Set<string>>;
}

/** Parses gazetteer.tsv (`<list>\t<keys joined by one space>` per line); `where` names the file in errors. */
export function parseGazetteer(text: string, where: string): Gazetteer {
  const make = <T>(f: () => T) => Object.fromEntries(GAZ_LISTS.map((g) => [g, f()])) as Record<GazetteerList, T>;
  const gaz: Gazetteer = {
    names: make(() => new Set<string>()),
    longest: make(() => 0),
    firsts: make(() => new Set<string>()),
    prefixes: make(() => new Set<string>()),
  };
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const tab = line.indexOf('\t');
    const list = line.slice(0, tab) as GazetteerList;
    const keys = line.slice(tab + 1);
    if (tab < 0 || !GAZ_LISTS.includes(list) || keys === '' || keys !== keys.trim() || keys.includes('  ')) {
      throw new Error(`${where}:${i + 1}: expected '<${GAZ_LISTS.join('|')}>\\t<keys separated by one space>'`);
    }
    const parts = keys.split(' ');
    gaz.names[list].add(keys);
    gaz.firsts[list].add(parts[0]!);
    let prefix = '';
    parts.forEach((p, k) => {
      prefix = k === 0 ? p : `${prefix} ${p}`;
      gaz.prefixes[list].add(prefix);
    });
    gaz.longest[list] = Math.max(gaz.longest[list], parts.length);
  });
  return gaz;
}

/**
 * gaz_L columns: the token lies inside a run of consecutive tokens whose match keys equal a name
 * of list L, every such run (training/ekmm_data.py gazetteer_features).
 */
export function gazetteerFeatures(tokens: readonly string[], gaz: Gazetteer): Uint8Array[] {
  const n = tokens.length;
  const flat = new Uint8Array(n * GAZ_LISTS.length);
  markGazetteer(tokens.map(matchKey), gaz, flat, GAZ_LISTS.length, 0);
  return Array.from({ length: n }, (_, i) => flat.subarray(i * GAZ_LISTS.length, (i + 1) * GAZ_LISTS.length));
}

/** Sets column `at + j` of token i's row (rows of `width` in `out`) for gaz list j, as gazetteerFeatures. */
function markGazetteer(keys: readonly string[], gaz: Gazetteer, out: Float32Array | Uint8Array, width: number, at: number): void {
  const n = keys.length;
  for (let j = 0; j < GAZ_LISTS.length; j++) {
    const g = GAZ_LISTS[j]!;
    const firsts = gaz.firsts[g];
    const names = gaz.names[g];
    const prefixes = gaz.prefixes[g];
    for (let s = 0; s < n; s++) {
      if (!keys[s] || !firsts.has(keys[s]!)) continue;
      let joined = '';
      for (let L = 1; L <= Math.min(gaz.longest[g], n - s); L++) {
        joined = L === 1 ? keys[s]! : `${joined} ${keys[s + L - 1]}`;
        if (L > 1 && !prefixes.has(joined)) break; // no name goes on from here
        if (names.has(joined)) for (let i = s; i < s + L; i++) out[i * width + at + j] = 1;
      }
    }
  }
}

/** Names of the feature columns for a model trained with these LLM type words (and case, gazetteer features). */
export function featureNames(typeWords: readonly string[], caseFeatures = false, gazetteer = false): string[] {
  return [
    ...FEATURES,
    ...typeWords.map((w) => `listed_typeword_${w}`),
    ...(caseFeatures ? CASES : []),
    ...(gazetteer ? GAZ_LISTS.map((g) => `gaz_${g}`) : []),
  ];
}

/** The 'Named entities: 1. name (type) 2. ...' list of a knowledge text. */
export function parseEntityList(knowledge: string, keywords: TypeKeywords): ListedEntity[] {
  const m = ENTITY_LIST.exec(knowledge);
  if (!m) return [];
  const out: ListedEntity[] = [];
  for (const item of m[1]!.matchAll(ENTITY_ITEM)) {
    const keys = item[1]!
      .split(/\s+/u)
      .map(matchKey)
      .filter((k) => k !== '');
    const typeWords = new Set(
      item[2]!
        .toLowerCase()
        .split(/[^a-z]+/)
        .filter((w) => w !== ''),
    );
    if (keys.length > 0) out.push({ keys, type: mapLlmType(item[2]!, keywords), typeWords });
  }
  return out;
}

/**
 * Feature rows: one Float32Array of FEATURES.length + typeWords.length (+ case, gazetteer columns)
 * per token, views of one buffer (one allocation per post instead of one per token).
 */
export function tokenFeatures(
  tokens: readonly string[],
  knowledge: string | null | undefined,
  caption: string | null | undefined,
  keywords: TypeKeywords,
  typeWords: readonly string[] = [],
  caseFeatures = false,
  gazetteer: Gazetteer | null = null,
): Float32Array[] {
  const n = tokens.length;
  // always-on columns last: token shape, then the gazetteer lists
  const caseAt = FEATURES.length + typeWords.length;
  const gazAt = caseAt + (caseFeatures ? CASES.length : 0);
  const width = gazAt + (gazetteer ? GAZ_LISTS.length : 0);
  const buf = new Float32Array(n * width);
  const keys = new Array<string>(n);
  for (let i = 0; i < n; i++) keys[i] = matchKey(tokens[i]!);
  if (caseFeatures) for (let i = 0; i < n; i++) buf[i * width + caseAt + caseClass(tokens[i]!)] = 1;
  if (gazetteer) markGazetteer(keys, gazetteer, buf, width, gazAt);
  if (knowledge) {
    const kset = textKeys(knowledge);
    const listed = parseEntityList(knowledge, keywords);
    // words of listed names by type, in KNOWLEDGE_TYPES order
    const words = KNOWLEDGE_TYPES.map(() => new Set<string>());
    for (const e of listed) for (const k of e.keys) words[KNOWLEDGE_TYPES.indexOf(e.type)]!.add(k);
    for (let i = 0; i < n; i++) {
      const row = i * width;
      buf[row] = 1;
      const k = keys[i]!;
      if (!k) continue;
      if (kset.has(k)) buf[row + 1] = 1;
      for (let j = 0; j < KNOWLEDGE_TYPES.length; j++) if (words[j]!.has(k)) buf[row + 7 + j] = 1;
    }
    for (const e of listed) {
      const L = e.keys.length;
      const span = 2 + KNOWLEDGE_TYPES.indexOf(e.type);
      const cols = typeWords.flatMap((w, j) => (e.typeWords.has(w) ? [FEATURES.length + j] : []));
      for (let s = 0; s + L <= n; s++) {
        let same = true;
        for (let j = 0; j < L && same; j++) same = keys[s + j] === e.keys[j];
        if (!same) continue;
        for (let i = s; i < s + L; i++) {
          buf[i * width + span] = 1;
          for (const c of cols) buf[i * width + c] = 1;
        }
        buf[s * width + 6] = 1;
      }
    }
  }
  if (caption) {
    const cset = textKeys(caption);
    for (let i = 0; i < n; i++) {
      buf[i * width + 11] = 1;
      if (keys[i] && cset.has(keys[i]!)) buf[i * width + 12] = 1;
    }
  }
  const rows = new Array<Float32Array>(n);
  for (let i = 0; i < n; i++) rows[i] = buf.subarray(i * width, (i + 1) * width);
  return rows;
}

// ---- Chinese lexicon features (training/ekmm_data.py lexicon_features) ----

/** Classes of the lexicon file's lines (training/lexicon-zh.tsv), bit i of a word's class set. */
export const LEX_CLASSES = ['PER', 'LOC', 'ORG', 'MISC', 'WORD'] as const;
export type LexiconClass = (typeof LEX_CLASSES)[number];
/** Feature groups: the four name classes, then ANY (a word of any class, WORD included). */
export const LEX_GROUPS = ['PER', 'LOC', 'ORG', 'MISC', 'ANY'] as const;
export const LEX_POSITIONS = ['B', 'M', 'E'] as const;
/** Shortest lexicon word, in code points (single characters would flag nearly every character). */
export const LEX_MIN_LEN = 2;

/** Names of the lexicon feature columns: lex_<group>_<position>, groups outer. */
export function lexiconFeatureNames(): string[] {
  return LEX_GROUPS.flatMap((g) => LEX_POSITIONS.map((p) => `lex_${g}_${p}`));
}

/** Key of a character token in the lexicon (the file's words are lowercased too). */
export function lexiconKey(token: string): string {
  return token.toLowerCase();
}

/**
 * The lexicon as a trie over code points. The children of all nodes live in one open-addressing
 * hash table (Int32Array slots of parent+1, code point, child): hand-written because the first
 * version, a Map of every word and prefix string, cost 0.11 ms of CPU per CMNER test post on this
 * 2-core machine (a quarter of the whole tagger's time per post), a Map keyed by node and code
 * point 0.05 ms, this table with flat output rows 0.03 ms.
 */
export interface Lexicon {
  /** Number of distinct words. */
  words: number;
  /** Longest word, in code points. */
  maxLength: number;
  /** Class bits of each trie node (0: a proper prefix only); node 0 is the root. */
  bits: Int32Array;
  table: Int32Array;
  mask: number;
  /** Children of the root by BMP code point (-1: none): the first step of every scan, without hashing. */
  root: Int32Array;
}

const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

const slotOf = (parent: number, cp: number, mask: number): number =>
  ((Math.imul(parent, 0x9e3779b1) ^ Math.imul(cp, 0x85ebca6b)) >>> 7) & mask;

/** Child of `parent` by code point `cp` in the trie, or -1. */
function childOf(lex: Lexicon, parent: number, cp: number): number {
  if (parent === 0 && cp < 0x10000) return lex.root[cp]!;
  const { table, mask } = lex;
  for (let h = slotOf(parent, cp, mask); ; h = (h + 1) & mask) {
    const p = table[h * 3]!;
    if (p === 0) return -1;
    if (p === parent + 1 && table[h * 3 + 1] === cp) return table[h * 3 + 2]!;
  }
}

/** Parses lexicon.tsv (`<class>\t<word>` per line); `where` names the file in errors. */
export function parseLexicon(text: string, where: string): Lexicon {
  const words = new Map<string, number>();
  let maxLength = 0;
  let cps = 0;
  text.split('\n').forEach((line, i) => {
    if (line === '') return;
    const tab = line.indexOf('\t');
    const cls = LEX_CLASSES.indexOf(line.slice(0, tab) as LexiconClass);
    const word = line.slice(tab + 1);
    const len = codePoints(word);
    if (tab < 0 || cls < 0 || len < LEX_MIN_LEN || /\s/u.test(word) || word !== lexiconKey(word)) {
      throw new Error(
        `${where}:${i + 1}: expected '<${LEX_CLASSES.join('|')}>\\t<lowercase word of ${LEX_MIN_LEN}+ characters, no whitespace>', got ${JSON.stringify(line)}`,
      );
    }
    const before = words.get(word);
    if (before === undefined) cps += len;
    words.set(word, (before ?? 0) | (1 << cls));
    maxLength = Math.max(maxLength, len);
  });
  if (words.size === 0) throw new Error(`${where}: no lexicon words`);
  let size = 1024;
  while (size < cps * 2) size *= 2; // at most half full: short probe runs
  const lex: Lexicon = {
    words: words.size,
    maxLength,
    bits: new Int32Array(cps + 1),
    table: new Int32Array(size * 3),
    mask: size - 1,
    root: new Int32Array(0x10000).fill(-1),
  };
  let nodes = 1;
  for (const [word, bits] of words) {
    let node = 0;
    for (const ch of word) {
      const cp = ch.codePointAt(0)!;
      let next = childOf(lex, node, cp);
      if (next < 0) {
        next = nodes++;
        if (node === 0 && cp < 0x10000) lex.root[cp] = next;
        let h = slotOf(node, cp, lex.mask);
        while (lex.table[h * 3] !== 0) h = (h + 1) & lex.mask;
        lex.table.set([node + 1, cp, next], h * 3);
      }
      node = next;
    }
    lex.bits[node]! |= bits;
  }
  return lex;
}

const ANY_GROUP = LEX_GROUPS.indexOf('ANY');
/** Lexicon feature columns per token. */
export const LEX_WIDTH = LEX_GROUPS.length * LEX_POSITIONS.length;
const WIDTH = LEX_WIDTH;

/**
 * lex_G_P columns: the token is at position P (B first, M inside, E last) of some run of
 * LEX_MIN_LEN or more consecutive tokens whose keys, concatenated, are a lexicon word of group G
 * (every such run, overlapping ones too). One row of LEX_WIDTH columns per token, rows one after
 * the other in one buffer (row views cost a quarter of the time here).
 */
export function lexiconFeatures(tokens: readonly string[], lex: Lexicon): Float32Array {
  const n = tokens.length;
  const P = LEX_POSITIONS.length;
  const buf = new Float32Array(n * WIDTH);
  const mark = (g: number, s: number, e: number): void => {
    buf[s * WIDTH + g * P] = 1;
    buf[e * WIDTH + g * P + 2] = 1;
    for (let i = s + 1; i < e; i++) buf[i * WIDTH + g * P + 1] = 1;
  };
  // code points of the tokens' keys, token e's from start[e] to start[e + 1] (one each, for
  // characters, unless lowercasing makes two)
  const cps: number[] = [];
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) {
    const key = lexiconKey(tokens[i]!);
    for (let j = 0; j < key.length; j++) {
      const cp = key.codePointAt(j)!;
      cps.push(cp);
      if (cp > 0xffff) j++;
    }
    start[i + 1] = cps.length;
  }
  for (let s = 0; s < n; s++) {
    let node = 0;
    for (let e = s; e < n && node >= 0; e++) {
      for (let j = start[e]!; j < start[e + 1]! && node >= 0; j++) node = childOf(lex, node, cps[j]!);
      if (node < 0 || e === s) continue;
      const bits = lex.bits[node]!;
      if (bits === 0) continue;
      // groups 0..3 are classes 0..3 (the name classes); WORD (class 4) counts for ANY only
      for (let g = 0; g < ANY_GROUP; g++) if (bits & (1 << g)) mark(g, s, e);
      mark(ANY_GROUP, s, e);
    }
  }
  return buf;
}
