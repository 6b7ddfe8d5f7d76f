// `ekmm export xtuner|llava|xtuner-config|check`: fine-tuning data, configs and their validation.
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { attachKnowledge, readCaptions, type KnowledgeAttachment } from '../data/index.ts';
import {
  buildXtunerExport,
  formatXtunerJsonl,
  UnknownEntityTypeError,
  type ExportTask,
  type PromptStyle,
  type RecordFormat,
  type XtunerExport,
  type XtunerExportOptions,
} from '../data/xtuner.ts';
import { formatLlava, toLlavaRecords } from '../finetune/llava.ts';
import { parseCommandArgs, requireInputFile, UsageError } from './args.ts';
import { parseTypeMap } from './data.ts';
import {
  postImagesAndOcr,
  prepareTemplate,
  reportProblems,
  summaryLines,
  TEMPLATE_OPTIONS,
  templateSnippet,
  writeAtomically,
} from './export-common.ts';
import { readInputDataset } from './inputs.ts';

const HELP = `Usage:
  ekmm export xtuner --input SPLIT_FILE --output OUT.jsonl [--format messages|conversation]
                     [--task ner|knowledge] [--prompt sft|recognizer|plain] [--lang en|zh|auto]
                     [--types PER=NAME,...] [--captions FILE] [--ocr --images DIR]
                     [--examples K [--examples-file SPLIT | --examples-index FILE]] [--knowledge FILE]
                     [--map-types MISC=OTHER,...]
                     [--system TEXT | --no-system] [--allow-missing] [--config FILE]
  ekmm export llava --input SPLIT_FILE --images DIR --output OUT.json|OUT.jsonl [--lang ...] [--types ...]
                     [--ocr] [--examples K [--examples-file SPLIT]] [--knowledge FILE] [--map-types ...]
                     [--allow-missing] [--config FILE]
  ekmm export xtuner-config --data FILE --model NAME_OR_PATH --method qlora|lora|full --out FILE.py
                     [--vlm --images DIR --projector PTH [--visual-encoder NAME]] [--prompt-template NAME]
                     [--max-length N] [--epochs N] [--batch-size N] [--accumulate N] [--lr X]
  ekmm export check FILE [--images DIR] [--max-length N]

export xtuner: one record per post, in input order.
  --format messages (default, the plan's format; XTuner dataset_map_fn=openai_map_fn):
      {"messages": [{"role": "system", ...}, {"role": "user", ...}, {"role": "assistant", ...}]}
  --format conversation (XTuner's own; dataset_map_fn=None):
      {"conversation": [{"system": "...", "input": "...", "output": "..."}]}
  --prompt sft (default for --task ner): the versioned fine-tuning template mner-sft in English or
      Chinese (任务 / 图片描述 / 句子 / 需要识别的实体类型), answer {"entities":[{"text","type"}]} with the
      types named in the template's language. The llm recognizer sends exactly this prompt when
      recognizer.llm.template names it; the export prints the config to use.
  --prompt recognizer: the llm recognizer's generic prompt; plain: text, 'Image:' line, bare JSON list.
  --lang L          template language; auto (default): Chinese when most posts are Chinese
  --types MAP       names of the entity types in the prompt (PER=人物,...); defaults per language:
                    en person/location/organization/other, zh 人名/地名/机构名/其他
  --captions FILE   recorded image captions ('<IMGID>.jpg :<caption>' lines): the image description part
  --ocr             OCR text part: runs the ppocr backend over each post's images in --images DIR
                    (<id>.jpg for Twitter, <wid>_<n>.jpg for CMNER)
  --examples K      K similar labelled examples in each prompt: lexical retrieval over --examples-file
                    (default the input split), or BM25 over text and caption in an 'ekmm examples build'
                    index (--examples-index, weights knowledge.similar.text/caption); a post is never
                    its own example (same text)
  --knowledge FILE  recorded PGIM knowledge for the same split (items in post order): with --task ner
                    the background-knowledge part; with --task knowledge the answer
  --map-types MAP   entity type renames applied to the gold tags, over the config's typeAliases (MISC=OTHER)
  --system TEXT     replaces the system message; --no-system writes none (user + assistant only)
  --allow-missing   write the posts that have every requested input and list the ids of the rest;
                    without it a missing caption, image, OCR or knowledge item stops the export (exit 1)
  --config FILE     YAML file layered over config/default.yaml (entityTypes, typeAliases, ocr)
A post without entities is written with the answer {"entities": []} (never dropped). Invalid BIO
(I- after O) is read as conlleval reads it: the I- tag starts an entity.

export llava: LLaVA records for VLM fine-tuning (XTuner LLaVADataset, llava_map_fn), .json array or JSONL:
  {"id": "...", "image": "<file relative to DIR>", "conversations": [{"from": "human", "value":
   "<image>\\n<mner-sft prompt>"}, {"from": "gpt", "value": "<answer>"}]}
  A post whose image is not in DIR is reported and counted; without --allow-missing nothing is
  written (exit 1). A post with several images uses the first by name (counted in the summary).

export xtuner-config: an XTuner v0.x config for an exported file (run 'xtuner train FILE.py'); the
  map function follows the data (openai_map_fn for messages, None for conversation, llava_map_fn for
  LLaVA records), the prompt template the model family, max_length the records' estimated lengths.

export check: validates a messages / conversation / LLaVA file against XTuner's rules (roles and
  order, one <image>, non-empty answers, lengths); prints FILE:LINE: record N: RULE: message.

Exit codes: 0 written / valid, 1 failed, refused or invalid records, 2 bad usage.

Examples:
  ekmm export xtuner --input examples/tweets.txt --output /tmp/ekmm-train.jsonl
  ekmm export check /tmp/ekmm-train.jsonl
`;

const TASKS: readonly ExportTask[] = ['ner', 'knowledge'];
const PROMPTS: readonly PromptStyle[] = ['sft', 'recognizer', 'plain'];
const FORMATS: readonly RecordFormat[] = ['messages', 'conversation'];

function build(posts: Parameters<typeof buildXtunerExport>[0], opts: XtunerExportOptions): XtunerExport {
  try {
    return buildXtunerExport(posts, opts);
  } catch (err) {
    if (err instanceof UnknownEntityTypeError) throw new UsageError(err.message);
    throw err;
  }
}

async function xtunerCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    input: { type: 'string' },
    output: { type: 'string' },
    format: { type: 'string' },
    task: { type: 'string' },
    captions: { type: 'string' },
    knowledge: { type: 'string' },
    'map-types': { type: 'string' },
    system: { type: 'string' },
    'no-system': { type: 'boolean' },
    prompt: { type: 'string' },
    'allow-missing': { type: 'boolean' },
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    ...TEMPLATE_OPTIONS,
  });
  if (values.help) return (void process.stdout.write(HELP), 0);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const { input, output } = values;
  if (!input || !output) throw new UsageError('export xtuner needs --input SPLIT_FILE and --output OUT.jsonl');
  if (resolve(input) === resolve(output)) throw new UsageError('--output must not be the --input file');
  const format = (values.format ?? 'messages') as RecordFormat;
  if (!FORMATS.includes(format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}, got '${values.format}'`);
  const task = (values.task ?? 'ner') as ExportTask;
  if (!TASKS.includes(task)) throw new UsageError(`--task must be one of ${TASKS.join(', ')}, got '${values.task}'`);
  const prompt = (values.prompt ?? (task === 'ner' ? 'sft' : 'recognizer')) as PromptStyle;
  if (!PROMPTS.includes(prompt)) throw new UsageError(`--prompt must be one of ${PROMPTS.join(', ')}, got '${values.prompt}'`);
  if (task === 'knowledge' && prompt === 'sft')
    throw new UsageError('--prompt sft is the NER template; --task knowledge uses --prompt recognizer or plain');
  if (task === 'knowledge' && !values.knowledge) throw new UsageError('--task knowledge needs --knowledge FILE');
  if (values.system !== undefined && values.system.trim() === '') throw new UsageError('--system must not be empty');
  if (values.system !== undefined && values['no-system']) throw new UsageError('--system and --no-system exclude each other');
  if (values['no-system'] && prompt !== 'sft') throw new UsageError('--no-system applies to --prompt sft');
  if (values.ocr && !values.images) throw new UsageError("--ocr needs --images DIR (the folder with the posts' images)");
  if (values.images && !values.ocr) throw new UsageError('--images is used with --ocr (export llava writes image records)');
  const templateOnly = ['lang', 'types', 'examples', 'examples-file', 'examples-index', 'ocr'] as const;
  const misplaced = templateOnly.filter((k) => values[k] !== undefined);
  if (prompt !== 'sft' && misplaced.length) throw new UsageError(`--${misplaced[0]} belongs to --prompt sft`);

  const config = loadConfig(values.config ? { file: values.config } : {});
  const typeMap = { ...config.typeAliases, ...parseTypeMap(values['map-types']) };
  const dataset = await readInputDataset(input, '--input');
  const captions = values.captions ? await readCaptions(await requireInputFile(values.captions, '--captions')) : undefined;
  const attached: KnowledgeAttachment | undefined = values.knowledge
    ? await attachKnowledge(dataset.posts, await requireInputFile(values.knowledge, '--knowledge'))
    : undefined;
  const template =
    prompt === 'sft'
      ? await prepareTemplate(
          dataset.posts,
          input,
          values,
          {
            caption: captions !== undefined,
            ocr: values.ocr === true,
            knowledge: attached !== undefined,
            system: !values['no-system'],
          },
          config,
          typeMap,
          captions,
        )
      : undefined;
  const seen = values.ocr && values.images ? await postImagesAndOcr(dataset.posts, values.images, true, config) : undefined;

  const result = build(dataset.posts, {
    task,
    prompt,
    entityTypes: config.entityTypes,
    typeMap,
    ...(captions ? { captions } : {}),
    ...(attached ? { knowledge: attached.knowledge, knowledgeProblems: attached.problems } : {}),
    ...(values.system !== undefined ? { system: values.system } : {}),
    ...(template ? { sft: template.sft } : {}),
    ...(seen?.ocr ? { ocr: seen.ocr.lines, ocrProblems: seen.ocr.problems } : {}),
  });
  const { problems, records, summary } = result;
  if (!reportProblems(input, problems, records.length, values['allow-missing'] === true)) return 1;
  await writeAtomically(output, formatXtunerJsonl(records, format));
  const lines = summaryLines(summary, output, problems);
  lines.push(`format: ${format} (XTuner dataset_map_fn=${format === 'messages' ? 'openai_map_fn' : 'None'})`);
  if (template && values.system === undefined) lines.push(templateSnippet(template.settings));
  else if (template)
    lines.push('note: a custom --system is not part of the mner-sft template, so the llm recognizer cannot serve this exact prompt');
  process.stderr.write(lines.join('\n') + '\n');
  return 0;
}

async function llavaCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    input: { type: 'string' },
    output: { type: 'string' },
    knowledge: { type: 'string' },
    'map-types': { type: 'string' },
    'allow-missing': { type: 'boolean' },
    config: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
    ...TEMPLATE_OPTIONS,
  });
  if (values.help) return (void process.stdout.write(HELP), 0);
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const { input, output, images } = values;
  if (!input || !output || !images) throw new UsageError('export llava needs --input SPLIT_FILE, --images DIR and --output OUT.json');
  if (resolve(input) === resolve(output)) throw new UsageError('--output must not be the --input file');

  const config = loadConfig(values.config ? { file: values.config } : {});
  const typeMap = { ...config.typeAliases, ...parseTypeMap(values['map-types']) };
  const dataset = await readInputDataset(input, '--input');
  const attached = values.knowledge
    ? await attachKnowledge(dataset.posts, await requireInputFile(values.knowledge, '--knowledge'))
    : undefined;
  // LLaVA turns carry no system message, and the image itself replaces its description.
  const template = await prepareTemplate(
    dataset.posts,
    input,
    values,
    {
      caption: false,
      ocr: values.ocr === true,
      knowledge: attached !== undefined,
      system: false,
    },
    config,
    typeMap,
  );
  const seen = await postImagesAndOcr(dataset.posts, images, values.ocr === true, config);

  const result = build(dataset.posts, {
    task: 'ner',
    prompt: 'sft',
    entityTypes: config.entityTypes,
    typeMap,
    sft: template.sft,
    images: seen.images,
    imageDir: images,
    ...(attached ? { knowledge: attached.knowledge, knowledgeProblems: attached.problems } : {}),
    ...(seen.ocr ? { ocr: seen.ocr.lines, ocrProblems: seen.ocr.problems } : {}),
  });
  const { problems, summary } = result;
  const noImage = problems.filter((p) => p.reason.includes('no image in')).length;
  if (!reportProblems(input, problems, result.records.length, values['allow-missing'] === true)) {
    process.stderr.write(`posts without an image: ${noImage} of ${dataset.posts.length}\n`);
    return 1;
  }
  const llava = toLlavaRecords(result, seen.images);
  await writeAtomically(output, formatLlava(llava.records, output));
  const lines = summaryLines(summary, output, problems);
  lines.push(`posts without an image: ${noImage} of ${dataset.posts.length}${noImage ? ' (not written; listed above)' : ''}`);
  if (llava.severalImages.length) lines.push(`posts with several images: ${llava.severalImages.length} (the first image by name is used)`);
  lines.push(templateSnippet(template.settings));
  process.stderr.write(lines.join('\n') + '\n');
  return 0;
}

export async function exportCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'xtuner') return xtunerCommand(rest);
  if (sub === 'llava') return llavaCommand(rest);
  if (sub === 'xtuner-config') return (await import('./export-config.ts')).xtunerConfigCommand(rest);
  if (sub === 'check') return (await import('./export-check.ts')).checkCommand(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown export target '${sub}' (xtuner, llava, xtuner-config, check)`);
}
