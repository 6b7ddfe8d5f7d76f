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
  return new IndexRetriever(new SimilarExamples(entries, weights), config.typeAliases, s.embeddings ? new LlmHttpClient(s.embeddings) : undefined);
}
