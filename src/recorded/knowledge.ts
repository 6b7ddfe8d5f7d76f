// KnowledgeSource backend `recorded`: knowledge text recorded earlier (the PGIM files released
// with the paper, or JSONL {"id", "text"} as `record:` on the llm knowledge source writes it).
import { basename } from 'node:path';
import type { KnowledgeSource, RecognizerInput } from '../core/stages.ts';
import type { Recording } from './recording.ts';

export class RecordedKnowledgeError extends Error {
  override readonly name = 'RecordedKnowledgeError';
}

export class RecordedKnowledge implements KnowledgeSource {
  readonly name = 'recorded';
  readonly modelId: string;
  /** A file lookup: caching it in the store would only copy the file there. */
  readonly cachesItself = true;

  constructor(private readonly recording: Recording) {
    this.modelId = `recorded:${basename(recording.file)}`;
  }

  /** Throws for a post the recording lacks: the engine reports it (knowledge.failed) and tags without knowledge. */
  async knowledge(batch: RecognizerInput[]): Promise<(string | null)[]> {
    return batch.map((input) => {
      const answer = this.recording.lookup(input);
      if (!answer)
        throw new RecordedKnowledgeError(`${basename(this.recording.file)} has no recorded knowledge for post ${input.id ?? '(no id)'}`);
      if (answer.text !== undefined) return answer.text;
      const list = answer.entities ?? [];
      return list.length ? `Named entities: ${list.map((e, i) => `${i + 1}. ${e.text} (${e.label})`).join(' ')}` : 'Named entities: none';
    });
  }
}
