// Fine-tuning records for XTuner (InternLM), one per post, in one of its two single-turn shapes:
// - `messages` (the plan's format): `{"messages": [{"role": "system"|"user"|"assistant", "content"}]}`,
//   loaded with `dataset_map_fn=openai_map_fn` (checked against xtuner/dataset/map_fns/
//   dataset_map_fns/openai_map_fn.py);
// - `conversation`: `{"conversation": [{"system", "input", "output"}]}`, XTuner's internal format,
//   loaded with `dataset_map_fn=None` (xtuner/dataset/map_fns/template_map_fn.py reads it as is).
// The default prompt is the versioned `mner-sft` template (src/finetune/template.ts), which the
// `llm` recognizer renders the same way when `recognizer.llm.template` names it, so a model tuned
// on these records is served exactly the prompt it was trained on.
import type { KnowledgeProblem } from './knowledge.ts';
import { bioViolationPositions, mapTagTypes, type TypeMap } from './bio.ts';
import { conllevalChunks } from './chunks.ts';
import type { Post } from './types.ts';
import type { RecognizerInput } from '../core/stages.ts';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { buildRecognizerMessages } from '../llm/recognizer-prompt.ts';
import { buildKnowledgeMessages } from '../llm/knowledge.ts';
import { formatAnswer, renderPrompt, type TemplateExample, type TemplateLanguage, type TemplateSettings } from '../finetune/template.ts';

export type ExportTask = 'ner' | 'knowledge';
/**
 * `sft`: the versioned fine-tuning template (English or Chinese); `recognizer`: the llm backends'
 * generic zero-shot prompts; `plain`: post text, an `Image:` line, a bare JSON list.
 */
export type PromptStyle = 'sft' | 'recognizer' | 'plain';
export type RecordFormat = 'messages' | 'conversation';

/** What the `sft` prompt needs besides the post: settings, language and the types' names. */
export interface SftPrompt {
  settings: TemplateSettings;
  lang: TemplateLanguage;
  names: ReadonlyMap<string, string>;
  /** Similar examples per post, in post order (retrieved beforehand: retrieval may be async). */
  examples?: readonly (readonly TemplateExample[])[];
}

export interface XtunerTurn {
  system?: string;
  input: string;
  output: string;
}

export interface XtunerRecord {
  conversation: XtunerTurn[];
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface MessagesRecord {
  messages: ChatMessage[];
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
  /** Needed with prompt `sft`. */
  sft?: SftPrompt;
  /** OCR lines per post id (from a real OCR run over the post's images); every post must have an entry. */
  ocr?: ReadonlyMap<string, readonly string[]>;
  /** Why a post has no OCR entry (no image found, image unreadable), by post id. */
  ocrProblems?: ReadonlyMap<string, string>;
  /** Image files per post id, for records that carry the image itself (LLaVA): a post without one is a problem. */
  images?: ReadonlyMap<string, readonly string[]>;
  /** Where the images were looked for, for the problem text. */
  imageDir?: string;
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
  constructor(
    readonly types: Map<string, string[]>,
    entityTypes: readonly string[],
  ) {
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

/** Gold entities of a post (conlleval chunks, types mapped), and the same listed once per text and type. */
export function goldEntities(post: Post, typeMap: TypeMap): { all: GoldEntity[]; unique: GoldEntity[] } {
  const chunks = conllevalChunks(mapTagTypes(post.tags, typeMap));
  const joiner = isCharacterTokenized(post) ? '' : ' ';
  const all = chunks.map((c) => ({ text: post.tokens.slice(c.start, c.end).join(joiner), type: c.type }));
  const seen = new Set<string>();
  const unique = all.filter((g) => {
    const key = `${g.type}\u0000${g.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { all, unique };
}

/** The language of a whole split: Chinese when most posts are character-tokenized or CJK. */
export function datasetLanguage(posts: readonly Post[]): TemplateLanguage {
  const zh = posts.filter((p) => isCharacterTokenized(p) || CJK.test(p.tokens.join(''))).length;
  return zh * 2 > posts.length ? 'zh' : 'en';
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
  post: Post,
  index: number,
  entities: GoldEntity[],
  caption: string | undefined,
  knowledge: string | undefined,
  opts: XtunerExportOptions,
): XtunerTurn {
  const text = postText(post);
  if (opts.prompt === 'sft' && opts.task === 'ner') {
    const sft = opts.sft;
    if (!sft) throw new Error('prompt style sft needs the template settings (opts.sft)');
    const rendered = renderPrompt(
      {
        sentence: text,
        captions: caption === undefined ? [] : [caption],
        ocr: opts.ocr?.get(post.id) ?? [],
        ...(knowledge === undefined ? {} : { knowledge }),
        examples: sft.examples?.[index] ?? [],
      },
      sft.lang,
      sft.settings,
      sft.names,
    );
    const system = opts.system ?? rendered.system;
    return { ...(system === undefined ? {} : { system }), input: rendered.user, output: formatAnswer(entities, sft.names) };
  }
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
    posts: posts.length,
    written: 0,
    entities: 0,
    entitiesPerType: {},
    repeatsMerged: 0,
    bioViolations: 0,
    postsWithViolations: 0,
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
    const { all: gold, unique: entities } = goldEntities(post, opts.typeMap);
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
    if (opts.ocr && !opts.ocr.has(post.id)) missing.push(opts.ocrProblems?.get(post.id) ?? 'no OCR text (no image found)');
    if (opts.images) {
      if (!opts.images.has(post.id))
        missing.push(`no image in ${opts.imageDir ?? 'the image folder'} (looked for ${post.id}.<ext> and ${post.id}_*.<ext>)`);
      if (postText(post).includes('<image>'))
        missing.push('the post text contains the literal <image> token, which LLaVA records reserve for the image');
    }
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
    const violations = bioViolationPositions(tags).length;
    summary.bioViolations += violations;
    if (violations > 0) summary.postsWithViolations++;
    summary.entities += gold.length;
    summary.repeatsMerged += gold.length - entities.length;
    for (const g of gold) summary.entitiesPerType[g.type] = (summary.entitiesPerType[g.type] ?? 0) + 1;
    records.push({ conversation: [turnFor(post, index, entities, caption, knowledge, opts)] });
    recordIds.push(post.id);
  });
  if (unknownTypes.size > 0) throw new UnknownEntityTypeError(unknownTypes, opts.entityTypes);
  summary.written = records.length;
  problems.sort((a, b) => a.index - b.index || (a.id === null ? 1 : 0) - (b.id === null ? 1 : 0));
  return { records, recordIds, problems, summary };
}

/** The same single turn as openai_map_fn input: system (when there is one), user, assistant. */
export function toMessagesRecord(record: XtunerRecord): MessagesRecord {
  const messages: ChatMessage[] = [];
  for (const turn of record.conversation) {
    if (turn.system !== undefined) messages.push({ role: 'system', content: turn.system });
    messages.push({ role: 'user', content: turn.input }, { role: 'assistant', content: turn.output });
  }
  return { messages };
}

/** JSONL, one record a line; JSON.stringify leaves non-ASCII as is, so CJK stays readable UTF-8. */
export function formatXtunerJsonl(records: readonly XtunerRecord[], format: RecordFormat = 'conversation'): string {
  return records.map((r) => JSON.stringify(format === 'messages' ? toMessagesRecord(r) : r) + '\n').join('');
}
