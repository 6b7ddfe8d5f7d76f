// The one bounded work queue of the process: at most `concurrency` recognitions run at once (over
// every adapter together) and at most `queueSize` wait. Past that a task is refused at once, so a
// flood costs a refusal, not memory. p-queue runs the tasks; this only adds the bound and counts.
import PQueue from 'p-queue';

export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(queueSize: number) {
    super(`work queue is full (${queueSize} waiting; guards.queueSize)`);
  }
}

export interface WorkQueueStats {
  running: number;
  waiting: number;
  peakWaiting: number;
  completed: number;
  refused: number;
}

export interface RunOptions {
  /**
   * Aborting removes a task that is still waiting (its promise rejects with the signal's reason).
   * A running task keeps its slot until it ends, so the concurrency bound holds; it receives the
   * signal and may stop early.
   */
  signal?: AbortSignal;
}

export class WorkQueue {
  private readonly queue: PQueue;
  private peakWaiting = 0;
  private completed = 0;
  private refused = 0;

  constructor(
    readonly concurrency: number,
    readonly queueSize: number,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1 || !Number.isInteger(queueSize) || queueSize < 0) {
      throw new Error(`bad work queue limits: concurrency ${concurrency}, queueSize ${queueSize}`);
    }
    this.queue = new PQueue({ concurrency });
  }

  /** Whether a task submitted now would be refused (the web API checks this before reading a body). */
  get full(): boolean {
    return this.queue.pending + this.queue.size >= this.concurrency + this.queueSize;
  }

  /** Runs the task when a slot frees; rejects with QueueFullError at once when the queue is full. */
  run<T>(task: (options: RunOptions) => Promise<T>, options: RunOptions = {}): Promise<T> {
    // p-queue adds and starts synchronously, so `pending + size` is exact here.
    if (this.queue.pending + this.queue.size >= this.concurrency + this.queueSize) {
      this.refused++;
      return Promise.reject(new QueueFullError(this.queueSize));
    }
    const external = options.signal;
    if (external?.aborted) return Promise.reject(external.reason);
    // p-queue, given a signal, also rejects a *running* task's promise and frees its slot while
    // the work goes on; so p-queue gets a signal that fires only while the task waits.
    let started = false;
    const whileWaiting = new AbortController();
    const onAbort = () => {
      if (!started) whileWaiting.abort(external?.reason);
    };
    external?.addEventListener('abort', onAbort, { once: true });
    const done = this.queue.add(
      () => {
        started = true;
        return task(external ? { signal: external } : {});
      },
      external ? { signal: whileWaiting.signal } : {},
    );
    this.peakWaiting = Math.max(this.peakWaiting, this.queue.size);
    return done.finally(() => {
      external?.removeEventListener('abort', onAbort);
      if (started) this.completed++;
    });
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    return this.queue.onIdle();
  }

  stats(): WorkQueueStats {
    return {
      running: this.queue.pending,
      waiting: this.queue.size,
      peakWaiting: this.peakWaiting,
      completed: this.completed,
      refused: this.refused,
    };
  }
}
