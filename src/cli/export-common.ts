// What `ekmm export xtuner` and `ekmm export llava` share: the `mner-sft` template settings from
// the flags, similar examples per post, OCR over the post images, problem and summary printing.
import { rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { stringify } from 'yaml';
import type { EkmmConfig } from '../config/schema.ts';
import type { Post } from '../data/types.ts';
import type { TypeMap } from '../data/bio.ts';
import { datasetLanguage, postText, type ExportProblem, type SftPrompt, type XtunerExportSummary } from '../data/xtuner.ts';
import { LexicalRetriever, loadIndexRetriever, loadTemplateExamples, type ExampleRetriever } from '../finetune/examples.ts';
import { findPostImages } from '../finetune/post-images.ts';
import { ocrPostImages, type PostOcr } from '../finetune/ocr-run.ts';
import {
  SFT_TEMPLATE_ID,
  TemplateTypeError,
  templateSettings,
  typeNames,
  type TemplateExample,
  type TemplateLanguage,
  type TemplateSettings,
} from '../finetune/template.ts';
import { InputError, integerOption, requireInputFile, UsageError } from './args.ts';

export const TEMPLATE_OPTIONS = {
  lang: { type: 'string' },
  types: { type: 'string' },
  examples: { type: 'string' },
  'examples-file': { type: 'string' },
  'examples-index': { type: 'string' },
  ocr: { type: 'boolean' },
  images: { type: 'string' },
} as const;

export interface TemplateFlags {
  lang?: string;
  types?: string;
  examples?: string;
  'examples-file'?: string;
  'examples-index'?: string;
}

/** `--types PER=人物,LOC=地点`: the names the prompt gives the entity types. */
export function parseTypeNames(spec: string | undefined): Record<string, string> {
  if (!spec) return {};
  const out: Record<string, string> = {};
  for (const pair of spec.split(',')) {
    const [type, name, ...rest] = pair.split('=');
    if (!type?.trim() || !name?.trim() || rest.length > 0) throw new UsageError(`--types expects TYPE=NAME[,TYPE=NAME...], got '${pair}'`);
    out[type.trim()] = name.trim();
  }
  return out;
}

export interface PreparedTemplate {
  sft: SftPrompt;
  /** The settings to put under `recognizer.llm.template` to serve with this prompt. */
  settings: TemplateSettings;
}

/** Template settings, language, type names and similar examples for every post. */
export async function prepareTemplate(
  posts: readonly Post[],
  input: string,
  flags: TemplateFlags,
  parts: { caption: boolean; ocr: boolean; knowledge: boolean; system: boolean },
  config: Pick<EkmmConfig, 'entityTypes' | 'knowledge'>,
  typeMap: TypeMap,
  captions?: ReadonlyMap<string, string>,
): Promise<PreparedTemplate> {
  const { entityTypes } = config;
  const langFlag = flags.lang ?? 'auto';
  if (!['en', 'zh', 'auto'].includes(langFlag)) throw new UsageError(`--lang must be en, zh or auto, got '${langFlag}'`);
  const lang: TemplateLanguage = langFlag === 'auto' ? datasetLanguage(posts) : (langFlag as TemplateLanguage);
  const k = integerOption(flags.examples, '--examples', 0, 20) ?? 0;
  for (const flag of ['examples-file', 'examples-index'] as const) {
    if (flags[flag] !== undefined && k === 0)
      throw new UsageError(`--${flag} needs --examples K (how many similar examples each prompt shows)`);
  }
  if (flags['examples-file'] !== undefined && flags['examples-index'] !== undefined)
    throw new UsageError('--examples-file and --examples-index exclude each other');
  const examplesIndex = k > 0 ? flags['examples-index'] : undefined;
  const examplesFile = k > 0 && examplesIndex === undefined ? (flags['examples-file'] ?? input) : undefined;
  // The index's text and caption weights come from the config (knowledge.similar), as for the knowledge source.
  const examplesWeights =
    examplesIndex === undefined ? undefined : { text: config.knowledge.similar.text, caption: config.knowledge.similar.caption };
  const types = parseTypeNames(flags.types);
  let names: Map<string, string>;
  try {
    names = typeNames(entityTypes, lang, types);
  } catch (err) {
    if (err instanceof TemplateTypeError) throw new UsageError(err.message);
    throw err;
  }
  const settings = templateSettings({
    lang,
    system: parts.system,
    parts: { caption: parts.caption, ocr: parts.ocr, knowledge: parts.knowledge, examples: k },
    types,
    ...(examplesFile === undefined ? {} : { examplesFile }),
    ...(examplesIndex === undefined ? {} : { examplesIndex, examplesWeights }),
  });
  let examples: TemplateExample[][] | undefined;
  if (k > 0) {
    let retriever: ExampleRetriever;
    if (examplesIndex !== undefined) {
      try {
        retriever = loadIndexRetriever(await requireInputFile(examplesIndex, '--examples-index'), examplesWeights!, typeMap);
      } catch (err) {
        if (err instanceof InputError) throw err;
        throw new InputError(`--examples-index ${examplesIndex}: ${(err as Error).message}`);
      }
    } else retriever = new LexicalRetriever(await loadTemplateExamples(examplesFile!, typeMap), examplesFile);
    examples = [];
    for (const p of posts) {
      const caption = parts.caption ? captions?.get(p.id) : undefined;
      examples.push(await retriever.similar({ text: postText(p), ...(caption === undefined ? {} : { captions: [caption] }) }, k));
    }
  }
  return { sft: { settings, lang, names, ...(examples ? { examples } : {}) }, settings };
}

/** Images per post in `dir`, and OCR over them when asked (real ppocr, the service's backend). */
export async function postImagesAndOcr(
  posts: readonly Post[],
  dir: string,
  runOcr: boolean,
  config: EkmmConfig,
): Promise<{ images: Map<string, string[]>; ocr?: PostOcr }> {
  const images = await findPostImages(
    dir,
    posts.map((p) => p.id),
  );
  if (!runOcr) return { images };
  const started = Date.now();
  const ocr = await ocrPostImages(dir, images, config, (done, total) => {
    if (done % 25 === 0 || done === total) process.stderr.write(`ocr: ${done}/${total} posts\n`);
  });
  process.stderr.write(
    `ocr: read ${ocr.images} images of ${images.size} posts in ${((Date.now() - started) / 1000).toFixed(1)} s (ppocr)\n`,
  );
  return { images, ocr };
}

export function templateSnippet(settings: TemplateSettings): string {
  const template = {
    ...settings,
    ...(settings.examplesFile ? { examplesFile: resolve(settings.examplesFile) } : {}),
    ...(settings.examplesIndex ? { examplesIndex: resolve(settings.examplesIndex) } : {}),
  };
  const yaml = stringify({ recognizer: { llm: { template } } }).trimEnd();
  return `prompt: ${SFT_TEMPLATE_ID} (${settings.lang}); to serve a model tuned on it with the same prompt, put in the config:\n${yaml.replace(/^/gm, '  ')}`;
}

const SHOWN_PROBLEMS = 20;

export function describeProblem(p: ExportProblem): string {
  return p.id === null ? `knowledge item ${p.index}: ${p.reason}` : `post ${p.index + 1} (id ${p.id}): ${p.reason}`;
}

/** Prints the problems; returns false when they stop the export (no --allow-missing). */
export function reportProblems(input: string, problems: readonly ExportProblem[], complete: number, allowMissing: boolean): boolean {
  if (problems.length === 0) return true;
  const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => `  ${describeProblem(p)}`);
  const more = problems.length > SHOWN_PROBLEMS ? [`  ... and ${problems.length - SHOWN_PROBLEMS} more`] : [];
  process.stderr.write([`${input}: ${problems.length} problem(s) with the requested inputs:`, ...shown, ...more, ''].join('\n'));
  if (!allowMissing) {
    process.stderr.write(`nothing written: rerun with --allow-missing to write the ${complete} complete records\n`);
    return false;
  }
  return true;
}

export function summaryLines(s: XtunerExportSummary, output: string, problems: readonly ExportProblem[]): string[] {
  const types = Object.entries(s.entitiesPerType)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([t, n]) => `${t} ${n}`)
    .join(', ');
  const lines = [
    `wrote ${s.written} of ${s.posts} records to ${output}`,
    `entities: ${s.entities} (${types || 'none'})` + (s.repeatsMerged ? `, ${s.repeatsMerged} repeats listed once` : ''),
    `invalid BIO: ${s.bioViolations} I- tags continuing no entity, in ${s.postsWithViolations} posts (each read as an entity start, as conlleval does)`,
  ];
  const skipped = problems.filter((p) => p.id !== null);
  if (skipped.length > 0) lines.push(`skipped ${skipped.length} posts: ${skipped.map((p) => p.id).join(', ')}`);
  const surplus = problems.length - skipped.length;
  if (surplus > 0) lines.push(`ignored ${surplus} knowledge items that match no post`);
  return lines;
}

/** Written under a temporary name first, so a failed write never leaves a partial file behind. */
export async function writeAtomically(output: string, text: string): Promise<void> {
  const tmp = `${output}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, text, 'utf8');
    await rename(tmp, output);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
