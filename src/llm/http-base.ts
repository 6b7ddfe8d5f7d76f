// The one place where calls to OpenAI-compatible servers get their timeout, retries and backoff.
// The SDK's own retries are off (maxRetries: 0) so that every provider behaves the same way:
// retry on 429, 5xx, network errors and timeouts; never on other 4xx (the request is wrong).
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import type { LlmClientConfig } from '../config/schema.ts';
import { countCompletion } from './usage.ts';

/** Placeholder key for local servers (vLLM, llama.cpp, Ollama) that ignore it. */
export const NO_API_KEY = 'not-needed';
const MAX_BACKOFF_MS = 30_000;

export type LlmErrorCode = 'llm.timeout' | 'llm.http' | 'llm.network' | 'llm.bad_response';

export class LlmHttpError extends Error {
  override readonly name = 'LlmHttpError';
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly status?: number,
    readonly attempts = 1,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return this.code === 'llm.timeout' || this.code === 'llm.network' || (this.status !== undefined && (this.status === 429 || this.status >= 500));
  }
}

export interface LlmHttpOptions {
  env?: NodeJS.ProcessEnv;
  /** Injected in tests to avoid real waiting; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Called before each retry, e.g. to count or log (never given the key). */
  onRetry?: (info: { attempt: number; delayMs: number; error: LlmHttpError }) => void;
}

export function backoffDelay(attempt: number, baseMs: number, random: () => number): number {
  // "Equal jitter": half the exponential step is fixed, half random, so retries spread out
  // without ever retrying immediately.
  const step = Math.min(MAX_BACKOFF_MS, baseMs * 2 ** attempt);
  return Math.round(step / 2 + random() * (step / 2));
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.min(MAX_BACKOFF_MS, Math.max(0, seconds * 1000));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.min(MAX_BACKOFF_MS, Math.max(0, date - Date.now()));
}

export class LlmHttpClient {
  readonly model: string;
  readonly baseURL: string;
  private readonly client: OpenAI;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;
  private readonly apiKey: string | undefined;

  constructor(
    readonly config: LlmClientConfig,
    private readonly options: LlmHttpOptions = {},
  ) {
    const env = options.env ?? process.env;
    this.model = config.model;
    this.baseURL = config.baseURL;
    this.apiKey = env[config.apiKeyEnv] || undefined;
    this.client = new OpenAI({
      baseURL: config.baseURL,
      apiKey: this.apiKey ?? NO_API_KEY,
      maxRetries: 0,
      // Our AbortSignal enforces the real limit; this only stops the SDK imposing its own.
      timeout: config.timeoutMs + 1000,
    });
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = options.random ?? Math.random;
  }

  /** A chat completion with timeout per attempt and retries with backoff. */
  async chat(params: Omit<ChatCompletionCreateParamsNonStreaming, 'model'> & { model?: string }): Promise<ChatCompletion> {
    const body: ChatCompletionCreateParamsNonStreaming = { ...params, model: params.model ?? this.model, stream: false };
    const completion = await this.withRetries(async () => {
      const c = await this.once(body);
      if (!Array.isArray(c?.choices) || c.choices.length === 0) {
        throw new LlmHttpError('llm.bad_response', `${this.where()}: response has no choices`);
      }
      return c;
    });
    countCompletion(completion.usage);
    return completion;
  }

  /** Vectors from an OpenAI-compatible /v1/embeddings endpoint, one per input, same timeout and retries as chat. */
  async embed(inputs: string[]): Promise<number[][]> {
    return this.withRetries(async () => {
      const signal = AbortSignal.timeout(this.config.timeoutMs);
      let res: Awaited<ReturnType<typeof this.client.embeddings.create>>;
      try {
        res = await this.client.embeddings.create({ model: this.model, input: inputs, encoding_format: 'float' }, { signal });
      } catch (err) {
        if (signal.aborted) throw new LlmHttpError('llm.timeout', `${this.where()}: no answer within ${this.config.timeoutMs} ms`);
        throw err;
      }
      const data = [...(res?.data ?? [])].sort((a, b) => a.index - b.index);
      if (data.length !== inputs.length || data.some((d) => !Array.isArray(d.embedding))) {
        throw new LlmHttpError('llm.bad_response', `${this.where()}: ${data.length} embeddings for ${inputs.length} inputs`);
      }
      return data.map((d) => d.embedding);
    });
  }

  private async withRetries<T>(attemptOnce: () => Promise<T>): Promise<T> {
    const attempts = 1 + this.config.retries;
    for (let attempt = 0; ; attempt++) {
      try {
        return await attemptOnce();
      } catch (err) {
        const error = err instanceof LlmHttpError ? err : this.classify(err);
        if (!error.retryable || attempt + 1 >= attempts) {
          throw new LlmHttpError(error.code, attempt > 0 ? `${error.message} (after ${attempt + 1} attempts)` : error.message, error.status, attempt + 1);
        }
        const hinted = err instanceof APIError ? retryAfterMs(err.headers) : undefined;
        const delayMs = hinted ?? backoffDelay(attempt, this.config.backoffMs, this.random);
        this.options.onRetry?.({ attempt: attempt + 1, delayMs, error });
        await this.sleep(delayMs);
      }
    }
  }

  async listModels(): Promise<string[]> {
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    try {
      const page = await this.client.models.list({ signal });
      return page.data.map((m) => m.id);
    } catch (err) {
      throw this.classify(err);
    }
  }

  private async once(body: ChatCompletionCreateParamsNonStreaming): Promise<ChatCompletion> {
    const signal = AbortSignal.timeout(this.config.timeoutMs);
    try {
      return await this.client.chat.completions.create(body, { signal });
    } catch (err) {
      if (signal.aborted) {
        throw new LlmHttpError('llm.timeout', `${this.where()}: no answer within ${this.config.timeoutMs} ms`);
      }
      throw err;
    }
  }

  private classify(err: unknown): LlmHttpError {
    if (err instanceof LlmHttpError) return err;
    const error = this.classifyUnredacted(err);
    // A server may quote the key it refused; the message ends up in warnings and replies.
    return this.apiKey ? new LlmHttpError(error.code, error.message.split(this.apiKey).join('<api key>'), error.status) : error;
  }

  private classifyUnredacted(err: unknown): LlmHttpError {
    if (err instanceof APIUserAbortError) return new LlmHttpError('llm.timeout', `${this.where()}: request aborted`);
    if (err instanceof APIConnectionError) {
      const timedOut = err.constructor.name === 'APIConnectionTimeoutError';
      return new LlmHttpError(timedOut ? 'llm.timeout' : 'llm.network', `${this.where()}: ${timedOut ? 'timed out' : 'connection failed'}: ${err.message}`);
    }
    if (err instanceof APIError) {
      return new LlmHttpError('llm.http', `${this.where()}: HTTP ${err.status ?? '?'}: ${err.message}`, err.status);
    }
    const message = err instanceof Error ? err.message : String(err);
    // A body that is not JSON, for example; the server answered, so retrying will not help.
    return new LlmHttpError('llm.bad_response', `${this.where()}: ${message}`);
  }

  private where(): string {
    return `LLM ${this.model} at ${withoutCredentials(this.baseURL)}`;
  }
}

/** A base URL as it may be shown: without user:password@ (a proxy may take credentials there). */
function withoutCredentials(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.href;
  } catch {
    return url;
  }
}
