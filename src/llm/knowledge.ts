// KnowledgeSource backend `llm`: PGIM-style auxiliary knowledge. The model sees the image
// description, the text read from the image, the message, and a few similar labelled examples,
// and answers "Named entities: 1. X (PER) ... Reasoning: ...". That text feeds the local tagger's
// knowledge channel; it is never turned into entities directly.
import { readFileSync } from 'node:fs';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { KnowledgeSource, RecognizerInput, StageOptions, Store } from '../core/stages.ts';
import type { EkmmConfig, LlmClientConfig } from '../config/schema.ts';
import { projectPath } from '../config/load.ts';
import { cacheKey } from '../cache/key.ts';
import { DAY_MS } from '../cache/cached.ts';
import { LlmHttpClient, type LlmHttpOptions } from './http-base.ts';
import { stripThinking } from './parse.ts';
import { ExampleIndex, parseExamples, type LabelledExample } from './examples.ts';
import { mapLimit } from './concurrency.ts';
import { RecordingWriter } from '../recorded/writer.ts';
import { createIndexRetriever, type ExampleRetriever } from '../examples/retriever.ts';

export const KNOWLEDGE_TEMPLATE_VERSION = 'pgim-v1';

function describeImage(input: Pick<RecognizerInput, 'captions' | 'ocr'>): string {
  const lines: string[] = [];
  lines.push(`Image: ${input.captions.length ? input.captions.map((c) => c.text).join(' / ') : '(no description)'}`);
  if (input.ocr.length) lines.push(`Text in the image: ${input.ocr.map((l) => l.text).join(' | ')}`);
  return lines.join('\n');
}

export function formatExampleAnswer(example: LabelledExample): string {
  if (!example.entities.length) return 'Named entities: none';
  return `Named entities: ${example.entities.map((e, i) => `${i + 1}. ${e.text} (${e.type})`).join(' ')}`;
}

export function buildKnowledgeMessages(
  input: RecognizerInput,
  examples: LabelledExample[],
  entityTypes: string[],
): ChatCompletionMessageParam[] {
  const messages: ChatCompletionMessageParam[] = [
    {
      role: 'system',
      content:
        'You help a named entity recognizer for social media posts that come with images. ' +
        `Given a post, a description of its image and any text read from the image, list the named entities of the post with their types (${entityTypes.join(', ')}), ` +
        'then explain in a few sentences who or what they are and how the image relates to the post. ' +
        'Answer in the form "Named entities: 1. <name> (<type>) 2. ... Reasoning: ...".',
    },
  ];
  for (const ex of examples) {
    messages.push({
      role: 'user',
      content: `Text: ${ex.text}\n${describeImage({ captions: ex.caption ? [{ image: 0, text: ex.caption, backend: 'example' }] : [], ocr: [] })}`,
    });
    messages.push({ role: 'assistant', content: formatExampleAnswer(ex) });
  }
  messages.push({ role: 'user', content: `Text: ${input.text || '(empty)'}\n${describeImage(input)}` });
  return messages;
}

export interface LlmKnowledgeDeps extends LlmHttpOptions {
  /** Picks the few-shot examples (the multimodal index); token-set Jaccard over `examples` otherwise. */
  retriever?: ExampleRetriever | undefined;
  cache?: Store;
  cacheTtlMs?: number;
  concurrency?: number;
}

export class LlmKnowledge implements KnowledgeSource {
  readonly name = 'llm';
  readonly modelId: string;
  readonly templateVersion: string;
  /** Caches by exact prompt itself, so cache decorators leave it alone. */
  readonly cachesItself = true;
  private readonly client: LlmHttpClient;
  private readonly index: ExampleIndex;
  private readonly recording: RecordingWriter | undefined;

  constructor(
    private readonly config: LlmClientConfig & { record?: string | undefined },
    examples: LabelledExample[],
    private readonly k: number,
    private readonly entityTypes: string[],
    private readonly deps: LlmKnowledgeDeps = {},
  ) {
    this.client = new LlmHttpClient(config, deps);
    this.index = new ExampleIndex(examples);
    this.recording = config.record ? new RecordingWriter(config.record) : undefined;
    this.modelId = config.model;
    this.templateVersion = KNOWLEDGE_TEMPLATE_VERSION;
  }

  async knowledge(batch: RecognizerInput[], options: StageOptions = {}): Promise<(string | null)[]> {
    return mapLimit(batch, this.deps.concurrency ?? 4, (input) => this.one(input, options));
  }

  private async one(input: RecognizerInput, options: StageOptions): Promise<string | null> {
    const query = [input.text, ...input.captions.map((c) => c.text)].join(' ');
    const examples = this.deps.retriever ? await this.deps.retriever.similar(input, this.k) : this.index.similar(query, this.k);
    const messages = buildKnowledgeMessages(input, examples, this.entityTypes);
    const cache = this.deps.cache;
    const key = cacheKey('llm-knowledge', {
      prompt: JSON.stringify(messages),
      model: this.config.model,
      templateVersion: this.templateVersion,
    });
    if (cache) {
      const hit = await cache.get<{ v: string | null }>(key);
      if (hit) return hit.v;
    }
    const completion = await this.client.chat({ messages, temperature: 0, max_tokens: this.config.maxTokens }, options);
    const choice = completion.choices[0]!;
    const text = stripThinking(choice.message?.content ?? '').text.trim() || null;
    if (this.recording && input.id) this.recording.write({ id: input.id, text });
    // A cut-off answer is still useful knowledge now, but is not kept: the next try may finish.
    // An empty one (null content) is not kept either: the engine warns, and the next try may answer.
    if (cache && text !== null && choice.finish_reason !== 'length') await cache.set(key, { v: text }, this.deps.cacheTtlMs);
    return text;
  }
}

export function createLlmKnowledge(config: EkmmConfig, cache?: Store, deps: LlmKnowledgeDeps = {}): LlmKnowledge {
  const k = config.knowledge;
  if (!k.llm) throw new Error('knowledge backend "llm" needs a knowledge.llm section with at least baseURL and model');
  let examples: LabelledExample[] = [];
  const retriever = k.examples > 0 ? createIndexRetriever(config) : undefined;
  if (!retriever && k.examplesFile && k.examples > 0) {
    const file = projectPath(k.examplesFile);
    examples = parseExamples(readFileSync(file, 'utf8'), file);
  }
  return new LlmKnowledge(k.llm, examples, k.examples, config.entityTypes, {
    retriever,
    cache,
    cacheTtlMs: config.cache.ttlDays * DAY_MS,
    ...deps,
  });
}
