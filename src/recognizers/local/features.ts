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

/** Key used to look a token up in knowledge/caption text. */
export function matchKey(token: string): string {
  return token.toLowerCase().replace(EDGE_NON_ALNUM, '');
}

/** Every whitespace word (edge punctuation stripped) and every letter/digit run of a text. */
export function textKeys(text: string): Set<string> {
  const keys = new Set<string>();
  for (const w of text.toLowerCase().split(/\s+/u)) {
    if (!w) continue;
    const k = w.replace(EDGE_NON_ALNUM, '');
    if (k) keys.add(k);
    for (const run of w.match(ALNUM_RUN) ?? []) keys.add(run);
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
  if (!/[\p{L}\p{N}]/u.test(token)) return 3;
  if (/\p{Nd}/u.test(token)) return 4;
  const upper = (token.match(LETTER) ?? []).map((c) => c !== c.toLowerCase());
  if (upper.length > 1 && upper.every(Boolean)) return 5;
  if (upper[0]) return 6;
  return 7;
}

/** Names of the feature columns for a model trained with these LLM type words (and case features). */
export function featureNames(typeWords: readonly string[], caseFeatures = false): string[] {
  return [...FEATURES, ...typeWords.map((w) => `listed_typeword_${w}`), ...(caseFeatures ? CASES : [])];
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

/** Feature rows: one Float32Array of FEATURES.length + typeWords.length per token. */
export function tokenFeatures(
  tokens: readonly string[],
  knowledge: string | null | undefined,
  caption: string | null | undefined,
  keywords: TypeKeywords,
  typeWords: readonly string[] = [],
  caseFeatures = false,
): Float32Array[] {
  const n = tokens.length;
  const width = FEATURES.length + typeWords.length + (caseFeatures ? CASES.length : 0);
  const f = Array.from({ length: n }, () => new Float32Array(width));
  if (caseFeatures)
    tokens.forEach((t, i) => {
      f[i]![width - CASES.length + caseClass(t)] = 1;
    });
  const keys = tokens.map(matchKey);
  if (knowledge) {
    const kset = textKeys(knowledge);
    const listed = parseEntityList(knowledge, keywords);
    const words = new Map<KnowledgeType, Set<string>>(KNOWLEDGE_TYPES.map((t) => [t, new Set<string>()]));
    for (const e of listed) for (const k of e.keys) words.get(e.type)!.add(k);
    keys.forEach((k, i) => {
      const row = f[i]!;
      row[0] = 1;
      if (!k) return;
      if (kset.has(k)) row[1] = 1;
      KNOWLEDGE_TYPES.forEach((t, j) => {
        if (words.get(t)!.has(k)) row[7 + j] = 1;
      });
    });
    for (const e of listed) {
      const L = e.keys.length;
      const cols = typeWords.flatMap((w, j) => (e.typeWords.has(w) ? [FEATURES.length + j] : []));
      for (let s = 0; s + L <= n; s++) {
        let same = true;
        for (let j = 0; j < L && same; j++) same = keys[s + j] === e.keys[j];
        if (!same) continue;
        for (let i = s; i < s + L; i++) {
          f[i]![2 + KNOWLEDGE_TYPES.indexOf(e.type)] = 1;
          for (const c of cols) f[i]![c] = 1;
        }
        f[s]![6] = 1;
      }
    }
  }
  if (caption) {
    const cset = textKeys(caption);
    keys.forEach((k, i) => {
      f[i]![11] = 1;
      if (k && cset.has(k)) f[i]![12] = 1;
    });
  }
  return f;
}
