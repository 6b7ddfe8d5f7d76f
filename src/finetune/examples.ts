// Similar labelled examples for the `mner-sft` prompt, behind one small interface: a lexical
// lookup over a labelled split, or the example index `ekmm examples build` writes (src/examples/).
// Export and serving load examples with the same reader and pick them with the same retriever,
// so a post gets the same examples in its training record and in its served prompt.
import { readDataset } from '../data/dataset.ts';
import type { TypeMap } from '../data/bio.ts';
import { goldEntities, postText } from '../data/xtuner.ts';
import { jaccard, tokenSet } from '../llm/examples.ts';
import { readIndex, SimilarExamples, type IndexEntry } from '../examples/index.ts';
import type { NamedEntity, TemplateExample } from './template.ts';

export interface ExampleQuery {
  /** The sentence the prompt is for. */
  text: string;
  /** Its image descriptions (used by the index retriever's caption channel). */
  captions?: readonly string[];
}

export interface ExampleRetriever {
  /** Names the retrieval method and its data; part of what must match between export and serving. */
  readonly id: string;
  /** The k most similar examples, most similar first; never the query sentence itself. */
  similar(query: ExampleQuery, k: number): Promise<TemplateExample[]>;
}

/** A labelled split (any format readDataset reads) as template examples: post text and gold entities. */
export async function loadTemplateExamples(file: string, typeMap: TypeMap): Promise<TemplateExample[]> {
  const { posts } = await readDataset(file);
  return posts.map((p) => ({ text: postText(p), entities: goldEntities(p, typeMap).unique }));
}

/**
 * Token-set Jaccard over the sentence (characters for CJK, words otherwise), ties in file order.
 * An example with exactly the query's text is skipped: in the training split that is the post
 * itself, whose answer must not be in its own prompt.
 */
export class LexicalRetriever implements ExampleRetriever {
  readonly id: string;
  private readonly sets: Set<string>[];

  constructor(
    private readonly examples: readonly TemplateExample[],
    source = 'examples',
  ) {
    this.id = `lexical-jaccard:${source}`;
    this.sets = examples.map((e) => tokenSet(e.text));
  }

  async similar(query: ExampleQuery, k: number): Promise<TemplateExample[]> {
    if (k <= 0) return [];
    const q = tokenSet(query.text);
    const wanted = query.text.trim();
    return this.sets
      .map((set, i) => ({ i, score: jaccard(q, set) }))
      .filter(({ i }) => this.examples[i]!.text.trim() !== wanted)
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, k)
      .map(({ i }) => this.examples[i]!);
  }
}

function listedOnce(entities: readonly NamedEntity[]): NamedEntity[] {
  const seen = new Set<string>();
  return entities.filter((e) => {
    const key = `${e.type}\u0000${e.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/**
 * The `ekmm examples build` index, text and caption channels (BM25, weighted). Like the lexical
 * retriever it skips entries with exactly the query's text rather than by id: serving has no
 * dataset id, and export and serving must pick the same examples for the same sentence.
 */
export class IndexExampleRetriever implements ExampleRetriever {
  readonly id: string;
  private readonly index: SimilarExamples;

  constructor(
    private readonly entries: readonly IndexEntry[],
    weights: { text: number; caption: number },
    private readonly typeMap: TypeMap,
    source = 'index',
  ) {
    this.id = `index-bm25:${source}`;
    this.index = new SimilarExamples(entries, { ...weights, image: 0 });
  }

  async similar(query: ExampleQuery, k: number): Promise<TemplateExample[]> {
    if (k <= 0) return [];
    const wanted = query.text.trim();
    const same = this.entries.filter((e) => e.text.trim() === wanted).length;
    const caption = query.captions?.join(' ') || null;
    return this.index
      .similar({ text: query.text, caption }, k + same)
      .filter(({ entry }) => entry.text.trim() !== wanted)
      .slice(0, k)
      .map(({ entry }) => ({
        text: entry.text,
        entities: listedOnce(entry.entities.map((e) => ({ text: e.text, type: this.typeMap[e.type] ?? e.type }))),
      }));
  }
}

export function loadIndexRetriever(file: string, weights: { text: number; caption: number }, typeMap: TypeMap): IndexExampleRetriever {
  return new IndexExampleRetriever(readIndex(file).entries, weights, typeMap, file);
}

/** Default weights of the index channels when a template names none (the config's defaults). */
export const DEFAULT_INDEX_WEIGHTS = { text: 1, caption: 0.5 } as const;
