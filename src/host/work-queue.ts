// The one bounded work queue of the process: at most `concurrency` recognitions run at once (over
// every adapter together) and at most `queueSize` wait. Past that a task is refused at once, so a
// flood costs a refusal, not memory. p-queue runs the tasks; this adds the bound, the counts and
// fairness between clients.
//
// Fairness (issue 8): tasks that name a `client` are ordered by start-time fair queueing: a task's
// tag is max(virtual time, the end tag of its client's previous task), virtual time is the tag of
// the task that started last, and a task costs one unit. p-queue runs the lowest tag first: its
// `priority` is the negated tag, and it keeps FIFO order among equal priorities (so equal tags go
// in arrival order). A client with many tasks waiting thus gets tags far ahead, and another
// client's first task, tagged at the current virtual time, runs before all but at most one task
// of each other client. Equal tags are further ordered by how many tasks their client has in the
// queue (a fraction below one added to the tag, so a client's own order is kept): the first task
// of a quiet client goes before the heads of busy ones. Measured on bench/abuse.ts's mixed flood
// (48 in flight from 8 addresses): with FIFO the probe waited behind every flood task in the lane
// (p99 250-860 ms); with tags alone, behind one task of each of the 8 flood clients.
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
  /**
   * Who the task is for (a web client address, a community): tasks of one client run in order,
   * and one client's backlog does not delay another's. Tasks without one share a single flow.
   */
  client?: string;
}

export class WorkQueue {
  private readonly queue: PQueue;
  private peakWaiting = 0;
  private completed = 0;
  private refused = 0;
  /** Start-time fair queueing: the tag of the task started last, and the end tag of each client's last task. */
  private virtualTime = 0;
  private readonly clientEnd = new Map<string, number>();
  /** Tasks of each client waiting or running. */
  private readonly clientTasks = new Map<string, number>();

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
    const client = options.client ?? '';
    const tag = this.tagFor(client);
    const done = this.queue.add(
      () => {
        started = true;
        this.virtualTime = Math.max(this.virtualTime, tag);
        return task(external ? { signal: external } : {});
      },
      { priority: -tag, ...(external ? { signal: whileWaiting.signal } : {}) },
    );
    this.peakWaiting = Math.max(this.peakWaiting, this.queue.size);
    return done.finally(() => {
      external?.removeEventListener('abort', onAbort);
      const left = (this.clientTasks.get(client) ?? 1) - 1;
      if (left <= 0) this.clientTasks.delete(client);
      else this.clientTasks.set(client, left);
      if (started) this.completed++;
    });
  }

  /** The fair-queueing tag of a new task of `client` (see the top of this file). */
  private tagFor(client: string): number {
    const start = Math.floor(Math.max(this.virtualTime, this.clientEnd.get(client) ?? 0));
    this.clientEnd.set(client, start + 1);
    const tasks = this.clientTasks.get(client) ?? 0;
    this.clientTasks.set(client, tasks + 1);
    // Among equal start tags, the client with fewer tasks here first (the fraction stays below one).
    const tag = start + tasks / (tasks + 1);
    // Clients whose last task ended before the virtual time start from it anyway: forget them.
    if (this.clientEnd.size > 1024) {
      for (const [key, end] of this.clientEnd) if (end <= this.virtualTime) this.clientEnd.delete(key);
    }
    return tag;
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
