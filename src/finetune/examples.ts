// Similar labelled examples for the `mner-sft` prompt, behind one small interface so the
// multimodal example index (src/examples/, built in parallel) can replace the lexical lookup.
// Export and serving load examples with the same reader and pick them with the same retriever,
// so a post gets the same examples in its training record and in its served prompt.
import { readDataset } from '../data/dataset.ts';
import type { TypeMap } from '../data/bio.ts';
import { goldEntities, postText } from '../data/xtuner.ts';
import { jaccard, tokenSet } from '../llm/examples.ts';
import type { TemplateExample } from './template.ts';

export interface ExampleQuery {
  /** The sentence the prompt is for. */
  text: string;
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

  constructor(private readonly examples: readonly TemplateExample[], source = 'examples') {
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
