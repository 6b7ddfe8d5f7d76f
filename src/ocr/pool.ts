// A fixed set of OCR worker threads with a queue and a per-job deadline. A worker that misses
// its deadline is terminated (ONNX calls cannot be interrupted) and replaced by a fresh one.
import { Worker } from 'node:worker_threads';
import { isCompiled, siblingModule } from '../runtime/module-url.ts';
import type { ModelFiles, RawLine, RunSettings } from './pipeline.ts';
import type { OcrJob, WorkerInit, WorkerReply } from './protocol.ts';

export class OcrTimeoutError extends Error {
  override readonly name = 'OcrTimeoutError';
}

interface Pending {
  job: OcrJob;
  resolve: (lines: RawLine[]) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  ready: Promise<void>;
  busy?: { pending: Pending; timer: NodeJS.Timeout };
}

const COMPILED = isCompiled(import.meta.url);
const WORKER_URL = siblingModule('./worker.ts', import.meta.url);
/**
 * Node 20 workers do not inherit the parent's module hooks (and ignore `--import` in execArgv),
 * so a small bootstrap registers tsx in the worker before loading the TypeScript entry.
 */
const BOOTSTRAP = COMPILED
  ? ''
  : `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})
  .then((tsx) => { tsx.register(); return import(${JSON.stringify(WORKER_URL.href)}); })
  .catch((err) => { require('node:worker_threads').parentPort.postMessage({ kind: 'load_failed', error: String(err && err.stack || err) }); });`;

export class OcrWorkerPool {
  private readonly slots: Slot[] = [];
  private readonly queue: Pending[] = [];
  private nextId = 1;
  private closed = false;

  private constructor(
    private readonly init: WorkerInit,
    private readonly timeoutMs: number,
  ) {}

  /** Starts `size` workers and waits until each has loaded its models. */
  static async start(files: ModelFiles, size: number, intraOpThreads: number, timeoutMs: number): Promise<OcrWorkerPool> {
    const pool = new OcrWorkerPool({ files, intraOpThreads }, timeoutMs);
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
    // Compiled (dist/): the worker is plain JavaScript and loads directly, without tsx.
    const worker = COMPILED
      ? new Worker(WORKER_URL, { workerData: this.init, execArgv: [] })
      : new Worker(BOOTSTRAP, { eval: true, workerData: this.init, execArgv: [] });
    worker.unref();
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

  private onReply(slot: Slot, msg: WorkerReply): void {
    if (msg.kind === 'ready') return this.dispatch();
    if (msg.kind === 'load_failed' || !slot.busy || slot.busy.pending.job.id !== msg.id) return;
    const { pending, timer } = slot.busy;
    clearTimeout(timer);
    slot.busy = undefined;
    if (msg.kind === 'done') pending.resolve(msg.lines);
    else pending.reject(new Error(msg.error));
    this.dispatch();
  }

  /** A dead worker fails its job and is replaced (unless the pool is closing). */
  private onCrash(slot: Slot, err: Error): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    if (slot.busy) {
      clearTimeout(slot.busy.timer);
      slot.busy.pending.reject(err);
      slot.busy = undefined;
    }
    if (this.closed) return;
    this.slots[index] = this.spawn();
    void slot.worker.terminate();
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

  private expire(slot: Slot): void {
    const index = this.slots.indexOf(slot);
    if (index < 0 || !slot.busy) return;
    const { pending } = slot.busy;
    slot.busy = undefined;
    this.slots[index] = this.spawn();
    void slot.worker.terminate();
    pending.reject(new OcrTimeoutError(`OCR took longer than ${this.timeoutMs} ms (ocr.timeoutMs); worker restarted`));
    this.dispatch();
  }

  run(png: Uint8Array, settings: RunSettings): Promise<RawLine[]> {
    if (this.closed) return Promise.reject(new Error('OCR worker pool is closed'));
    return new Promise<RawLine[]>((resolve, reject) => {
      // A copy: the caller keeps its buffer (PreparedImage.png may be reused by other stages).
      this.queue.push({ job: { id: this.nextId++, png: new Uint8Array(png), settings }, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const p of this.queue.splice(0)) p.reject(new Error('OCR worker pool closed'));
    const slots = this.slots.splice(0);
    for (const s of slots) {
      if (s.busy) {
        clearTimeout(s.busy.timer);
        s.busy.pending.reject(new Error('OCR worker pool closed'));
      }
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
