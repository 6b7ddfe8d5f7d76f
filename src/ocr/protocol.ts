// Messages between the OCR backend and its worker threads.
import type { ModelFiles, PipelineTuning, RawLine, RunSettings } from './pipeline.ts';

export interface WorkerInit {
  files: ModelFiles;
  intraOpThreads: number;
  tuning: PipelineTuning;
}

export interface OcrJob {
  id: number;
  png: Uint8Array;
  settings: RunSettings;
  /**
   * One Int32 over a SharedArrayBuffer: the pool stores 1 when the job is no longer wanted. The
   * worker reads it between pipeline steps; shared memory, because a message posted to the worker
   * would wait behind the ONNX call that blocks its thread.
   */
  stop: Int32Array;
}

export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'load_failed'; error: string }
  | { kind: 'done'; id: number; lines: RawLine[]; ms: number }
  | { kind: 'failed'; id: number; error: string }
  /** The job was stopped before `step` because its stop flag was set. */
  | { kind: 'stopped'; id: number; step: string; ms: number };
