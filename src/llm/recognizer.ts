// Recognizer backend `llm`: asks any OpenAI-compatible chat model for entities and aligns what it
// names back onto the inputs. Structured output is negotiated: json_schema, then json_object,
// then plain text, remembering what the server accepted.
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { Recognizer, RecognizerInput, RecognizerOutput, Store } from '../core/stages.ts';
import type { Warning } from '../core/types.ts';
import type { EkmmConfig, LlmClientConfig } from '../config/schema.ts';
import { cacheKey } from '../cache/key.ts';
import { DAY_MS } from '../cache/cached.ts';
import { LlmHttpClient, LlmHttpError, type LlmHttpOptions } from './http-base.ts';
import { LabelMapper } from './labels.ts';
import { parseEntityAnswer } from './parse.ts';
import { alignEntities, type AlignSource, type TypedName } from './align.ts';
import { TEMPLATE_VERSION, buildRecognizerMessages, entitySchema } from './recognizer-prompt.ts';
import { mapLimit } from './concurrency.ts';

export type StructuredMode = 'json_schema' | 'json_object' | 'none';
const DOWNGRADE: Record<StructuredMode, StructuredMode | undefined> = { json_schema: 'json_object', json_object: 'none', none: undefined };

export type LlmRecognizerConfig = LlmClientConfig & { structuredOutput: 'auto' | StructuredMode };

interface Answer {
  content: string;
  finishReason: string | null;
}

export interface LlmRecognizerDeps extends LlmHttpOptions {
  cache?: Store;
  cacheTtlMs?: number;
  concurrency?: number;
}

export class LlmRecognizer implements Recognizer {
  readonly name = 'llm';
  readonly templateVersion = TEMPLATE_VERSION;
  private readonly client: LlmHttpClient;
  private readonly labels: LabelMapper;
  private mode: StructuredMode;

  constructor(
    private readonly config: LlmRecognizerConfig,
    private readonly entityTypes: string[],
    typeAliases: Record<string, string>,
    private readonly deps: LlmRecognizerDeps = {},
  ) {
    this.client = new LlmHttpClient(config, deps);
    this.labels = new LabelMapper(entityTypes, typeAliases);
    this.mode = config.structuredOutput === 'auto' ? 'json_schema' : config.structuredOutput;
  }

  /** The structured-output mode that will be tried next (after any fallbacks so far). */
  get structuredMode(): StructuredMode {
    return this.mode;
  }

  async recognize(batch: RecognizerInput[]): Promise<RecognizerOutput[]> {
    return mapLimit(batch, this.deps.concurrency ?? 4, (input) => this.recognizeOne(input));
  }

  private async recognizeOne(input: RecognizerInput): Promise<RecognizerOutput> {
    const warnings: Warning[] = [];
    const warn = (code: string, message: string) => warnings.push({ code, message, stage: 'recognize' });
    const messages = buildRecognizerMessages(input, this.entityTypes);
    const answer = await this.ask(messages, warn);
    const parsed = parseEntityAnswer(answer.content, answer.finishReason, (label) => this.labels.map(label) !== undefined);
    for (const note of parsed.notes) warn(note.code, `llm recognizer: ${note.message}`);
    if (answer.finishReason === 'length' && !parsed.notes.some((n) => n.code === 'llm.truncated')) {
      warn('llm.truncated', `llm recognizer: answer was cut at max_tokens (${this.config.maxTokens})`);
    }

    const typed: TypedName[] = [];
    const unknownLabels = new Set<string>();
    for (const p of parsed.proposals) {
      const type = this.labels.map(p.label);
      if (type) typed.push({ text: p.text, type });
      else unknownLabels.add(p.label);
    }
    const untyped = parsed.proposals.length - typed.length;
    if (untyped) {
      warn('llm.unknown_type', `llm recognizer: ${untyped} entities had types outside ${this.entityTypes.join('/')}: ${[...unknownLabels].slice(0, 5).join(', ')}`);
    }

    const sources: AlignSource[] = [
      { source: 'text', text: input.text },
      ...input.ocr.map((l, i) => ({ source: 'ocr' as const, text: l.text, ocrLine: i })),
      ...input.captions.map((c, i) => ({ source: 'caption' as const, text: c.text, caption: i })),
    ];
    const aligned = alignEntities(typed, sources, this.name);
    if (aligned.unmatched.length) {
      const sample = aligned.unmatched.slice(0, 5).map((n) => `"${n.text}"`).join(', ');
      warn('llm.entity_not_in_input', `llm recognizer: ${aligned.unmatched.length} entities occur in no input and were dropped: ${sample}`);
    }
    if (aligned.overlapping.length) {
      const sample = aligned.overlapping.slice(0, 5).map((n) => `"${n.text}"`).join(', ');
      warn('llm.entity_overlap', `llm recognizer: ${aligned.overlapping.length} entities only occur inside other entities and were dropped: ${sample}`);
    }
    return { entities: aligned.entities, dropped: untyped + aligned.unmatched.length + aligned.overlapping.length, warnings };
  }

  private async ask(messages: ChatCompletionCreateParamsNonStreaming['messages'], warn: (code: string, message: string) => void): Promise<Answer> {
    const cache = this.deps.cache;
    const key = cache
      ? cacheKey('llm-recognizer', { prompt: JSON.stringify(messages), model: this.config.model, templateVersion: TEMPLATE_VERSION })
      : undefined;
    if (cache && key) {
      const hit = await cache.get<Answer>(key);
      if (hit) return hit;
    }
    for (;;) {
      const mode = this.mode;
      try {
        const completion = await this.client.chat({ messages, temperature: 0, max_tokens: this.config.maxTokens, ...this.responseFormat(mode) });
        const choice = completion.choices[0]!;
        const answer: Answer = { content: choice.message?.content ?? '', finishReason: choice.finish_reason ?? null };
        // Only complete answers are worth keeping; a cut-off one might succeed next time.
        if (cache && key && answer.finishReason !== 'length') await cache.set(key, answer, this.deps.cacheTtlMs);
        return answer;
      } catch (err) {
        const next = DOWNGRADE[mode];
        const rejected = err instanceof LlmHttpError && (err.status === 400 || err.status === 422);
        if (!rejected || !next) throw err;
        // Another request may have downgraded already; never upgrade back.
        if (this.mode === mode) this.mode = next;
        warn('llm.structured_output_fallback', `llm recognizer: server rejected response_format ${mode} (HTTP ${err.status}); using ${next} from now on`);
      }
    }
  }

  private responseFormat(mode: StructuredMode): Pick<ChatCompletionCreateParamsNonStreaming, 'response_format'> {
    if (mode === 'json_schema') {
      return { response_format: { type: 'json_schema', json_schema: { name: 'entities', strict: true, schema: entitySchema(this.entityTypes) } } };
    }
    if (mode === 'json_object') return { response_format: { type: 'json_object' } };
    return {};
  }
}

export function createLlmRecognizer(config: EkmmConfig, cache?: Store, deps: LlmRecognizerDeps = {}): LlmRecognizer {
  const llm = config.recognizer.llm;
  if (!llm) throw new Error('recognizer backend "llm" needs a recognizer.llm section with at least baseURL and model');
  return new LlmRecognizer(llm, config.entityTypes, config.typeAliases, {
    cache,
    cacheTtlMs: config.cache.ttlDays * DAY_MS,
    ...deps,
  });
}
