// Where recognition runs. The host hands every admitted message to one RecognitionExecutor:
// in this process by default; a queue-backed executor (BullMQ workers, selected by
// `queue.url`) plugs in through the same interface (see src/app/executor.ts).
import type { Message, Recognition } from '../core/types.ts';

export interface ExecuteOptions {
  /** Aborted when the caller no longer wants the answer (shutdown, a client gone). */
  signal?: AbortSignal;
}

export interface RecognitionExecutor {
  /** Short name for logs, health and metrics: "in-process", "bullmq". */
  readonly kind: string;
  recognize(message: Message, options?: ExecuteOptions): Promise<Recognition>;
  /** Reasons the executor cannot take work now (an unreachable queue); empty when ready. */
  notReady?(): Promise<string[]>;
  close?(): Promise<void>;
}

/** The part of the engine an executor needs; src/core/engine.ts's Engine satisfies it. */
export interface RecognizingEngine {
  recognize(message: Message): Promise<Recognition>;
}

/** Runs the engine in this process. */
export class InProcessExecutor implements RecognitionExecutor {
  readonly kind = 'in-process';
  constructor(private readonly engine: RecognizingEngine) {}

  async recognize(message: Message, options: ExecuteOptions = {}): Promise<Recognition> {
    options.signal?.throwIfAborted();
    return this.engine.recognize(message);
  }
}
