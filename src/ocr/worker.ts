// OCR worker thread: loads the models once, then answers jobs one at a time.
import { parentPort, workerData } from 'node:worker_threads';
import { OcrStopped, PpOcrPipeline } from './pipeline.ts';
import type { OcrJob, WorkerInit, WorkerReply } from './protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/ocr/worker.ts must run as a worker thread');
const init = workerData as WorkerInit;

function send(reply: WorkerReply): void {
  port!.postMessage(reply);
}

try {
  const pipeline = await PpOcrPipeline.load(init.files, init.intraOpThreads, init.tuning);
  port.on('message', (job: OcrJob) => {
    const started = performance.now();
    pipeline
      .run(job.png, job.settings, () => Atomics.load(job.stop, 0) !== 0)
      .then(
        (lines) => send({ kind: 'done', id: job.id, lines, ms: performance.now() - started }),
        (err: unknown) =>
          send(
            err instanceof OcrStopped
              ? { kind: 'stopped', id: job.id, step: err.step, ms: performance.now() - started }
              : { kind: 'failed', id: job.id, error: (err as Error)?.message ?? String(err) },
          ),
      );
  });
  send({ kind: 'ready' });
} catch (err) {
  send({ kind: 'load_failed', error: (err as Error)?.message ?? String(err) });
}
