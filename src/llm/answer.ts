// What every recognizer that gets entity names from a model does with them (llm, vlm, recorded):
// map the model's labels onto the configured types, then align the names onto the inputs. One
// implementation, so a replayed recording gives exactly what the live model's answer gave.
import type { RecognizerInput, RecognizerOutput } from '../core/stages.ts';
import type { Warning } from '../core/types.ts';
import { alignEntities, type AlignSource, type TypedName } from './align.ts';
import type { LabelMapper } from './labels.ts';
import { parseEntityAnswer, type Proposal } from './parse.ts';

export type Warn = (code: string, message: string) => void;

export function warningCollector(): { warnings: Warning[]; warn: Warn } {
  const warnings: Warning[] = [];
  return { warnings, warn: (code, message) => warnings.push({ code, message, stage: 'recognize' }) };
}

/** The proposals of a model's raw answer (lenient parsing); oddities become warnings. */
export function proposalsOfAnswer(
  content: string,
  finishReason: string | null,
  labels: LabelMapper,
  who: string,
  maxTokens: number,
  warn: Warn,
): Proposal[] {
  const parsed = parseEntityAnswer(content, finishReason, (label) => labels.map(label) !== undefined);
  for (const note of parsed.notes) warn(note.code, `${who}: ${note.message}`);
  if (finishReason === 'length' && !parsed.notes.some((n) => n.code === 'llm.truncated')) {
    warn('llm.truncated', `${who}: answer was cut at max_tokens (${maxTokens})`);
  }
  return parsed.proposals;
}

/** Proposals whose label names a configured type, typed; the rest are counted and reported. */
export function typedNames(
  proposals: readonly Proposal[],
  labels: LabelMapper,
  entityTypes: readonly string[],
  who: string,
  warn: Warn,
): { typed: TypedName[]; untyped: number } {
  const typed: TypedName[] = [];
  const unknownLabels = new Set<string>();
  for (const p of proposals) {
    const type = labels.map(p.label);
    if (type) typed.push({ text: p.text, type });
    else unknownLabels.add(p.label);
  }
  const untyped = proposals.length - typed.length;
  if (untyped) {
    warn(
      'llm.unknown_type',
      `${who}: ${untyped} entities had types outside ${entityTypes.join('/')}: ${[...unknownLabels].slice(0, 5).join(', ')}`,
    );
  }
  return { typed, untyped };
}

/** Typed names aligned onto the message text, its OCR lines and its captions. */
export function alignNames(
  typed: TypedName[],
  input: RecognizerInput,
  backend: string,
  who: string,
  warn: Warn,
  alreadyDropped = 0,
): Omit<RecognizerOutput, 'warnings'> {
  const sources: AlignSource[] = [
    { source: 'text', text: input.text },
    ...input.ocr.map((l, i) => ({ source: 'ocr' as const, text: l.text, ocrLine: i })),
    ...input.captions.map((c, i) => ({ source: 'caption' as const, text: c.text, caption: i })),
  ];
  const aligned = alignEntities(typed, sources, backend);
  if (aligned.unmatched.length) {
    const sample = aligned.unmatched
      .slice(0, 5)
      .map((n) => `"${n.text}"`)
      .join(', ');
    warn('llm.entity_not_in_input', `${who}: ${aligned.unmatched.length} entities occur in no input and were dropped: ${sample}`);
  }
  if (aligned.overlapping.length) {
    const sample = aligned.overlapping
      .slice(0, 5)
      .map((n) => `"${n.text}"`)
      .join(', ');
    warn(
      'llm.entity_overlap',
      `${who}: ${aligned.overlapping.length} entities only occur inside other entities and were dropped: ${sample}`,
    );
  }
  return { entities: aligned.entities, dropped: alreadyDropped + aligned.unmatched.length + aligned.overlapping.length };
}
