// `record: FILE` on a live LLM/VLM backend: each answer is appended as one JSONL line in the
// format the `recorded` backends read, so a run with a real model can be replayed offline.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

export type RecordedLine = { id: string; entities: Array<{ text: string; type: string }> } | { id: string; text: string | null };

export class RecordingWriter {
  constructor(readonly file: string) {
    mkdirSync(dirname(file), { recursive: true });
  }

  /** Appends synchronously: lines of concurrent answers never interleave, and a crash loses at most the answer in flight. */
  write(line: RecordedLine): void {
    appendFileSync(this.file, JSON.stringify(line) + '\n', 'utf8');
  }
}
