// The multimodal similar-example index: labelled posts of a training split with their caption
// and an image signature, and the weighted retrieval over text (BM25), caption text (BM25) and
// image (perceptual hash, or embedding cosine) that the LLM knowledge source and fine-tuning
// export use to pick "k similar examples".
//
// Index file format `ekmm-examples/1` (JSONL, UTF-8):
//   line 1: {"format": "ekmm-examples/1", "split": "train", "source": "<dataset file>", "count": N,
//            "captions": true|false, "image": "phash"|"embedding"|"none", "embeddingModel"?: "<model>"}
//   then N lines, one per post, in the split's order:
//            {"id": "<IMGID/WID/id>", "tokens": [...], "text": "<tokens joined>",
//             "entities": [{"text": "...", "type": "PER"}],      (types as the dataset spells them)
//             "caption"?: "<recorded caption>", "phash"?: "<16 hex digits>", "embedding"?: [floats]}
// A reader must reject another "format" value; fields may be added within version 1.
import { readFileSync, writeFileSync } from 'node:fs';
import { entitiesFromTags } from '../llm/examples.ts';
import type { Post } from '../data/index.ts';
import { Bm25 } from './bm25.ts';
import { cosine, hashSimilarity } from './phash.ts';

export const INDEX_FORMAT = 'ekmm-examples/1';

export interface IndexHeader {
  format: typeof INDEX_FORMAT;
  split: string;
  source: string;
  count: number;
  captions: boolean;
  image: 'phash' | 'embedding' | 'none';
  embeddingModel?: string;
}

export interface IndexEntry {
  id: string;
  tokens: string[];
  text: string;
  entities: Array<{ text: string; type: string }>;
  caption?: string;
  phash?: string;
  embedding?: number[];
}

export interface ExampleIndexFile {
  header: IndexHeader;
  entries: IndexEntry[];
}

export function entryOf(post: Post, caption: string | undefined): IndexEntry {
  const joined = post.format === 'cmner' ? post.tokens.join('') : post.tokens.join(' ');
  return {
    id: post.id,
    tokens: post.tokens,
    text: joined,
    entities: entitiesFromTags(post.tokens, post.tags, `post ${post.id}`),
    ...(caption ? { caption } : {}),
  };
}

export function writeIndex(file: string, index: ExampleIndexFile): void {
  writeFileSync(file, [index.header, ...index.entries].map((x) => JSON.stringify(x)).join('\n') + '\n');
}

export function readIndex(file: string): ExampleIndexFile {
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  const parse = (line: string, n: number): Record<string, unknown> => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`${file}:${n}: not JSON: ${(err as Error).message}`);
    }
  };
  const header = parse(lines[0] ?? '{}', 1) as unknown as IndexHeader;
  if (header.format !== INDEX_FORMAT)
    throw new Error(
      `${file}:1: not an example index (format is ${JSON.stringify(header.format)}, expected "${INDEX_FORMAT}"); build one with ekmm examples build`,
    );
  const entries = lines.slice(1).map((line, i) => {
    const e = parse(line, i + 2);
    if (typeof e.id !== 'string' || typeof e.text !== 'string' || !Array.isArray(e.entities)) {
      throw new Error(`${file}:${i + 2}: an entry needs "id", "text" and "entities"`);
    }
    return e as unknown as IndexEntry;
  });
  if (entries.length !== header.count) throw new Error(`${file}: header says ${header.count} entries, the file has ${entries.length}`);
  return { header, entries };
}

export interface Weights {
  text: number;
  caption: number;
  image: number;
}

export interface SimilarQuery {
  text: string;
  caption?: string | null | undefined;
  phash?: string | undefined;
  embedding?: number[] | undefined;
  /** Leave this post out (retrieving for a post of the indexed split itself). */
  excludeId?: string | undefined;
}

export interface Retrieved {
  entry: IndexEntry;
  index: number;
  score: number;
  parts: Weights;
}

function normalized(scores: Map<number, number>): Map<number, number> {
  let max = 0;
  for (const v of scores.values()) if (v > max) max = v;
  if (max <= 0) return new Map();
  return new Map([...scores].map(([d, v]) => [d, v / max]));
}

export class SimilarExamples {
  private readonly text: Bm25;
  private readonly captions: Bm25;

  constructor(
    readonly entries: readonly IndexEntry[],
    readonly weights: Weights,
  ) {
    this.text = new Bm25(entries.map((e) => e.text));
    this.captions = new Bm25(entries.map((e) => e.caption ?? ''));
  }

  /**
   * The k best entries by weighted score: each channel is scaled to [0, 1] for the query (BM25 by
   * its best score; a hash's similarity above chance, 0.5, stretched to [0, 1]; cosine clipped at 0).
   * Ties keep index order, so prompts built from the result are stable.
   */
  similar(query: SimilarQuery, k: number, w: Weights = this.weights): Retrieved[] {
    if (k <= 0 || this.entries.length === 0) return [];
    const text = w.text > 0 && query.text ? normalized(this.text.scores(query.text)) : new Map<number, number>();
    const caption = w.caption > 0 && query.caption ? normalized(this.captions.scores(query.caption)) : new Map<number, number>();
    const out: Retrieved[] = [];
    this.entries.forEach((entry, i) => {
      if (entry.id === query.excludeId) return;
      let image = 0;
      if (w.image > 0) {
        if (query.embedding && entry.embedding) image = Math.max(0, cosine(query.embedding, entry.embedding));
        else if (query.phash && entry.phash) image = Math.max(0, (hashSimilarity(query.phash, entry.phash) - 0.5) * 2);
      }
      const parts = { text: text.get(i) ?? 0, caption: caption.get(i) ?? 0, image };
      out.push({ entry, index: i, parts, score: w.text * parts.text + w.caption * parts.caption + w.image * parts.image });
    });
    return out.sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
  }
}
