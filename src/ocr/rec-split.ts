// The caller's side of src/ocr/rec-helper.ts: starts the helper thread, sends it the image and
// the runs of its share, and hands back the lines it read. Hand-written on worker_threads rather than a pool
// library: one long-lived thread per OCR worker, answering in order, is all it has to do.
import type { Worker } from 'node:worker_threads';
import type * as ort from 'onnxruntime-node';
import { startModuleWorker } from '../runtime/module-worker.ts';
import type { LineRun, ReadLine } from './line-runs.ts';
import type { RecHelperInit, RecHelperReply, RecHelperRequest } from './rec-helper.ts';

export interface RecHelperResult {
  /** `lines[k]`: the lines of the k-th run sent. */
  lines: ReadLine[][];
  /** stop() was called before every run was done: `lines` holds only the runs done before it. */
  stopped: boolean;
}

/** Interleaved RGB in shared memory, so the helper reads the pixels without a copy per request. */
export interface SharedRgb {
  data: Uint8Array;
  width: number;
  height: number;
}

export class RecHelperClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (o: RecHelperResult) => void; reject: (e: Error) => void }>();
  private failure: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly stopFlag: Int32Array,
  ) {
    worker.on('message', (msg: RecHelperReply) => {
      if (msg.kind !== 'done' && msg.kind !== 'failed') return;
      const w = this.waiting.get(msg.id);
      this.waiting.delete(msg.id);
      // Held (ref'd) only while a run is out, so an idle helper never keeps the process alive.
      if (this.waiting.size === 0) worker.unref();
      if (msg.kind === 'done') w?.resolve({ lines: msg.lines, stopped: msg.stopped === true });
      else w?.reject(new Error(`recognizer helper: ${msg.error}`));
    });
    const fail = (err: Error): void => {
      this.failure = err;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', (err) => fail(new Error(`recognizer helper crashed: ${err.message}`)));
    worker.on('exit', (code) => fail(new Error(`recognizer helper exited (code ${code})`)));
  }

  static start(recognition: string, dictionary: string, options: ort.InferenceSession.SessionOptions): Promise<RecHelperClient> {
    const stopFlag = new SharedArrayBuffer(4);
    const init: RecHelperInit = { recognition, dictionary, options, stopFlag };
    const worker = startModuleWorker('./rec-helper.ts', import.meta.url, init);
    // Held until it has loaded: the caller is waiting on it.
    worker.ref();
    return new Promise((resolve, reject) => {
      const first = (msg: RecHelperReply): void => {
        worker.off('message', first);
        worker.unref();
        if (msg.kind === 'ready') resolve(new RecHelperClient(worker, new Int32Array(stopFlag)));
        else if (msg.kind === 'load_failed') {
          void worker.terminate();
          reject(new Error(`recognizer helper could not load ${recognition}: ${msg.error}`));
        }
      };
      worker.on('message', first);
      worker.once('error', reject);
    });
  }

  /** Reads the runs one after another in the helper thread; `image.data` must be over a SharedArrayBuffer. */
  run(image: SharedRgb, runs: LineRun[]): Promise<RecHelperResult> {
    if (this.failure) return Promise.reject(this.failure);
    Atomics.store(this.stopFlag, 0, 0);
    const id = this.nextId++;
    const req: RecHelperRequest = { id, image, runs };
    return new Promise((resolve, reject) => {
      if (this.waiting.size === 0) this.worker.ref();
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage(req);
    });
  }

  /** The runs of the request in flight not yet started are skipped (one job at a time per helper). */
  stop(): void {
    Atomics.store(this.stopFlag, 0, 1);
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    this.failure = new Error('recognizer helper closed');
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    await this.worker.terminate();
  }
}
