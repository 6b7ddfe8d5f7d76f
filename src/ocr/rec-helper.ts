// A second recognizer in its own thread, so an image's line crops run on two cores at once
// (PipelineTuning.recSplit). onnxruntime-node's session.run blocks the thread that calls it
// (two runs started together on one thread took as long as one after the other: 476 vs 315 ms
// for the bench's 10 crops), so the second half of the crops needs a thread of its own. It holds
// one recognizer session (1 intra-op thread) and answers runs in order.
import { parentPort, workerData } from 'node:worker_threads';
import * as ort from 'onnxruntime-node';

export interface RecHelperInit {
  recognition: string;
  options: ort.InferenceSession.SessionOptions;
  /** Int32 flag the caller sets to 1 when the job is no longer wanted: the runs left are skipped. */
  stopFlag: SharedArrayBuffer;
}

export interface RecHelperRequest {
  id: number;
  inputs: { data: Float32Array; dims: number[] }[];
}

export type RecHelperReply =
  | { kind: 'ready' }
  | { kind: 'load_failed'; error: string }
  | { kind: 'done'; id: number; outputs: { data: Float32Array; dims: number[] }[]; stopped?: boolean }
  | { kind: 'failed'; id: number; error: string };

const port = parentPort;
if (!port) throw new Error('src/ocr/rec-helper.ts must run as a worker thread');
const init = workerData as RecHelperInit;
const stopFlag = new Int32Array(init.stopFlag);
const send = (reply: RecHelperReply, transfer: ArrayBuffer[] = []): void => port!.postMessage(reply, transfer);

try {
  const session = await ort.InferenceSession.create(init.recognition, init.options);
  const input = session.inputNames[0]!;
  const output = session.outputNames[0]!;
  port.on('message', (req: RecHelperRequest) => {
    void (async () => {
      try {
        const outputs: { data: Float32Array; dims: number[] }[] = [];
        let stopped = false;
        for (const x of req.inputs) {
          // Checked between runs only: a run inside onnxruntime cannot be interrupted.
          if (Atomics.load(stopFlag, 0) === 1) {
            stopped = true;
            break;
          }
          const out = (await session.run({ [input]: new ort.Tensor('float32', x.data, x.dims) }))[output]!;
          // A copy the message can transfer (the tensor's own buffer belongs to onnxruntime).
          outputs.push({ data: (out.data as Float32Array).slice(), dims: [...out.dims] });
        }
        send(
          { kind: 'done', id: req.id, outputs, stopped },
          outputs.map((o) => o.data.buffer as ArrayBuffer),
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
