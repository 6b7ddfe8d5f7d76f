// Messages between the local recognizer's tagger pool and its worker threads.

export interface TaggerWorkerInit {
  /** Model directory (models/ner-en, models/ner-zh). */
  dir: string;
  intraOpNumThreads: number;
}

export interface TagJob {
  id: number;
  sequences: string[][];
  knowledge: (string | null)[];
  captions: (string | null)[];
  /**
   * One Int32 over a SharedArrayBuffer: the pool stores 1 when the job is no longer wanted. The
   * worker reads it before each ONNX run; shared memory, because a message posted to the worker
   * would wait behind the ONNX call that blocks its thread.
   */
  stop: Int32Array;
}

export type TaggerWorkerReply =
  | { kind: 'ready' }
  | { kind: 'load_failed'; error: string }
  | { kind: 'done'; id: number; tags: string[][] }
  | { kind: 'failed'; id: number; error: string }
  /** The job's stop flag was set; the worker stopped before its next ONNX run. */
  | { kind: 'stopped'; id: number };
