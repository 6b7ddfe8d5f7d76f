// How good are the retrieved examples, without an LLM: for held-out posts (with at least one
// gold entity), how often the k retrieved examples share an entity type / an entity string with
// the post, against k examples drawn at random (seeded).
import { seededRandom } from '../eval/bootstrap.ts';
import type { IndexEntry, SimilarExamples, SimilarQuery, Weights } from './index.ts';

export interface RetrievalRow {
  name: string;
  weights: Weights | null;
  k: number;
  posts: number;
  /** Percent of posts where at least one of the k examples shares an entity type. */
  typeHit: number;
  /** Mean percent of the k examples sharing an entity type with the post. */
  typeShare: number;
  /** Percent of posts where at least one of the k examples contains one of the post's entity strings (case-insensitive). */
  stringHit: number;
  stringShare: number;
}

export interface HeldOut {
  entry: IndexEntry;
  query: SimilarQuery;
}

function overlap(post: IndexEntry, examples: readonly IndexEntry[]): { types: number; strings: number } {
  const types = new Set(post.entities.map((e) => e.type));
  const strings = new Set(post.entities.map((e) => e.text.toLowerCase()));
  let t = 0,
    s = 0;
  for (const ex of examples) {
    if (ex.entities.some((e) => types.has(e.type))) t++;
    if (ex.entities.some((e) => strings.has(e.text.toLowerCase()))) s++;
  }
  return { types: t, strings: s };
}

export interface RetrievalConfig {
  name: string;
  /** Weights of SimilarExamples; null with no `retrieve`: k random examples. */
  weights: Weights | null;
  /** Another retriever to compare with (e.g. the earlier token-set Jaccard). */
  retrieve?: (h: HeldOut, k: number) => IndexEntry[];
}

/** k entries drawn at random (with replacement), never the held-out post itself. */
function randomExamples(entries: readonly IndexEntry[], k: number, random: () => number, exclude: string): IndexEntry[] {
  const pool = entries.some((e) => e.id === exclude) ? entries.filter((e) => e.id !== exclude) : entries;
  return Array.from({ length: k }, () => pool[Math.floor(random() * pool.length)]!);
}

export function measureRetrieval(
  index: SimilarExamples,
  heldOut: readonly HeldOut[],
  k: number,
  configs: RetrievalConfig[],
  seed = 12345,
): RetrievalRow[] {
  const posts = heldOut.filter((h) => h.entry.entities.length > 0);
  return configs.map(({ name, weights, retrieve }) => {
    const random = seededRandom(seed);
    let typeHit = 0,
      typeShare = 0,
      stringHit = 0,
      stringShare = 0;
    for (const h of posts) {
      const examples = retrieve
        ? retrieve(h, k)
        : weights
          ? index.similar(h.query, k, weights).map((r) => r.entry)
          : randomExamples(index.entries, k, random, h.entry.id);
      const o = overlap(h.entry, examples);
      if (o.types) typeHit++;
      if (o.strings) stringHit++;
      typeShare += o.types / k;
      stringShare += o.strings / k;
    }
    const pct = (x: number) => (posts.length ? (100 * x) / posts.length : 0);
    return {
      name,
      weights,
      k,
      posts: posts.length,
      typeHit: pct(typeHit),
      typeShare: pct(typeShare),
      stringHit: pct(stringHit),
      stringShare: pct(stringShare),
    };
  });
}

export function formatRetrievalTable(rows: readonly RetrievalRow[]): string {
  const lines = [
    `| retrieval (k = ${rows[0]?.k ?? 0}) | weights text/caption/image | posts | ≥1 shares a type | share of k sharing a type | ≥1 shares an entity string | share of k sharing a string |`,
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const w = r.weights ? `${r.weights.text}/${r.weights.caption}/${r.weights.image}` : '–';
    lines.push(
      `| ${r.name} | ${w} | ${r.posts} | ${r.typeHit.toFixed(1)} | ${r.typeShare.toFixed(1)} | ${r.stringHit.toFixed(1)} | ${r.stringShare.toFixed(1)} |`,
    );
  }
  return lines.join('\n');
}
