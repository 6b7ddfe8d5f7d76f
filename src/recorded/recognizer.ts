// Recognizer backend `recorded`: replays entity lists recorded earlier (a live llm/vlm run with
// `record:`, or the entity list at the head of PGIM's recorded knowledge) and aligns them exactly
// as the `llm` recognizer aligns a live answer. A post with no recorded answer gets no entities
// and a `recorded.missing` warning: it is scored as "no answer", never skipped or guessed.
import { basename } from 'node:path';
import type { Recognizer, RecognizerInput, RecognizerOutput } from '../core/stages.ts';
import { parseKnowledgeEntities } from '../data/index.ts';
import { alignNames, proposalsOfAnswer, typedNames, warningCollector } from '../llm/answer.ts';
import { LabelMapper } from '../llm/labels.ts';
import type { Proposal } from '../llm/parse.ts';
import type { RecordedAnswer, Recording } from './recording.ts';

const WHO = 'recorded recognizer';

export class RecordedRecognizer implements Recognizer {
  readonly name = 'recorded';
  private readonly labels: LabelMapper;

  constructor(
    private readonly recording: Recording,
    private readonly entityTypes: string[],
    typeAliases: Record<string, string>,
  ) {
    this.labels = new LabelMapper(entityTypes, typeAliases);
  }

  async recognize(batch: RecognizerInput[]): Promise<RecognizerOutput[]> {
    return batch.map((input) => this.one(input));
  }

  private one(input: RecognizerInput): RecognizerOutput {
    const { warnings, warn } = warningCollector();
    const answer = this.recording.lookup(input);
    if (!answer) {
      warn(
        'recorded.missing',
        `${WHO}: ${basename(this.recording.file)} has no answer for post ${input.id ?? '(no id)'}; scored as no entities`,
      );
      return { entities: [], dropped: 0, warnings };
    }
    const { typed, untyped } = typedNames(this.proposals(answer, warn), this.labels, this.entityTypes, WHO, warn);
    return { ...alignNames(typed, input, this.name, WHO, warn, untyped), warnings };
  }

  private proposals(answer: RecordedAnswer, warn: (code: string, message: string) => void): Proposal[] {
    if (answer.entities) return answer.entities;
    const text = answer.text ?? '';
    // PGIM's "Named entities: 1. X (type) ... Reasoning: ..." has its own reader; anything else is read like a live answer.
    if (/named\s+entit(?:y|ies)\s*:/i.test(text))
      return parseKnowledgeEntities(text).entities.map((e) => ({ text: e.name, label: e.type }));
    return proposalsOfAnswer(text, null, this.labels, WHO, Number.POSITIVE_INFINITY, warn);
  }
}
