// Recognizer backend `llm`: asks any OpenAI-compatible chat model for entities and aligns what it
// names back onto the inputs. Structured output is negotiated: json_schema, then json_object,
// then plain text, remembering what the server accepted.
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import {
  StageFailure,
  type Recognizer,
  type RecognizerInput,
  type RecognizerOutput,
  type StageOptions,
  type Store,
} from '../core/stages.ts';
import type { EkmmConfig, LlmClientConfig } from '../config/schema.ts';
import { cacheKey } from '../cache/key.ts';
import { DAY_MS } from '../cache/cached.ts';
import { LlmHttpClient, LlmHttpError, type LlmHttpOptions } from './http-base.ts';
import { LabelMapper } from './labels.ts';
import { alignNames, proposalsOfAnswer, typedNames, warningCollector } from './answer.ts';
import { TEMPLATE_VERSION, buildRecognizerMessages, entitySchema } from './recognizer-prompt.ts';
import { RecordingWriter } from '../recorded/writer.ts';
import { mapLimit } from './concurrency.ts';
import { projectPath } from '../config/load.ts';
import { TemplatePrompt } from '../finetune/served-prompt.ts';

export type StructuredMode = 'json_schema' | 'json_object' | 'none';
const DOWNGRADE: Record<StructuredMode, StructuredMode | undefined> = { json_schema: 'json_object', json_object: 'none', none: undefined };

export type LlmRecognizerConfig = LlmClientConfig & { structuredOutput: 'auto' | StructuredMode; record?: string | undefined };

/** What distinguishes the chat recognizers (llm: text only; vlm: the images too): the name and the prompt. */
export interface RecognizerPrompt {
  name: string;
  /** Part of every cache key: bump it with any change to the wording. */
  templateVersion: string;
  messages(input: RecognizerInput, entityTypes: string[]): ChatCompletionCreateParamsNonStreaming['messages'];
}

export const TEXT_PROMPT: RecognizerPrompt = { name: 'llm', templateVersion: TEMPLATE_VERSION, messages: buildRecognizerMessages };

interface Answer {
  content: string;
  finishReason: string | null;
  /** The model sent null content (not even an empty list). */
  empty?: boolean;
}

export interface LlmRecognizerDeps extends LlmHttpOptions {
  cache?: Store;
  cacheTtlMs?: number;
  concurrency?: number;
  /** The fine-tuning template to prompt with instead of the generic prompt (recognizer.llm.template). */
  template?: TemplatePrompt;
}

export class LlmRecognizer implements Recognizer {
  readonly name: string;
  readonly templateVersion: string;
  private readonly client: LlmHttpClient;
  private readonly recording: RecordingWriter | undefined;
  private readonly labels: LabelMapper;
  private mode: StructuredMode;

  constructor(
    private readonly config: LlmRecognizerConfig,
    private readonly entityTypes: string[],
    typeAliases: Record<string, string>,
    private readonly deps: LlmRecognizerDeps = {},
    private readonly prompt: RecognizerPrompt = TEXT_PROMPT,
  ) {
    this.name = prompt.name;
    this.templateVersion = deps.template?.id ?? prompt.templateVersion;
    this.client = new LlmHttpClient(config, deps);
    this.recording = config.record ? new RecordingWriter(config.record) : undefined;
    // The template's type names (人名, location, ...) are the labels a tuned model answers with.
    this.labels = new LabelMapper(entityTypes, { ...typeAliases, ...deps.template?.labelAliases() });
    this.mode = config.structuredOutput === 'auto' ? 'json_schema' : config.structuredOutput;
  }

  /** The structured-output mode that will be tried next (after any fallbacks so far). */
  get structuredMode(): StructuredMode {
    return this.mode;
  }

  async recognize(batch: RecognizerInput[], options: StageOptions = {}): Promise<RecognizerOutput[]> {
    return mapLimit(batch, this.deps.concurrency ?? 4, (input) => this.recognizeOne(input, options));
  }

  private async recognizeOne(input: RecognizerInput, options: StageOptions): Promise<RecognizerOutput> {
    const { warnings, warn } = warningCollector();
    const who = `${this.name} recognizer`;
    const template = this.deps.template;
    const messages = template ? await template.messages(input) : this.prompt.messages(input, this.entityTypes);
    const labels = template ? [...template.typeNames(template.languageFor(input)).values()] : this.entityTypes;
    let answer: Answer;
    try {
      answer = await this.ask(messages, labels, warn, options);
    } catch (err) {
      // Warnings gathered before the failure (a response_format the server refused) still reach the user.
      if (warnings.length === 0) throw err;
      throw new StageFailure(err instanceof Error ? err.message : String(err), warnings, { cause: err });
    }
    if (answer.empty) warn('llm.empty_answer', `${who}: the model answered with no content (null); no entities from it`);
    const proposals = proposalsOfAnswer(answer.content, answer.finishReason, this.labels, who, this.config.maxTokens, warn);
    if (this.recording) {
      if (input.id) this.recording.write({ id: input.id, entities: proposals.map((p) => ({ text: p.text, type: p.label })) });
      else warn('record.no_id', `${who}: the message has no id, so its answer was not recorded`);
    }
    const { typed, untyped } = typedNames(proposals, this.labels, this.entityTypes, who, warn);
    return { ...alignNames(typed, input, this.name, who, warn, untyped), warnings };
  }

  private async ask(
    messages: ChatCompletionCreateParamsNonStreaming['messages'],
    labels: string[],
    warn: (code: string, message: string) => void,
    options: StageOptions = {},
  ): Promise<Answer> {
    const cache = this.deps.cache;
    const key = cache
      ? cacheKey(`${this.name}-recognizer`, {
          prompt: JSON.stringify(messages),
          model: this.config.model,
          templateVersion: this.templateVersion,
        })
      : undefined;
    if (cache && key) {
      const hit = await cache.get<Answer>(key);
      if (hit) return hit;
    }
    for (;;) {
      const mode = this.mode;
      try {
        const completion = await this.client.chat(
          { messages, temperature: 0, max_tokens: this.config.maxTokens, ...this.responseFormat(mode, labels) },
          options,
        );
        const choice = completion.choices[0]!;
        const content = choice.message?.content;
        const answer: Answer = {
          content: content ?? '',
          finishReason: choice.finish_reason ?? null,
          ...(content == null ? { empty: true } : {}),
        };
        // Only complete answers are worth keeping; a cut-off or empty one might succeed next time.
        if (cache && key && answer.finishReason !== 'length' && !answer.empty) await cache.set(key, answer, this.deps.cacheTtlMs);
        return answer;
      } catch (err) {
        const next = DOWNGRADE[mode];
        const rejected = err instanceof LlmHttpError && (err.status === 400 || err.status === 422);
        if (!rejected || !next) throw err;
        // Another request may have downgraded already; never upgrade back.
        if (this.mode === mode) this.mode = next;
        warn(
          'llm.structured_output_fallback',
          `${this.name} recognizer: server rejected response_format ${mode} (HTTP ${err.status}); using ${next} from now on`,
        );
      }
    }
  }

  /** `labels`: the type names the prompt asks for (the configured types, or the template's names). */
  private responseFormat(mode: StructuredMode, labels: string[]): Pick<ChatCompletionCreateParamsNonStreaming, 'response_format'> {
    if (mode === 'json_schema') {
      return { response_format: { type: 'json_schema', json_schema: { name: 'entities', strict: true, schema: entitySchema(labels) } } };
    }
    if (mode === 'json_object') return { response_format: { type: 'json_object' } };
    return {};
  }
}

export function createLlmRecognizer(config: EkmmConfig, cache?: Store, deps: LlmRecognizerDeps = {}): LlmRecognizer {
  const llm = config.recognizer.llm;
  if (!llm) throw new Error('recognizer backend "llm" needs a recognizer.llm section with at least baseURL and model');
  const template = llm.template
    ? new TemplatePrompt(llm.template, config.entityTypes, config.typeAliases, { resolvePath: projectPath })
    : undefined;
  return new LlmRecognizer(llm, config.entityTypes, config.typeAliases, {
    ...(template ? { template } : {}),
    cache,
    cacheTtlMs: config.cache.ttlDays * DAY_MS,
    ...deps,
  });
}
