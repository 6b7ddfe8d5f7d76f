// The local tagger in worker threads (recognizer.local.workerThreads > 0): a fixed set of workers
// per model, a FIFO queue, and cancellation. Under a mixed flood the tagger's feature building,
// ONNX run and Viterbi took 22% of the main thread (bench/abuse.ts, issue 8); here they run
// beside the event loop, which only tokenizes and posts.
// Modelled on src/ocr/pool.ts rather than piscina: piscina cancels a running task by terminating
// its worker, and terminating a worker inside an ONNX call aborts the whole process
// (onnxruntime-node 1.30; see bench/ocr-cancel.ts). Here a job no longer wanted (its signal
// aborted, or its deadline passed) is dropped if queued, and a running one stops before its next
// ONNX run through a shared stop flag, so the worker is free after at most one batch.
import type { Worker } from 'node:worker_threads';
import type { StageOptions } from '../../core/stages.ts';
import { startModuleWorker } from '../../runtime/module-worker.ts';
import type { TagJob, TaggerWorkerInit, TaggerWorkerReply } from './tagger-protocol.ts';

/** The job was cancelled (signal or deadline); `started` says whether a worker had begun it. */
export class TaggerCancelledError extends Error {
  override readonly name = 'TaggerCancelledError';
  constructor(readonly started: boolean) {
    super(started ? 'tagging stopped: the message no longer waits for it' : 'tagging skipped: the message no longer waits for it');
  }
}

interface Pending {
  job: TagJob;
  resolve: (tags: string[][]) => void;
  reject: (err: Error) => void;
  /** Detaches the abort listener and the deadline timer. */
  detach?: () => void;
  settled?: boolean;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** `cancelled`: the caller has its answer and the worker is stopping. */
  busy?: { pending: Pending; cancelled?: boolean };
}

export interface TaggerPoolStats {
  busy: number;
  queued: number;
  /** Cancelled jobs dropped from the queue before a worker began them. */
  skipped: number;
  /** Cancelled running jobs whose worker stopped before its next ONNX run. */
  stopped: number;
  /** Workers replaced after a crash. */
  restarted: number;
}

export class TaggerWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly counts = { skipped: 0, stopped: 0, restarted: 0 };

  private constructor(private readonly init: TaggerWorkerInit) {}

  /** Starts `size` workers for the model in `dir` and waits until each has loaded it. */
  static async start(dir: string, size: number, intraOpNumThreads = 1): Promise<TaggerWorkerPool> {
    if (!Number.isInteger(size) || size < 1) throw new Error(`tagger worker pool: size must be a positive integer, got ${size}`);
    const pool = new TaggerWorkerPool({ dir, intraOpNumThreads });
    for (let i = 0; i < size; i++) pool.slots.push(pool.spawn());
    try {
      await Promise.all(pool.slots.map((s) => s.ready));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  private spawn(): Slot {
    const worker = startModuleWorker('./tagger-worker.ts', import.meta.url, this.init);
    let slot!: Slot;
    slot = {
      worker,
      ready: new Promise<void>((resolve, reject) => {
        worker.once('message', (msg: TaggerWorkerReply) => {
          if (msg.kind === 'ready') resolve();
          else if (msg.kind === 'load_failed') reject(new Error(`cannot load NER model ${this.init.dir} in a worker: ${msg.error}`));
        });
        worker.once('error', reject);
      }),
    };
    slot.ready.catch(() => undefined);
    worker.on('message', (msg: TaggerWorkerReply) => this.onReply(slot, msg));
    worker.on('error', (err) => this.onCrash(slot, err));
    worker.on('exit', (code) => this.onCrash(slot, new Error(`tagger worker exited with code ${code}`)));
    return slot;
  }

  private settle(pending: Pending, outcome: { tags: string[][] } | { error: Error }): void {
    if (pending.settled) return;
    pending.settled = true;
    pending.detach?.();
    if ('tags' in outcome) pending.resolve(outcome.tags);
    else pending.reject(outcome.error);
  }

  private onReply(slot: Slot, msg: TaggerWorkerReply): void {
    if (msg.kind === 'ready') return this.dispatch();
    if (msg.kind === 'load_failed' || !slot.busy || slot.busy.pending.job.id !== msg.id) return;
    const { pending } = slot.busy;
    slot.busy = undefined;
    if (msg.kind === 'done') this.settle(pending, { tags: msg.tags });
    else if (msg.kind === 'stopped') {
      this.counts.stopped++;
      this.settle(pending, { error: new TaggerCancelledError(true) });
    } else this.settle(pending, { error: new Error(msg.error) });
    this.dispatch();
  }

  /** A dead worker fails its job and is replaced (unless the pool is closing). */
  private onCrash(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    if (slot.busy) {
      this.settle(slot.busy.pending, { error: err });
      slot.busy = undefined;
    }
    if (this.closed) return;
    this.slots[index] = this.spawn();
    this.counts.restarted++;
    void slot.worker.terminate();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const pending = this.queue.shift()!;
      slot.busy = { pending };
      slot.ready.then(
        () => slot.worker.postMessage(pending.job),
        (err: Error) => this.onCrash(slot, err),
      );
    }
  }

  /** The caller no longer waits: drop the job if queued, else set its stop flag. */
  private cancel(pending: Pending): void {
    if (pending.settled) return;
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.counts.skipped++;
      this.settle(pending, { error: new TaggerCancelledError(false) });
      return;
    }
    const slot = this.slots.find((s) => s.busy?.pending === pending);
    if (!slot) return;
    // The caller gets its answer now; the slot stays busy until the worker says it stopped (before
    // its next ONNX run), so the next job never shares the CPU with an unwanted one.
    Atomics.store(pending.job.stop, 0, 1);
    slot.busy!.cancelled = true;
    this.settle(pending, { error: new TaggerCancelledError(true) });
  }

  /**
   * Tags token sequences exactly as Tagger.tag does in-process. `options.signal` or
   * `options.deadline` (a Date.now() time) cancels the job: TaggerCancelledError.
   */
  tag(
    sequences: readonly (readonly string[])[],
    knowledge?: readonly (string | null | undefined)[],
    captions?: readonly (string | null | undefined)[],
    options: StageOptions = {},
  ): Promise<string[][]> {
    if (this.closed) return Promise.reject(new Error('tagger worker pool is closed'));
    const { signal, deadline } = options;
    if (signal?.aborted || (deadline !== undefined && deadline <= Date.now())) return Promise.reject(new TaggerCancelledError(false));
    return new Promise<string[][]>((resolve, reject) => {
      const job: TagJob = {
        id: this.nextId++,
        sequences: sequences.map((s) => [...s]),
        knowledge: sequences.map((_, i) => knowledge?.[i] ?? null),
        captions: sequences.map((_, i) => captions?.[i] ?? null),
        stop: new Int32Array(new SharedArrayBuffer(4)),
      };
      const pending: Pending = { job, resolve, reject };
      const onAbort = () => this.cancel(pending);
      signal?.addEventListener('abort', onAbort, { once: true });
      const timer = deadline !== undefined ? setTimeout(onAbort, deadline - Date.now()) : undefined;
      timer?.unref();
      pending.detach = () => {
        signal?.removeEventListener('abort', onAbort);
        clearTimeout(timer);
      };
      this.queue.push(pending);
      this.dispatch();
    });
  }

  stats(): TaggerPoolStats {
    return { busy: this.slots.filter((s) => s.busy).length, queued: this.queue.length, ...this.counts };
  }

  /**
   * Fails what is queued, stops what runs and waits (up to `graceMs`) for those workers to come
   * back before terminating them: terminating a worker inside an ONNX call aborts the process.
   */
  async close(graceMs = 5000): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, { error: new Error('tagger worker pool closed') });
    for (const s of this.slots) {
      if (!s.busy) continue;
      Atomics.store(s.busy.pending.job.stop, 0, 1);
      this.settle(s.busy.pending, { error: new Error('tagger worker pool closed') });
    }
    const until = Date.now() + graceMs;
    while (this.slots.some((s) => s.busy) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
    const slots = this.slots.splice(0);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
