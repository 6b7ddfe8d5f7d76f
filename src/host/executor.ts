// Where recognition runs. The host hands every admitted message to one RecognitionExecutor:
// in this process by default; a queue-backed executor (BullMQ workers, selected by
// `queue.url`) plugs in through the same interface (see src/app/executor.ts).
import type { Message, Recognition } from '../core/types.ts';
import type { CountAs, Recognized } from './host.ts';

export interface ExecuteOptions {
  /** Aborted when the caller no longer wants the answer (shutdown, a client gone). */
  signal?: AbortSignal;
}

export interface RecognitionExecutor {
  /** Short name for logs, health and metrics: "in-process", "bullmq". */
  readonly kind: string;
  recognize(message: Message, options?: ExecuteOptions): Promise<Recognition>;
  /**
   * Optional: recognize and count where the recognition runs (BullMQ workers count as they
   * recognize, idempotent by message id, so a job retried after a crash is counted once). When
   * present the host calls this for messages to count instead of recording them itself.
   */
  recognizeAndCount?(message: Message, countAs: CountAs, options?: ExecuteOptions): Promise<Recognized>;
  /** Reasons the executor cannot take work now (an unreachable queue); empty when ready. */
  notReady?(): Promise<string[]>;
  close?(): Promise<void>;
}

/**
 * The executor could not get an answer in time (no queue worker answered): the message was not
 * looked at. Adapters tell the user it failed (the web API: 503 with Retry-After), never nothing.
 */
export class RecognitionUnavailableError extends Error {
  override readonly name: string = 'RecognitionUnavailableError';
}

/** The part of the engine an executor needs; src/core/engine.ts's Engine satisfies it. */
export interface RecognizingEngine {
  /** `signal` reaches every stage: a client that has gone stops its LLM calls and downloads. */
  recognize(message: Message, options?: { signal?: AbortSignal }): Promise<Recognition>;
}

/** Runs the engine in this process. */
export class InProcessExecutor implements RecognitionExecutor {
  readonly kind = 'in-process';
  constructor(private readonly engine: RecognizingEngine) {}

  async recognize(message: Message, options: ExecuteOptions = {}): Promise<Recognition> {
    options.signal?.throwIfAborted();
    return this.engine.recognize(message, options.signal ? { signal: options.signal } : {});
  }
}
