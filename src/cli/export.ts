// `ekmm export xtuner`: writes a labelled split as XTuner fine-tuning conversations (JSONL).
import { rename, rm, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { loadConfig } from '../config/load.ts';
import { attachKnowledge, readCaptions, type KnowledgeAttachment } from '../data/index.ts';
import {
  buildXtunerExport, formatXtunerJsonl, UnknownEntityTypeError,
  type ExportProblem, type ExportTask, type PromptStyle, type XtunerExportSummary,
} from '../data/xtuner.ts';
import { parseCommandArgs, requireInputFile, UsageError } from './args.ts';
import { parseTypeMap } from './data.ts';
import { readInputDataset } from './inputs.ts';

const HELP = `Usage:
  ekmm export xtuner --input SPLIT_FILE --output OUT.jsonl [--task ner|knowledge]
                     [--captions FILE] [--knowledge FILE] [--map-types MISC=OTHER,...]
                     [--system TEXT] [--prompt recognizer|plain] [--allow-missing] [--config FILE]

Writes one XTuner conversation per post, in input order:
  {"conversation": [{"system": "...", "input": "...", "output": "..."}]}
Load it in an XTuner config with load_dataset('json', data_files=OUT.jsonl) and dataset_map_fn=None.

  --input FILE      a labelled split (Twitter IMGID, CMNER WID, CoNLL or JSONL; detected from the content)
  --output FILE     the JSONL file to write (UTF-8)
  --task TASK       ner (default): the answer is the gold entities as JSON;
                    knowledge: the answer is the recorded PGIM knowledge text (needs --knowledge)
  --captions FILE   recorded image captions ('<IMGID>.jpg :<caption>' lines), added to the input
  --knowledge FILE  recorded PGIM knowledge for the same split (items in post order); with --task ner
                    it is added to the input as the recognizer's background notes
  --map-types MAP   entity type renames applied to the gold tags, over the config's typeAliases (MISC=OTHER)
  --system TEXT     replaces the system prompt
  --prompt STYLE    recognizer (default): the system and input text the llm recognizer / knowledge source
                    send, answer {"entities":[{"text":...,"type":...}]};
                    plain: post text, 'Image: <caption>' line, answer [{"text":...,"type":...}]
  --allow-missing   write the posts that have every requested input and list the ids of the rest;
                    without it a missing caption or knowledge item stops the export (exit 1, nothing written)
  --config FILE     YAML file layered over config/default.yaml (entityTypes, typeAliases)

Invalid BIO (I- after O) is read as conlleval reads it: the I- tag starts an entity. The summary on
stderr counts them. Exit codes: 0 written, 1 failed or refused, 2 bad usage.

Example:
  ekmm export xtuner --input examples/tweets.txt --output /tmp/ekmm-train.jsonl
`;

const TASKS: readonly ExportTask[] = ['ner', 'knowledge'];
const PROMPTS: readonly PromptStyle[] = ['recognizer', 'plain'];
const SHOWN_PROBLEMS = 20;

function describeProblem(p: ExportProblem): string {
  return p.id === null ? `knowledge item ${p.index}: ${p.reason}` : `post ${p.index + 1} (id ${p.id}): ${p.reason}`;
}

function summaryLines(s: XtunerExportSummary, output: string): string[] {
  const types = Object.entries(s.entitiesPerType).sort(([a], [b]) => a.localeCompare(b)).map(([t, n]) => `${t} ${n}`).join(', ');
  return [
    `wrote ${s.written} of ${s.posts} records to ${output}`,
    `entities: ${s.entities} (${types || 'none'})` + (s.repeatsMerged ? `, ${s.repeatsMerged} repeats listed once` : ''),
    `invalid BIO: ${s.bioViolations} I- tags continuing no entity, in ${s.postsWithViolations} posts (each read as an entity start, as conlleval does)`,
  ];
}

async function xtunerCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, {
    input: { type: 'string' }, output: { type: 'string' }, task: { type: 'string' }, captions: { type: 'string' },
    knowledge: { type: 'string' }, 'map-types': { type: 'string' }, system: { type: 'string' }, prompt: { type: 'string' },
    'allow-missing': { type: 'boolean' }, config: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  });
  if (values.help) return void process.stdout.write(HELP), 0;
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const { input, output } = values;
  if (!input || !output) throw new UsageError('export xtuner needs --input SPLIT_FILE and --output OUT.jsonl');
  if (resolve(input) === resolve(output)) throw new UsageError('--output must not be the --input file');
  const task = (values.task ?? 'ner') as ExportTask;
  if (!TASKS.includes(task)) throw new UsageError(`--task must be one of ${TASKS.join(', ')}, got '${values.task}'`);
  const prompt = (values.prompt ?? 'recognizer') as PromptStyle;
  if (!PROMPTS.includes(prompt)) throw new UsageError(`--prompt must be one of ${PROMPTS.join(', ')}, got '${values.prompt}'`);
  if (task === 'knowledge' && !values.knowledge) throw new UsageError('--task knowledge needs --knowledge FILE');
  if (values.system !== undefined && values.system.trim() === '') throw new UsageError('--system must not be empty');

  const config = loadConfig(values.config ? { file: values.config } : {});
  const typeMap = { ...config.typeAliases, ...parseTypeMap(values['map-types']) };
  const dataset = await readInputDataset(input, '--input');
  const captions = values.captions ? await readCaptions(await requireInputFile(values.captions, '--captions')) : undefined;
  const attached: KnowledgeAttachment | undefined = values.knowledge
    ? await attachKnowledge(dataset.posts, await requireInputFile(values.knowledge, '--knowledge'))
    : undefined;

  let result: ReturnType<typeof buildXtunerExport>;
  try {
    result = buildXtunerExport(dataset.posts, {
      task, prompt, entityTypes: config.entityTypes, typeMap,
      ...(captions ? { captions } : {}),
      ...(attached ? { knowledge: attached.knowledge, knowledgeProblems: attached.problems } : {}),
      ...(values.system !== undefined ? { system: values.system } : {}),
    });
  } catch (err) {
    if (err instanceof UnknownEntityTypeError) throw new UsageError(err.message);
    throw err;
  }

  const { problems, records, summary } = result;
  if (problems.length > 0) {
    const shown = problems.slice(0, SHOWN_PROBLEMS).map((p) => `  ${describeProblem(p)}`);
    const more = problems.length > SHOWN_PROBLEMS ? [`  ... and ${problems.length - SHOWN_PROBLEMS} more`] : [];
    process.stderr.write([`${input}: ${problems.length} problem(s) with the requested inputs:`, ...shown, ...more, ''].join('\n'));
    if (!values['allow-missing']) {
      process.stderr.write(`nothing written: rerun with --allow-missing to write the ${records.length} complete records\n`);
      return 1;
    }
  }
  // Written under a temporary name first, so a failed write never leaves a partial file behind.
  const tmp = `${output}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, formatXtunerJsonl(records), 'utf8');
    await rename(tmp, output);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const skipped = problems.filter((p) => p.id !== null);
  const lines = summaryLines(summary, output);
  if (skipped.length > 0) lines.push(`skipped ${skipped.length} posts: ${skipped.map((p) => p.id).join(', ')}`);
  const surplus = problems.length - skipped.length;
  if (surplus > 0) lines.push(`ignored ${surplus} knowledge items that match no post`);
  process.stderr.write(lines.join('\n') + '\n');
  return 0;
}

export async function exportCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'xtuner') return xtunerCommand(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown export target '${sub}' (xtuner)`);
}
