// Tagger worker thread: loads one model once, then tags jobs one at a time (features, ONNX
// emissions and Viterbi all run here, off the service's event loop).
import { parentPort, workerData } from 'node:worker_threads';
import { Tagger, TaggerStopped } from './tagger.ts';
import type { TagJob, TaggerWorkerInit, TaggerWorkerReply } from './tagger-protocol.ts';

const port = parentPort;
if (!port) throw new Error('src/recognizers/local/tagger-worker.ts must run as a worker thread');
const init = workerData as TaggerWorkerInit;

function send(reply: TaggerWorkerReply): void {
  port!.postMessage(reply);
}

try {
  const tagger = await Tagger.load(init.dir, { intraOpNumThreads: init.intraOpNumThreads });
  port.on('message', (job: TagJob) => {
    tagger
      .tag(job.sequences, job.knowledge, job.captions, () => Atomics.load(job.stop, 0) !== 0)
      .then(
        (tags) => send({ kind: 'done', id: job.id, tags }),
        (err: unknown) =>
          send(
            err instanceof TaggerStopped
              ? { kind: 'stopped', id: job.id }
              : { kind: 'failed', id: job.id, error: (err as Error)?.message ?? String(err) },
          ),
      );
  });
  send({ kind: 'ready' });
} catch (err) {
  send({ kind: 'load_failed', error: (err as Error)?.message ?? String(err) });
}
