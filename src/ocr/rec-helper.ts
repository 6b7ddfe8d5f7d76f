// A second recognizer in its own thread, so an image's line crops run on two cores at once
// (PipelineTuning.recSplit). onnxruntime-node's session.run blocks the thread that calls it
// (two runs started together on one thread took as long as one after the other: 476 vs 315 ms
// for the bench's 10 crops), so the second half of the crops needs a thread of its own. It holds
// one recognizer session (1 intra-op thread) and answers requests in order. It gets the decoded
// image (shared memory) and the quads of its share, and cuts, recognizes and decodes them itself:
// done in the pipeline's thread, that work (~2 ms a line) waited before and after the runs.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';
import { loadDictionary, readRun, type LineRun, type ReadLine } from './line-runs.ts';

export interface RecHelperInit {
  recognition: string;
  dictionary: string;
  options: ort.InferenceSession.SessionOptions;
  /** Int32 flag the caller sets to 1 when the job is no longer wanted: the runs left are skipped. */
  stopFlag: SharedArrayBuffer;
}

export interface RecHelperRequest {
  id: number;
  /** Interleaved RGB over a SharedArrayBuffer: the pipeline's thread reads the same pixels. */
  image: { data: Uint8Array; width: number; height: number };
  runs: LineRun[];
}

export type RecHelperReply =
  | { kind: 'ready' }
  | { kind: 'load_failed'; error: string }
  /** `lines[k]`: the lines of runs[k], for the runs done (all of them unless stopped). */
  | { kind: 'done'; id: number; lines: ReadLine[][]; stopped?: boolean }
  | { kind: 'failed'; id: number; error: string };

const port = parentPort;
if (!port) throw new Error('src/ocr/rec-helper.ts must run as a worker thread');
const init = workerData as RecHelperInit;
const stopFlag = new Int32Array(init.stopFlag);
const send = (reply: RecHelperReply, transfer: ArrayBuffer[] = []): void => port!.postMessage(reply, transfer);

try {
  const session = await ort.InferenceSession.create(init.recognition, init.options);
  const dictionary = loadDictionary(init.dictionary);
  port.on('message', (req: RecHelperRequest) => {
    void (async () => {
      try {
        const image = { ...req.image, channels: 3 as const };
        const lines: ReadLine[][] = [];
        let stopped = false;
        for (const run of req.runs) {
          // Checked between runs only: a run inside onnxruntime cannot be interrupted.
          if (Atomics.load(stopFlag, 0) === 1) {
            stopped = true;
            break;
          }
          lines.push(await readRun(session, image, run, dictionary));
        }
        // The crops were made here and are not used here again: moved, not copied.
        send(
          { kind: 'done', id: req.id, lines, stopped },
          lines.flat().flatMap((l) => [l.crop.data.buffer as ArrayBuffer, l.crop.rgb.buffer as ArrayBuffer]),
        );
      } catch (err) {
        send({ kind: 'failed', id: req.id, error: (err as Error)?.message ?? String(err) });
      }
    })();
  });
  send({ kind: 'ready' });
} catch (err) {
  send({ kind: 'load_failed', error: (err as Error)?.message ?? String(err) });
}
