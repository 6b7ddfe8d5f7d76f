// Fine-tuning records for XTuner (InternLM): one `{"conversation": [{"system", "input", "output"}]}`
// object per post, XTuner's own single-turn format, so configs can load the file with
// `load_dataset('json', data_files=...)` and `dataset_map_fn=None`.
// By default the system and input text are exactly what the `llm` recognizer (or the `llm`
// knowledge source) sends at inference time, so a model tuned on them sees the same prompt
// shape it is later served with, and answers in the JSON the recognizer parses.
import type { KnowledgeProblem } from './knowledge.ts';
import { bioViolationPositions, mapTagTypes, type TypeMap } from './bio.ts';
import { conllevalChunks } from './chunks.ts';
import type { Post } from './types.ts';
import type { RecognizerInput } from '../core/stages.ts';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { buildRecognizerMessages } from '../llm/recognizer-prompt.ts';
import { buildKnowledgeMessages } from '../llm/knowledge.ts';

export type ExportTask = 'ner' | 'knowledge';
/** `recognizer`: the llm backends' own prompts; `plain`: post text, an `Image:` line, a bare JSON list. */
export type PromptStyle = 'recognizer' | 'plain';

export interface XtunerTurn {
  system?: string;
  input: string;
  output: string;
}

export interface XtunerRecord {
  conversation: XtunerTurn[];
}

export interface XtunerExportOptions {
  task: ExportTask;
  prompt: PromptStyle;
  /** The entity types the recognizer is configured with; gold types must map onto them. */
  entityTypes: string[];
  typeMap: TypeMap;
  /** Image id -> caption; when given, every post must have one. */
  captions?: ReadonlyMap<string, string>;
  /** Knowledge text per post, in post order (null where none could be attached). */
  knowledge?: readonly (string | null)[];
  /** Problems found while attaching the knowledge file (missing items, token mismatches, surplus items). */
  knowledgeProblems?: readonly KnowledgeProblem[];
  /** Replaces the system prompt. */
  system?: string;
}

export interface ExportProblem {
  /** 0-based post index (item index for a surplus knowledge item). */
  index: number;
  /** Post id; null for a knowledge item that matches no post. */
  id: string | null;
  reason: string;
}

export interface XtunerExportSummary {
  posts: number;
  written: number;
  /** Gold entity chunks of the written records (before repeats are merged). */
  entities: number;
  entitiesPerType: Record<string, number>;
  /** Same text and type listed twice in one post: the recognizer prompt asks for each once. */
  repeatsMerged: number;
  /** I-/E- tags that continue no same-type chunk; conlleval reads each as the start of an entity. */
  bioViolations: number;
  postsWithViolations: number;
}

export interface XtunerExport {
  /** One per written post, in input order. */
  records: XtunerRecord[];
  /** Ids of the posts the records were built from (parallel to records). */
  recordIds: string[];
  /** Posts with a missing input, and knowledge items matching no post; their records are not built. */
  problems: ExportProblem[];
  summary: XtunerExportSummary;
}

/** Gold types outside the configured entity types: a usage problem, not a data one. */
export class UnknownEntityTypeError extends Error {
  constructor(readonly types: Map<string, string[]>, entityTypes: readonly string[]) {
    const list = [...types].map(([t, ids]) => `${t} (e.g. post ${ids.slice(0, 3).join(', ')})`).join('; ');
    super(`gold entity type(s) not among the entity types ${entityTypes.join(', ')}: ${list}; map them with --map-types FROM=TO`);
    this.name = 'UnknownEntityTypeError';
  }
}

const CJK = /[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]/u;

/** CMNER (and CMNER converted to JSONL/CoNLL) tokenizes by character: such text joins without spaces. */
export function isCharacterTokenized(post: Post): boolean {
  if (post.format === 'cmner') return true;
  if (post.format === 'twitter') return false;
  const cjk = post.tokens.filter((t) => CJK.test(t)).length;
  return post.tokens.every((t) => [...t].length === 1) && cjk * 2 >= post.tokens.length;
}

export function postText(post: Post): string {
  return post.tokens.join(isCharacterTokenized(post) ? '' : ' ');
}

export interface GoldEntity {
  text: string;
  type: string;
}

function messageText(message: ChatCompletionMessageParam | undefined): string {
  const content = message?.content;
  if (typeof content !== 'string') throw new Error('the llm prompt builder returned a message without text content');
  return content;
}

function recognizerInput(post: Post, text: string, caption: string | undefined, knowledge: string | undefined): RecognizerInput {
  return {
    text,
    language: isCharacterTokenized(post) || CJK.test(text) ? 'zh' : 'en',
    ocr: [],
    captions: caption === undefined ? [] : [{ image: 0, text: caption, backend: 'recorded' }],
    ...(knowledge === undefined ? {} : { knowledge }),
  };
}

function plainInput(text: string, caption: string | undefined, knowledge: string | undefined, task: ExportTask): string {
  const lines = [text];
  if (caption !== undefined) lines.push(`Image: ${caption}`);
  if (knowledge !== undefined && task === 'ner') lines.push(`Knowledge: ${knowledge}`);
  return lines.join('\n');
}

function turnFor(
  post: Post, entities: GoldEntity[], caption: string | undefined, knowledge: string | undefined, opts: XtunerExportOptions,
): XtunerTurn {
  const text = postText(post);
  const input = recognizerInput(post, text, caption, opts.task === 'ner' ? knowledge : undefined);
  let system: string;
  let user: string;
  let output: string;
  if (opts.task === 'knowledge') {
    // No few-shot examples: the tuned model is meant to need none.
    const messages = buildKnowledgeMessages(input, [], opts.entityTypes);
    system = messageText(messages[0]);
    user = opts.prompt === 'recognizer' ? messageText(messages[messages.length - 1]) : plainInput(text, caption, undefined, 'knowledge');
    output = knowledge ?? '';
  } else {
    const messages = buildRecognizerMessages(input, opts.entityTypes);
    system = messageText(messages[0]);
    user = opts.prompt === 'recognizer' ? messageText(messages[1]) : plainInput(text, caption, knowledge, 'ner');
    output = opts.prompt === 'recognizer' ? JSON.stringify({ entities }) : JSON.stringify(entities);
  }
  return { system: opts.system ?? system, input: user, output };
}

/** Builds every record it can; the caller decides whether problems allow writing them. */
export function buildXtunerExport(posts: readonly Post[], opts: XtunerExportOptions): XtunerExport {
  const problems: ExportProblem[] = [];
  const summary: XtunerExportSummary = {
    posts: posts.length, written: 0, entities: 0, entitiesPerType: {}, repeatsMerged: 0, bioViolations: 0, postsWithViolations: 0,
  };
  const knowledgeProblem = new Map<number, string>();
  for (const p of opts.knowledgeProblems ?? []) {
    if (p.id === null) problems.push({ index: p.index, id: null, reason: p.reason });
    else knowledgeProblem.set(p.index, p.reason);
  }
  const unknownTypes = new Map<string, string[]>();
  const records: XtunerRecord[] = [];
  const recordIds: string[] = [];
  posts.forEach((post, index) => {
    const tags = mapTagTypes(post.tags, opts.typeMap);
    const chunks = conllevalChunks(tags);
    const joiner = isCharacterTokenized(post) ? '' : ' ';
    const gold = chunks.map((c) => ({ text: post.tokens.slice(c.start, c.end).join(joiner), type: c.type }));
    for (const g of gold) {
      if (!opts.entityTypes.includes(g.type)) {
        const ids = unknownTypes.get(g.type) ?? [];
        if (!ids.includes(post.id)) ids.push(post.id);
        unknownTypes.set(g.type, ids);
      }
    }
    const missing: string[] = [];
    const caption = opts.captions?.get(post.id);
    if (opts.captions && caption === undefined) missing.push(`no caption for image '${post.id}'`);
    let knowledge: string | undefined;
    if (opts.knowledge) {
      const reason = knowledgeProblem.get(index);
      const text = opts.knowledge[index];
      if (reason !== undefined) missing.push(reason);
      else if (text === null || text === undefined) missing.push('no knowledge text');
      else knowledge = text;
    }
    if (missing.length > 0) {
      problems.push({ index, id: post.id, reason: missing.join('; ') });
      return;
    }
    const seen = new Set<string>();
    const entities = gold.filter((g) => {
      const key = `${g.type}\u0000${g.text}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const violations = bioViolationPositions(tags).length;
    summary.bioViolations += violations;
    if (violations > 0) summary.postsWithViolations++;
    summary.entities += gold.length;
    summary.repeatsMerged += gold.length - entities.length;
    for (const g of gold) summary.entitiesPerType[g.type] = (summary.entitiesPerType[g.type] ?? 0) + 1;
    records.push({ conversation: [turnFor(post, entities, caption, knowledge, opts)] });
    recordIds.push(post.id);
  });
  if (unknownTypes.size > 0) throw new UnknownEntityTypeError(unknownTypes, opts.entityTypes);
  summary.written = records.length;
  problems.sort((a, b) => a.index - b.index || (a.id === null ? 1 : 0) - (b.id === null ? 1 : 0));
  return { records, recordIds, problems, summary };
}

/** JSONL, one record a line; JSON.stringify leaves non-ASCII as is, so CJK stays readable UTF-8. */
export function formatXtunerJsonl(records: readonly XtunerRecord[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}
