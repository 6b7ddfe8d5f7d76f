// The one place where calls to OpenAI-compatible servers get their deadline, retries, backoff,
// circuit breaker and answer-size cap. The SDK's own retries are off (maxRetries: 0) so that every
// provider behaves the same way: retry on 429, 5xx, network errors and timeouts; never on other
// 4xx (the request is wrong).
//
// Each call may carry the message's deadline: no attempt runs past it, a Retry-After that would
// end past it is not waited for, and a caller that has gone (its signal aborts) stops the call at
// once. Retries run through p-retry; a circuit breaker per client (cockatiel) fails calls at once
// after `breaker.failures` failures in a row and lets one probe through after `halfOpenAfterMs`.
import OpenAI, { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import pRetry from 'p-retry';
import { BrokenCircuitError, ConsecutiveBreaker, circuitBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import type { LlmClientConfig } from '../config/schema.ts';
import { countCompletion } from './usage.ts';

/** Placeholder key for local servers (vLLM, llama.cpp, Ollama) that ignore it. */
export const NO_API_KEY = 'not-needed';
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_MAX_ANSWER_BYTES = 1024 * 1024;
const DEFAULT_BREAKER = { failures: 5, halfOpenAfterMs: 30_000 };

export type LlmErrorCode =
  | 'llm.timeout'
  | 'llm.http'
  | 'llm.network'
  | 'llm.bad_response'
  | 'llm.too_large'
  | 'llm.circuit_open'
  | 'llm.rate_limited'
  | 'llm.cancelled';

export class LlmHttpError extends Error {
  override readonly name = 'LlmHttpError';
  constructor(
    readonly code: LlmErrorCode,
    message: string,
    readonly status?: number,
    readonly attempts = 1,
    /** Milliseconds the server asked us to wait (Retry-After), when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }

  get retryable(): boolean {
    return (
      this.code === 'llm.timeout' ||
      this.code === 'llm.network' ||
      (this.status !== undefined && (this.status === 429 || this.status >= 500))
    );
  }

  /** Whether the failure says something about the backend's health (and so feeds its circuit breaker). */
  get backendFault(): boolean {
    return this.retryable || this.code === 'llm.too_large';
  }
}

/** What one call may carry: the caller's cancellation and the message deadline (a Date.now() time). */
export interface LlmCallOptions {
  signal?: AbortSignal;
  deadline?: number;
}

export interface LlmHttpOptions {
  env?: NodeJS.ProcessEnv;
  /** Injected in tests to avoid real waiting; defaults to an abortable setTimeout. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
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
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Thrown inside the capped fetch; found again in the SDK's error's cause chain. */
class AnswerTooLarge extends Error {
  constructor(
    readonly limit: number,
    readonly declared?: number,
  ) {
    super(declared !== undefined ? `answer of ${declared} bytes exceeds ${limit}` : `answer exceeded ${limit} bytes`);
  }
}

function findTooLarge(err: unknown): AnswerTooLarge | undefined {
  for (let e: unknown = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (e instanceof AnswerTooLarge) return e;
  }
  return undefined;
}

/** fetch whose answer body is cut off (and the connection dropped) past `limit` bytes. */
function cappedFetch(limit: number): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      await res.body?.cancel();
      throw new AnswerTooLarge(limit, declared);
    }
    if (!res.body) return res;
    let total = 0;
    const capped = res.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          total += chunk.byteLength;
          // Erroring the transform cancels the source: the rest of the answer is never read.
          if (total > limit) controller.error(new AnswerTooLarge(limit));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(capped, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

export class LlmHttpClient {
  readonly model: string;
  readonly baseURL: string;
  private readonly client: OpenAI;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly apiKey: string | undefined;
  private readonly maxAnswerBytes: number;
  private readonly breakerSettings: { failures: number; halfOpenAfterMs: number };
  readonly breaker: CircuitBreakerPolicy;

  constructor(
    readonly config: LlmClientConfig,
    private readonly options: LlmHttpOptions = {},
  ) {
    const env = options.env ?? process.env;
    this.model = config.model;
    this.baseURL = config.baseURL;
    this.apiKey = env[config.apiKeyEnv] || undefined;
    this.maxAnswerBytes = config.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.breakerSettings = config.breaker ?? DEFAULT_BREAKER;
    this.client = new OpenAI({
      baseURL: config.baseURL,
      apiKey: this.apiKey ?? NO_API_KEY,
      maxRetries: 0,
      // Our AbortSignal enforces the real limit; this only stops the SDK imposing its own.
      timeout: config.timeoutMs + 1000,
      fetch: cappedFetch(this.maxAnswerBytes),
    });
    this.sleep = options.sleep ?? abortableSleep;
    this.random = options.random ?? Math.random;
    this.breaker = circuitBreaker(
      handleWhen((err) => err instanceof LlmHttpError && err.backendFault),
      { halfOpenAfter: this.breakerSettings.halfOpenAfterMs, breaker: new ConsecutiveBreaker(this.breakerSettings.failures) },
    );
  }

  /** A chat completion: timeout per attempt, retries with backoff, all within the call's deadline. */
  async chat(
    params: Omit<ChatCompletionCreateParamsNonStreaming, 'model'> & { model?: string },
    call: LlmCallOptions = {},
  ): Promise<ChatCompletion> {
    const body: ChatCompletionCreateParamsNonStreaming = { ...params, model: params.model ?? this.model, stream: false };
    const completion = await this.withRetries(async () => {
      const c = await this.guarded((signal) => this.client.chat.completions.create(body, { signal }), call);
      if (!Array.isArray(c?.choices) || c.choices.length === 0) {
        throw new LlmHttpError('llm.bad_response', `${this.where()}: response has no choices`);
      }
      return c;
    }, call);
    countCompletion(completion.usage);
    return completion;
  }

  /** Vectors from an OpenAI-compatible /v1/embeddings endpoint, one per input, same deadline, retries and breaker as chat. */
  async embed(inputs: string[], call: LlmCallOptions = {}): Promise<number[][]> {
    return this.withRetries(async () => {
      const res = await this.guarded(
        (signal) => this.client.embeddings.create({ model: this.model, input: inputs, encoding_format: 'float' }, { signal }),
        call,
      );
      const data = [...(res?.data ?? [])].sort((a, b) => a.index - b.index);
      if (data.length !== inputs.length || data.some((d) => !Array.isArray(d.embedding))) {
        throw new LlmHttpError('llm.bad_response', `${this.where()}: ${data.length} embeddings for ${inputs.length} inputs`);
      }
      return data.map((d) => d.embedding);
    }, call);
  }

  /** Attempts through p-retry: retryable failures again after a backoff, all within the call's deadline. */
  private async withRetries<T>(attemptOnce: () => Promise<T>, call: LlmCallOptions): Promise<T> {
    let attempts = 0;
    try {
      return await pRetry(
        async () => {
          attempts++;
          return await attemptOnce();
        },
        {
          retries: this.config.retries,
          // The delay is ours (onFailedAttempt below): p-retry cannot honour Retry-After.
          minTimeout: 0,
          factor: 1,
          ...(call.signal ? { signal: call.signal } : {}),
          shouldRetry: ({ error }) => error instanceof LlmHttpError && error.retryable,
          onFailedAttempt: async ({ error, retriesLeft }) => {
            if (!(error instanceof LlmHttpError) || !error.retryable || retriesLeft === 0) return;
            const delayMs = this.delayBefore(attempts, error, call);
            this.options.onRetry?.({ attempt: attempts, delayMs, error });
            await this.sleep(delayMs, call.signal);
          },
        },
      );
    } catch (err) {
      const error = err instanceof LlmHttpError ? err : call.signal?.aborted ? this.cancelled() : this.classify(err);
      const message = attempts > 1 ? `${error.message} (after ${attempts} attempts)` : error.message;
      throw new LlmHttpError(error.code, message, error.status, attempts, error.retryAfterMs);
    }
  }

  /** How long to wait before the next attempt; throws when that wait would end past the deadline. */
  private delayBefore(attempt: number, error: LlmHttpError, call: LlmCallOptions): number {
    const remaining = call.deadline === undefined ? Infinity : call.deadline - Date.now();
    // No time left for another attempt: the failure as it is says best what happened.
    if (remaining <= 0) throw error;
    const hinted = error.retryAfterMs;
    if (hinted !== undefined && hinted >= remaining) {
      throw new LlmHttpError(
        'llm.rate_limited',
        `${this.where()}: HTTP ${error.status ?? '?'} asks to retry after ${Math.round(hinted / 1000)} s, past the message deadline (${Math.max(0, Math.round(remaining))} ms left)`,
        error.status,
        attempt,
        hinted,
      );
    }
    const delay = hinted !== undefined ? Math.min(hinted, MAX_BACKOFF_MS) : backoffDelay(attempt - 1, this.config.backoffMs, this.random);
    // A backoff that would end past the deadline is cut to it: the next attempt then fails fast.
    return Math.max(0, Math.min(delay, remaining));
  }

  /** One attempt through the circuit breaker. */
  private async guarded<T>(send: (signal: AbortSignal) => Promise<T>, call: LlmCallOptions): Promise<T> {
    try {
      return await this.breaker.execute(() => this.once(send, call), call.signal);
    } catch (err) {
      if (err instanceof BrokenCircuitError) {
        throw new LlmHttpError(
          'llm.circuit_open',
          `${this.where()}: not called, ${this.breakerSettings.failures} calls in a row failed; the next probe goes after ${Math.round(this.breakerSettings.halfOpenAfterMs / 1000)} s`,
        );
      }
      throw err;
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

  /** One attempt: timeout at min(timeoutMs, the deadline), aborted at once when the caller goes. */
  private async once<T>(send: (signal: AbortSignal) => Promise<T>, call: LlmCallOptions): Promise<T> {
    if (call.signal?.aborted) throw this.cancelled();
    const remaining = call.deadline === undefined ? Infinity : call.deadline - Date.now();
    if (remaining <= 0) throw new LlmHttpError('llm.timeout', `${this.where()}: not called, the message deadline has passed`);
    const ms = Math.min(this.config.timeoutMs, remaining);
    const timer = AbortSignal.timeout(ms);
    const signal = call.signal ? AbortSignal.any([call.signal, timer]) : timer;
    try {
      return await send(signal);
    } catch (err) {
      if (call.signal?.aborted) throw this.cancelled();
      if (timer.aborted) {
        const why =
          ms < this.config.timeoutMs
            ? `no answer before the message deadline (${Math.round(ms)} ms)`
            : `no answer within ${this.config.timeoutMs} ms`;
        throw new LlmHttpError('llm.timeout', `${this.where()}: ${why}`);
      }
      throw this.classify(err);
    }
  }

  private cancelled(): LlmHttpError {
    return new LlmHttpError('llm.cancelled', `${this.where()}: call cancelled, the message is no longer wanted`);
  }

  private classify(err: unknown): LlmHttpError {
    if (err instanceof LlmHttpError) return err;
    const error = this.classifyUnredacted(err);
    // A server may quote the key it refused; the message ends up in warnings and replies.
    return this.apiKey
      ? new LlmHttpError(error.code, error.message.split(this.apiKey).join('<api key>'), error.status, error.attempts, error.retryAfterMs)
      : error;
  }

  private classifyUnredacted(err: unknown): LlmHttpError {
    const tooLarge = findTooLarge(err);
    if (tooLarge) {
      return new LlmHttpError('llm.too_large', `${this.where()}: ${tooLarge.message} (maxAnswerBytes); the rest was not read`);
    }
    if (err instanceof APIUserAbortError) return new LlmHttpError('llm.timeout', `${this.where()}: request aborted`);
    if (err instanceof APIConnectionError) {
      const timedOut = err.constructor.name === 'APIConnectionTimeoutError';
      return new LlmHttpError(
        timedOut ? 'llm.timeout' : 'llm.network',
        `${this.where()}: ${timedOut ? 'timed out' : 'connection failed'}: ${err.message}`,
      );
    }
    if (err instanceof APIError) {
      return new LlmHttpError(
        'llm.http',
        `${this.where()}: HTTP ${err.status ?? '?'}: ${err.message}`,
        err.status,
        1,
        retryAfterMs(err.headers),
      );
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
