// A bounded queue in front of the engine: at most `concurrency` recognitions run at once and at
// most `queueSize` wait. Past that a task is refused at once, so a flood costs a refusal, not memory.

export class QueueFullError extends Error {
  override readonly name = 'QueueFullError';
  constructor(queueSize: number) {
    super(`work queue is full (${queueSize} waiting; guards.queueSize)`);
  }
}

interface Waiting {
  start: () => void;
}

export interface WorkQueueStats {
  running: number;
  waiting: number;
  peakWaiting: number;
  completed: number;
  refused: number;
}

export class WorkQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];
  private readonly idleWaiters: (() => void)[] = [];
  private peakWaiting = 0;
  private completed = 0;
  private refused = 0;

  constructor(
    private readonly concurrency: number,
    private readonly queueSize: number,
  ) {
    if (concurrency < 1 || queueSize < 0) throw new Error(`bad work queue limits: concurrency ${concurrency}, queueSize ${queueSize}`);
  }

  /** Runs the task when a slot frees; rejects with QueueFullError at once when none will soon. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueSize) {
        this.refused++;
        throw new QueueFullError(this.queueSize);
      }
      const started = new Promise<void>((start) => this.waiting.push({ start }));
      this.peakWaiting = Math.max(this.peakWaiting, this.waiting.length);
      await started;
      // The slot was handed over by the finishing task; `running` already counts us.
    } else {
      this.running++;
    }
    try {
      return await task();
    } finally {
      this.completed++;
      const next = this.waiting.shift();
      if (next) next.start();
      else {
        this.running--;
        if (this.running === 0) for (const w of this.idleWaiters.splice(0)) w();
      }
    }
  }

  /** Resolves when nothing runs and nothing waits. */
  idle(): Promise<void> {
    if (this.running === 0 && this.waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stats(): WorkQueueStats {
    return { running: this.running, waiting: this.waiting.length, peakWaiting: this.peakWaiting, completed: this.completed, refused: this.refused };
  }
}
