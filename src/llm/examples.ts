// Labelled examples for few-shot prompts, from JSONL or CoNLL, and the similar-example lookup
// (token-set Jaccard, as cheap and transparent as PGIM's demonstration selection needs).
import { readFileSync } from 'node:fs';

export interface LabelledExample {
  text: string;
  entities: Array<{ text: string; type: string }>;
  caption?: string;
}

const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

function joinTokens(tokens: string[]): string {
  let out = '';
  for (const t of tokens) {
    const glue = out && !(UNSPACED.test(out[out.length - 1]!) && UNSPACED.test(t[0] ?? '')) ? ' ' : '';
    out += glue + t;
  }
  return out;
}

/** BIO (or IOB with I- after O) tags to entity names. */
export function entitiesFromTags(tokens: string[], tags: string[], where: string): LabelledExample['entities'] {
  if (tokens.length !== tags.length) throw new Error(`${where}: ${tokens.length} tokens but ${tags.length} tags`);
  const out: LabelledExample['entities'] = [];
  let current: { tokens: string[]; type: string } | undefined;
  const flush = () => {
    if (current) out.push({ text: joinTokens(current.tokens), type: current.type });
    current = undefined;
  };
  tags.forEach((tag, i) => {
    const m = /^([BIES])-(.+)$/.exec(tag);
    if (!m) {
      if (tag !== 'O') throw new Error(`${where}: tag "${tag}" of token ${i + 1} is neither O nor B-/I-TYPE`);
      flush();
      return;
    }
    const [, prefix, type] = m;
    if (prefix === 'B' || prefix === 'S' || !current || current.type !== type) {
      flush();
      current = { tokens: [], type: type! };
    }
    current!.tokens.push(tokens[i]!);
    if (prefix === 'E' || prefix === 'S') flush();
  });
  flush();
  return out;
}

function parseJsonl(text: string, file: string): LabelledExample[] {
  const out: LabelledExample[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim()) return;
    const where = `${file}:${i + 1}`;
    let row: Record<string, unknown>;
    try {
      row = JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${where}: not JSON: ${(err as Error).message}`);
    }
    const caption = typeof row.caption === 'string' ? row.caption : undefined;
    if (Array.isArray(row.tokens) && Array.isArray(row.tags)) {
      const tokens = row.tokens.map(String);
      out.push({ text: joinTokens(tokens), entities: entitiesFromTags(tokens, row.tags.map(String), where), caption });
    } else if (typeof row.text === 'string' && Array.isArray(row.entities)) {
      const entities = row.entities.map((e, j) => {
        const o = e as Record<string, unknown>;
        if (typeof o?.text !== 'string' || typeof o?.type !== 'string')
          throw new Error(`${where}: entities[${j}] needs string "text" and "type"`);
        return { text: o.text, type: o.type };
      });
      out.push({ text: row.text, entities, caption });
    } else {
      throw new Error(`${where}: expected {"text", "entities"} or {"tokens", "tags"}`);
    }
  });
  return out;
}

function parseConll(text: string, file: string): LabelledExample[] {
  const out: LabelledExample[] = [];
  let tokens: string[] = [];
  let tags: string[] = [];
  let startLine = 1;
  const flush = (lineNo: number) => {
    if (tokens.length) out.push({ text: joinTokens(tokens), entities: entitiesFromTags(tokens, tags, `${file}:${startLine}-${lineNo}`) });
    tokens = [];
    tags = [];
    startLine = lineNo + 1;
  };
  text.split(/\r?\n/).forEach((line, i) => {
    if (!line.trim() || /^(IMGID|WID):/.test(line)) return flush(i + 1);
    const cols = line.split(/\t| (?=\S+$)/);
    if (cols.length < 2) throw new Error(`${file}:${i + 1}: expected "token<TAB>tag", got "${line.slice(0, 80)}"`);
    const tag = cols[cols.length - 1]!.trim();
    if (tag !== 'O' && !/^[BIES]-.+$/.test(tag)) throw new Error(`${file}:${i + 1}: tag "${tag}" is neither O nor B-/I-TYPE`);
    tokens.push(cols[0]!);
    tags.push(tag);
  });
  flush(text.split(/\r?\n/).length);
  return out;
}

export function parseExamples(text: string, file: string): LabelledExample[] {
  const first = text.trimStart()[0];
  return first === '{' ? parseJsonl(text, file) : parseConll(text, file);
}

export function loadExamples(file: string): LabelledExample[] {
  return parseExamples(readFileSync(file, 'utf8'), file);
}

export function tokenSet(text: string): Set<string> {
  const out = new Set<string>();
  for (const m of text.toLowerCase().matchAll(/[\p{L}\p{N}]+/gu)) {
    const word = m[0];
    if (UNSPACED.test(word)) for (const ch of word) out.add(ch);
    else out.add(word);
  }
  return out;
}

export function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let shared = 0;
  for (const t of a) if (b.has(t)) shared++;
  return shared / (a.size + b.size - shared);
}

export class ExampleIndex {
  private readonly sets: Set<string>[];
  constructor(readonly examples: LabelledExample[]) {
    this.sets = examples.map((e) => tokenSet(e.text));
  }

  /** The k most similar examples, most similar first; ties keep file order (stable prompts). */
  similar(text: string, k: number): LabelledExample[] {
    if (k <= 0) return [];
    const query = tokenSet(text);
    return this.sets
      .map((set, i) => ({ i, score: jaccard(query, set) }))
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, k)
      .map(({ i }) => this.examples[i]!);
  }
}
