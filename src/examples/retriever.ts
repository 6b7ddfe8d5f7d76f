// The similar-example retriever the LLM knowledge source asks for few-shot demonstrations:
// the message's text, its caption(s) and its first image against an `ekmm examples build` index.
import type { RecognizerInput } from '../core/stages.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { projectPath } from '../config/load.ts';
import { LlmHttpClient } from '../llm/http-base.ts';
import type { LabelledExample } from '../llm/examples.ts';
import { readIndex, SimilarExamples, type Weights } from './index.ts';
import { perceptualHash } from './phash.ts';

export interface ExampleRetriever {
  similar(input: RecognizerInput, k: number): Promise<LabelledExample[]>;
}

export class IndexRetriever implements ExampleRetriever {
  constructor(
    private readonly examples: SimilarExamples,
    private readonly typeAliases: Record<string, string>,
    private readonly embeddings?: LlmHttpClient,
  ) {}

  async similar(input: RecognizerInput, k: number): Promise<LabelledExample[]> {
    const image = input.images?.[0];
    const w = this.examples.weights;
    let phash: string | undefined;
    let embedding: number[] | undefined;
    if (image && w.image > 0) {
      if (this.embeddings) embedding = (await this.embeddings.embed([`data:image/png;base64,${image.png.toString('base64')}`]))[0];
      else phash = await perceptualHash(image.png);
    }
    const caption = input.captions.map((c) => c.text).join(' ') || null;
    return this.examples.similar({ text: input.text, caption, phash, embedding, excludeId: input.id }, k).map(({ entry }) => ({
      text: entry.text,
      entities: entry.entities.map((e) => ({ text: e.text, type: this.typeAliases[e.type] ?? e.type })),
      ...(entry.caption ? { caption: entry.caption } : {}),
    }));
  }
}

export function createIndexRetriever(config: EkmmConfig): IndexRetriever | undefined {
  const s = config.knowledge.similar;
  if (!s.index) return undefined;
  const { entries } = readIndex(projectPath(s.index));
  const weights: Weights = { text: s.text, caption: s.caption, image: s.image };
  return new IndexRetriever(
    new SimilarExamples(entries, weights),
    config.typeAliases,
    s.embeddings ? new LlmHttpClient(s.embeddings) : undefined,
  );
}

/**
 * The index behind the fine-tuning export's retriever interface (src/finetune/examples.ts), so
 * exported prompts and served prompts can take their "k similar examples" from the same
 * multimodal index. The export asks by sentence only, so only the text channel (BM25) can score
 * unless `captionOf` supplies the post's caption; the query's own sentence is never returned.
 */
export class IndexTemplateRetriever {
  readonly id: string;
  constructor(
    private readonly examples: SimilarExamples,
    source: string,
    private readonly typeMap: Record<string, string>,
    private readonly captionOf?: (text: string) => string | undefined,
  ) {
    const w = examples.weights;
    this.id = `ekmm-examples:${source}:${w.text}/${w.caption}/${w.image}`;
  }

  async similar(query: { text: string }, k: number): Promise<Array<{ text: string; entities: Array<{ text: string; type: string }> }>> {
    const wanted = query.text.trim();
    const found = this.examples.similar({ text: query.text, caption: this.captionOf?.(query.text) }, k + 1);
    return found
      .filter(({ entry }) => entry.text.trim() !== wanted)
      .slice(0, k)
      .map(({ entry }) => ({
        text: entry.text,
        entities: entry.entities.map((e) => ({ text: e.text, type: this.typeMap[e.type] ?? e.type })),
      }));
  }
}
