// `ekmm data stats|check|convert`: inspect and convert labelled datasets.
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import {
  datasetStats,
  findSplits,
  mapTagTypes,
  writeDataset,
  type DataFormat,
  type Dataset,
  type SplitStats,
  type TypeMap,
} from '../data/index.ts';
import { InputError, parseCommandArgs, UsageError } from './args.ts';
import { readInputDataset } from './inputs.ts';

const HELP = `Usage:
  ekmm data stats PATH [--json] [--map-types MISC=OTHER,...]
  ekmm data check PATH
  ekmm data convert IN OUT --to twitter|cmner|conll|jsonl

PATH is a dataset file (Twitter IMGID, CMNER WID, CoNLL or JSONL; detected from the content)
or a directory holding train / valid|dev / test files.
stats prints per split: posts, tokens, entities per type (conlleval chunks), BIO violations
(I- tags that do not continue a same-type chunk).
check lists every malformed line (file:line: reason); exit code 1 when there is any.
A file that is not a dataset (an image, mostly malformed lines) is refused with exit code 1.

Examples:
  ekmm data stats examples/tweets.txt
  ekmm data check examples/tweets.txt
  ekmm data convert examples/tweets.txt /tmp/ekmm-tweets.jsonl --to jsonl
`;

const FORMATS: readonly DataFormat[] = ['twitter', 'cmner', 'conll', 'jsonl'];

export function parseTypeMap(spec: string | undefined): TypeMap | undefined {
  if (!spec) return undefined;
  const map: Record<string, string> = {};
  for (const pair of spec.split(',')) {
    const [from, to, ...rest] = pair.split('=');
    if (!from || !to || rest.length > 0) throw new UsageError(`--map-types expects FROM=TO[,FROM=TO...], got '${pair}'`);
    map[from] = to;
  }
  return map;
}

interface SplitFile {
  split: string;
  file: string;
  label: string;
}

async function splitFiles(path: string): Promise<SplitFile[]> {
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`${path}: ${err.code === 'ENOENT' ? 'no such file or directory' : err.message}`);
  });
  if (info.isDirectory()) {
    const splits = Object.entries(await findSplits(path));
    if (splits.length === 0) throw new UsageError(`${path} holds no train / valid|dev / test files`);
    return splits.map(([split, file]) => ({ split, file, label: `${split} (${basename(file)})` }));
  }
  return [{ split: basename(path), file: path, label: basename(path) }];
}

function printStats(name: string, s: SplitStats, issues: number): void {
  const types =
    Object.entries(s.entities)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ') || 'none';
  process.stdout.write(
    `${name}: ${s.posts} posts, ${s.tokens} tokens, ${s.entityTotal} entities (${types}), ` +
      `${s.bioViolations} BIO violations in ${s.postsWithViolations} posts` +
      (issues > 0 ? `, ${issues} malformed lines (run 'ekmm data check')` : '') +
      '\n',
  );
}

async function statsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    args,
    {
      json: { type: 'boolean' },
      'map-types': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    true,
  );
  if (values.help) return (void process.stdout.write(HELP), 0);
  if (positionals.length !== 1) throw new UsageError('data stats takes exactly one PATH');
  const typeMap = parseTypeMap(values['map-types']);
  const report: Record<string, SplitStats & { file: string; format: DataFormat; issues: number }> = {};
  let anyIssues = false;
  for (const { split, file, label } of await splitFiles(positionals[0]!)) {
    const ds = await readInputDataset(file, 'PATH', { allowIssues: true });
    const posts = typeMap ? ds.posts.map((p) => ({ ...p, tags: mapTagTypes(p.tags, typeMap) })) : ds.posts;
    const s = datasetStats(posts);
    anyIssues ||= ds.issues.length > 0;
    report[split] = { file, format: ds.format, ...s, issues: ds.issues.length };
    if (!values.json) printStats(label, s, ds.issues.length);
  }
  if (values.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  return anyIssues ? 1 : 0;
}

async function checkCommand(args: string[]): Promise<number> {
  const { positionals } = parseCommandArgs(args, {}, true);
  if (positionals.length !== 1) throw new UsageError('data check takes exactly one PATH');
  let total = 0;
  for (const { file } of await splitFiles(positionals[0]!)) {
    const ds: Dataset = await readInputDataset(file, 'PATH', { allowIssues: true });
    for (const i of ds.issues) process.stdout.write(`${i.file}:${i.line}: ${i.message}\n`);
    total += ds.issues.length;
    process.stderr.write(`${file}: ${ds.format}, ${ds.posts.length} posts, ${ds.issues.length} issues\n`);
  }
  return total > 0 ? 1 : 0;
}

async function convertCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, { to: { type: 'string' } }, true);
  if (positionals.length !== 2) throw new UsageError('data convert takes IN and OUT');
  const to = values.to as DataFormat | undefined;
  if (!to || !FORMATS.includes(to)) throw new UsageError(`--to must be one of ${FORMATS.join(', ')}`);
  const ds = await readInputDataset(positionals[0]!, 'IN');
  if (to === 'conll' && ds.format !== 'conll') {
    process.stderr.write('note: plain CoNLL has no id lines; post ids are not kept\n');
  }
  await writeDataset(ds.posts, positionals[1]!, to, to === ds.format ? ds.layout : undefined);
  process.stderr.write(`wrote ${ds.posts.length} posts to ${positionals[1]} (${to})\n`);
  return 0;
}

export async function dataCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === 'stats') return statsCommand(rest);
  if (sub === 'check') return checkCommand(rest);
  if (sub === 'convert') return convertCommand(rest);
  if (sub === undefined || sub === '--help' || sub === '-h') {
    process.stdout.write(HELP);
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown data subcommand '${sub}' (stats, check, convert)`);
}
