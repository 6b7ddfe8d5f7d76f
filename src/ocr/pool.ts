// A fixed set of OCR worker threads with a queue and a per-job deadline (ocr.timeoutMs). A job
// past it is stopped at its next pipeline step; a worker that still does not come back is
// terminated and replaced by a fresh one.
// A job whose caller has gone (the message's deadline passed, the client left) is cancelled: a
// queued one is dropped before it reaches a worker, a running one stops at its next pipeline step.
import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from '../runtime/module-worker.ts';
import type { ModelFiles, PipelineTuning, RawLine, RunSettings } from './pipeline.ts';
import type { OcrJob, WorkerInit, WorkerReply } from './protocol.ts';
import { TUNING_BEFORE } from './pipeline.ts';

export class OcrTimeoutError extends Error {
  override readonly name = 'OcrTimeoutError';
}

/** The job was cancelled by its caller's signal; `started` says whether a worker had begun it. */
export class OcrCancelledError extends Error {
  override readonly name = 'OcrCancelledError';
  constructor(readonly started: boolean) {
    super(started ? 'OCR stopped: the message no longer waits for it' : 'OCR skipped: the message no longer waits for it');
  }
}

/**
 * What cancelling a running job does. `stop` (the default) sets the job's stop flag, which the
 * worker reads between steps (after detection, before each recognizer batch), so the worker is
 * free after at most one ONNX call. `restart` terminates the worker and starts a fresh one, which
 * would pay a model load, but terminating a worker inside an ONNX call aborts the process
 * (onnxruntime-node 1.30). It is kept only so that bench/ocr-cancel.ts can show that, side by side.
 */
export type CancelMode = 'stop' | 'restart';

interface Pending {
  job: OcrJob;
  resolve: (lines: RawLine[]) => void;
  reject: (err: Error) => void;
  /** Detaches the abort listener; called once the caller has its answer. */
  detach?: () => void;
  settled?: boolean;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  /** `cancelled`: the caller has its answer already and the worker is stopping. */
  busy?: { pending: Pending; timer: NodeJS.Timeout; cancelled?: boolean };
}

export interface OcrPoolStats {
  /** Workers running a job now (a cancelled job counts until its worker has stopped). */
  busy: number;
  queued: number;
  /** Cancelled jobs dropped from the queue before any worker began them. */
  skipped: number;
  /** Cancelled running jobs whose worker stopped early (mode `stop`). */
  stopped: number;
  /** Workers replaced: a crash, a worker stuck a timeout past its stop, or a cancellation in mode `restart`. */
  restarted: number;
}

export class OcrWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;
  private readonly counts = { skipped: 0, stopped: 0, restarted: 0 };

  private constructor(
    private readonly init: WorkerInit,
    private readonly timeoutMs: number,
    private readonly cancelMode: CancelMode,
  ) {}

  /** Starts `size` workers and waits until each has loaded its models. */
  static async start(
    files: ModelFiles,
    size: number,
    intraOpThreads: number,
    timeoutMs: number,
    cancelMode: CancelMode = 'stop',
    tuning: PipelineTuning = TUNING_BEFORE,
  ): Promise<OcrWorkerPool> {
    const pool = new OcrWorkerPool({ files, intraOpThreads, tuning }, timeoutMs, cancelMode);
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
    const worker = startModuleWorker('./worker.ts', import.meta.url, this.init);
    let slot!: Slot;
    slot = {
      worker,
      ready: new Promise<void>((resolve, reject) => {
        const onFirst = (msg: WorkerReply): void => {
          if (msg.kind === 'ready') resolve();
          else if (msg.kind === 'load_failed') reject(new Error(`OCR models failed to load: ${msg.error}`));
        };
        worker.once('message', onFirst);
        worker.once('error', reject);
      }),
    };
    slot.ready.catch(() => undefined);
    worker.on('message', (msg: WorkerReply) => this.onReply(slot, msg));
    worker.on('error', (err) => this.onCrash(slot, err));
    worker.on('exit', (code) => this.onCrash(slot, new Error(`OCR worker exited with code ${code}`)));
    return slot;
  }

  private settle(pending: Pending, outcome: { lines: RawLine[] } | { error: Error }): void {
    if (pending.settled) return;
    pending.settled = true;
    pending.detach?.();
    if ('lines' in outcome) pending.resolve(outcome.lines);
    else pending.reject(outcome.error);
  }

  private onReply(slot: Slot, msg: WorkerReply): void {
    if (msg.kind === 'ready') return this.dispatch();
    if (msg.kind === 'load_failed' || !slot.busy || slot.busy.pending.job.id !== msg.id) return;
    const { pending, timer } = slot.busy;
    clearTimeout(timer);
    slot.busy = undefined;
    if (msg.kind === 'done') this.settle(pending, { lines: msg.lines });
    else if (msg.kind === 'stopped') {
      this.counts.stopped++;
      this.settle(pending, { error: new OcrCancelledError(true) });
    } else this.settle(pending, { error: new Error(msg.error) });
    this.dispatch();
  }

  /** A dead worker fails its job and is replaced (unless the pool is closing). */
  private onCrash(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    if (slot.busy) {
      clearTimeout(slot.busy.timer);
      this.settle(slot.busy.pending, { error: err });
      slot.busy = undefined;
    }
    if (this.closed) return;
    this.replace(index);
  }

  /** A fresh worker in place of the one at `index`, which is terminated. */
  private replace(index: number): void {
    const old = this.slots[index]!;
    this.slots[index] = this.spawn();
    this.counts.restarted++;
    void old.worker.terminate();
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (this.queue.length === 0) return;
      if (slot.busy) continue;
      const pending = this.queue.shift()!;
      const timer = setTimeout(() => this.expire(slot), this.timeoutMs);
      slot.busy = { pending, timer };
      // ready resolves immediately once loaded; a job waits for a freshly replaced worker.
      slot.ready.then(
        () => slot.worker.postMessage(pending.job),
        (err: Error) => this.onCrash(slot, err),
      );
    }
  }

  /**
   * A job past ocr.timeoutMs: its caller gets OcrTimeoutError and the worker is told to stop at
   * its next step. Only a worker still not back a whole timeout later is terminated: terminating
   * a worker inside an ONNX call aborts the whole process (onnxruntime-node 1.30 throws a
   * Napi::Error nobody can catch; bench/ocr-cancel.ts, mode restart, shows it).
   */
  private expire(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0 || !slot.busy) return;
    const busy = slot.busy;
    if (!busy.cancelled) {
      this.stopBusy(slot);
      this.settle(busy.pending, {
        error: new OcrTimeoutError(`OCR took longer than ${this.timeoutMs} ms (ocr.timeoutMs); stopped`),
      });
      return;
    }
    slot.busy = undefined;
    this.replace(index);
    this.dispatch();
  }

  /** Sets the running job's stop flag; the slot stays busy until the worker says it stopped, or a timeout more. */
  private stopBusy(slot: Slot): void {
    const busy = slot.busy!;
    Atomics.store(busy.pending.job.stop, 0, 1);
    busy.cancelled = true;
    clearTimeout(busy.timer);
    busy.timer = setTimeout(() => this.expire(slot), this.timeoutMs);
  }

  /** The caller no longer waits: drop the job if queued, else stop (or restart) its worker. */
  private cancel(pending: Pending): void {
    if (pending.settled) return;
    const queued = this.queue.indexOf(pending);
    if (queued >= 0) {
      this.queue.splice(queued, 1);
      this.counts.skipped++;
      this.settle(pending, { error: new OcrCancelledError(false) });
      return;
    }
    const index = this.slots.findIndex((s) => s.busy?.pending === pending);
    if (index < 0) return;
    const slot = this.slots[index]!;
    if (this.cancelMode === 'restart') {
      clearTimeout(slot.busy!.timer);
      slot.busy = undefined;
      this.replace(index);
      this.settle(pending, { error: new OcrCancelledError(true) });
      this.dispatch();
      return;
    }
    // The caller gets its answer now; the slot stays busy until the worker says it has stopped
    // (after its current ONNX call), so the next job never shares the CPU with a dead one.
    this.stopBusy(slot);
    this.settle(pending, { error: new OcrCancelledError(true) });
  }

  /** Reads one image; `signal` cancels it (OcrCancelledError) and frees its worker early. */
  run(png: Uint8Array, settings: RunSettings, signal?: AbortSignal): Promise<RawLine[]> {
    if (this.closed) return Promise.reject(new Error('OCR worker pool is closed'));
    if (signal?.aborted) return Promise.reject(new OcrCancelledError(false));
    return new Promise<RawLine[]>((resolve, reject) => {
      // A copy: the caller keeps its buffer (PreparedImage.png may be reused by other stages).
      const job: OcrJob = { id: this.nextId++, png: new Uint8Array(png), settings, stop: new Int32Array(new SharedArrayBuffer(4)) };
      const pending: Pending = { job, resolve, reject };
      if (signal) {
        const onAbort = () => this.cancel(pending);
        signal.addEventListener('abort', onAbort, { once: true });
        pending.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(pending);
      this.dispatch();
    });
  }

  stats(): OcrPoolStats {
    return { busy: this.slots.filter((s) => s.busy).length, queued: this.queue.length, ...this.counts };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) this.settle(p, { error: new Error('OCR worker pool closed') });
    const slots = this.slots.splice(0);
    for (const s of slots) {
      if (s.busy) {
        clearTimeout(s.busy.timer);
        this.settle(s.busy.pending, { error: new Error('OCR worker pool closed') });
      }
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
