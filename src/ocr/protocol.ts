// Messages between the OCR backend and its worker threads.
import type { ModelFiles, RawLine, RunSettings } from './pipeline.ts';

export interface WorkerInit {
  files: ModelFiles;
  intraOpThreads: number;
}

export interface OcrJob {
  id: number;
  png: Uint8Array;
  settings: RunSettings;
}

export type WorkerReply =
  | { kind: 'ready' }
  | { kind: 'load_failed'; error: string }
  | { kind: 'done'; id: number; lines: RawLine[]; ms: number }
  | { kind: 'failed'; id: number; error: string };
