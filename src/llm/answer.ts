// What every recognizer that gets entity names from a model does with them (llm, vlm, recorded):
// map the model's labels onto the configured types, then align the names onto the inputs. One
// implementation, so a replayed recording gives exactly what the live model's answer gave.
import type { RecognizerInput, RecognizerOutput } from '../core/stages.ts';
import type { Entity, Warning } from '../core/types.ts';
import { buildViews, entityFromView, type ViewOptions } from '../recognizers/views.ts';
import { alignEntitiesIndexed, inReadingOrder, type TypedName } from './align.ts';
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

// Names are looked for first in what the local tagger reads (chat markup normalised, so "Taylor
// Swift" is found in "#TaylorSwift"; OCR lines read block by block, so a name wrapped over two lines
// is one entity), then, for names found nowhere there, in the raw inputs ("#TaylorSwift" itself).
const READ: ViewOptions = { markup: true, blocks: true, tagOcr: true, tagCaptions: true };
const RAW: ViewOptions = { markup: false, blocks: true, tagOcr: true, tagCaptions: true };

interface ViewAlignment {
  entities: Entity[];
  unmatched: TypedName[];
  overlapping: TypedName[];
  /** Matches that map back to no whole unit of the input (inside a removed custom emoji, say). */
  unmappable: number;
}

function alignOnViews(typed: TypedName[], input: RecognizerInput, options: ViewOptions, backend: string): ViewAlignment {
  const views = buildViews(input, options);
  const sources = views.map((v) => ({ source: v.source, text: v.mapped.view }));
  const { found, unmatched, overlapping } = alignEntitiesIndexed(typed, sources, backend);
  const entities: Entity[] = [];
  let unmappable = 0;
  for (const { entity, source } of found) {
    const mapped = entityFromView(views[source]!, entity.start, entity.end, entity.type, backend, input.ocr);
    if (mapped) entities.push(mapped);
    else unmappable++;
  }
  return { entities, unmatched, overlapping, unmappable };
}

/** Raw ranges an entity covers: [source key, start, end] (one per line for OCR). */
function ranges(e: Entity): [string, number, number][] {
  if (e.source === 'ocr')
    return (e.spans ?? [{ ocrLine: e.ocrLine ?? 0, start: e.start, end: e.end }]).map((sp) => [`ocr:${sp.ocrLine}`, sp.start, sp.end]);
  return [[e.source === 'caption' ? `caption:${e.caption ?? 0}` : 'text', e.start, e.end]];
}

function overlapsAny(e: Entity, kept: readonly Entity[]): boolean {
  const mine = ranges(e);
  return kept.some((k) => ranges(k).some(([key, s, t]) => mine.some(([key2, s2, t2]) => key === key2 && s < t2 && s2 < t)));
}

/** Typed names aligned onto the message text, its OCR text blocks and its captions. */
export function alignNames(
  typed: TypedName[],
  input: RecognizerInput,
  backend: string,
  who: string,
  warn: Warn,
  alreadyDropped = 0,
): Omit<RecognizerOutput, 'warnings'> {
  const read = alignOnViews(typed, input, READ, backend);
  const raw = read.unmatched.length ? alignOnViews(read.unmatched, input, RAW, backend) : undefined;
  const entities = [...read.entities];
  const overlapping = [...read.overlapping, ...(raw?.overlapping ?? [])];
  for (const e of raw?.entities ?? []) {
    if (overlapsAny(e, read.entities)) overlapping.push({ text: e.text, type: e.type });
    else entities.push(e);
  }
  const unmatched = raw?.unmatched ?? read.unmatched;
  const unmappable = read.unmappable + (raw?.unmappable ?? 0);
  if (unmatched.length) {
    const sample = unmatched
      .slice(0, 5)
      .map((n) => `"${n.text}"`)
      .join(', ');
    warn('llm.entity_not_in_input', `${who}: ${unmatched.length} entities occur in no input and were dropped: ${sample}`);
  }
  if (overlapping.length) {
    const sample = overlapping
      .slice(0, 5)
      .map((n) => `"${n.text}"`)
      .join(', ');
    warn('llm.entity_overlap', `${who}: ${overlapping.length} entities only occur inside other entities and were dropped: ${sample}`);
  }
  if (unmappable) {
    warn('llm.entity_unmappable', `${who}: ${unmappable} entities matched only inside chat markup that is not text and were dropped`);
  }
  entities.sort(inReadingOrder);
  return { entities, dropped: alreadyDropped + unmatched.length + overlapping.length + unmappable };
}
