// `ekmm eval`: entity-level P/R/F1 of a prediction file against a gold file.
import { mapTagTypes, type Dataset, type TypeMap } from '../data/index.ts';
import { bootstrapF1, checkAligned, evaluate, formatConllevalReport, pairedBootstrap, type EvalMode } from '../eval/index.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';
import { parseTypeMap } from './data.ts';
import { readInputDataset } from './inputs.ts';

const HELP = `Usage: ekmm eval --gold GOLD --pred PRED [--mode conlleval|strict] [--scheme IOB2|IOBES]
                 [--json] [--bootstrap N] [--seed S] [--compare PRED2] [--map-types MISC=OTHER]

GOLD and PRED are dataset files in any supported format (Twitter IMGID, CMNER WID, CoNLL,
JSONL); they must hold the same posts with the same tokens, in the same order.
  --mode conlleval  chunks as conlleval.pl reads them: an I- after O or after another type
                    starts a chunk (default)
  --mode strict     seqeval strict: an I- that does not continue a same-type chunk is no entity
  --bootstrap N     95% percentile interval of micro F1 from N resamplings of the posts
  --compare PRED2   paired bootstrap (N resamplings, 1000 by default) between PRED and PRED2;
                    p = share of resamples where the better system on the full data is not better
Precision, recall and F1 are percentages (0-100), as conlleval prints them.
Exit codes: 0 done, 1 a file could not be used (missing, not a dataset, posts not aligned), 2 bad usage.

Example (a file against itself scores 100):
  ekmm eval --gold examples/tweets.txt --pred examples/tweets.txt
`;

async function load(path: string, flag: string, typeMap: TypeMap | undefined): Promise<Dataset> {
  const ds = await readInputDataset(path, flag);
  if (!typeMap) return ds;
  return { ...ds, posts: ds.posts.map((p) => ({ ...p, tags: mapTagTypes(p.tags, typeMap) })) };
}

export async function evalCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    gold: { type: 'string' },
    pred: { type: 'string' },
    mode: { type: 'string' },
    scheme: { type: 'string' },
    json: { type: 'boolean' },
    bootstrap: { type: 'string' },
    seed: { type: 'string' },
    compare: { type: 'string' },
    'map-types': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.gold || !values.pred) throw new UsageError('--gold and --pred are required (see --help)');
  const mode = (values.mode ?? 'conlleval') as EvalMode;
  if (mode !== 'conlleval' && mode !== 'strict') throw new UsageError(`--mode must be conlleval or strict, got '${mode}'`);
  const scheme = values.scheme as 'IOB2' | 'IOBES' | undefined;
  if (scheme !== undefined && scheme !== 'IOB2' && scheme !== 'IOBES') throw new UsageError('--scheme must be IOB2 or IOBES');
  const samples = integerOption(values.bootstrap, '--bootstrap', 1);
  const seed = values.seed === undefined ? undefined : Number(values.seed);
  if (seed !== undefined && !Number.isInteger(seed)) throw new UsageError('--seed must be an integer');
  const typeMap = parseTypeMap(values['map-types']);

  const gold = await load(values.gold, '--gold', typeMap);
  const pred = await load(values.pred, '--pred', typeMap);
  const other = values.compare ? await load(values.compare, '--compare', typeMap) : undefined;
  checkAligned(gold, pred);
  if (other) checkAligned(gold, other);
  const goldTags = gold.posts.map((p) => p.tags);
  const predTags = pred.posts.map((p) => p.tags);
  const result = evaluate(goldTags, predTags, mode, scheme ? { scheme } : {});
  const boot = { mode, ...(samples ? { samples } : {}), ...(seed !== undefined ? { seed } : {}) };
  if (samples) result.ci95 = bootstrapF1(goldTags, predTags, boot).ci95;
  const comparison = other
    ? pairedBootstrap(
        goldTags,
        predTags,
        other.posts.map((p) => p.tags),
        boot,
      )
    : undefined;

  if (values.json) {
    process.stdout.write(JSON.stringify({ unit: 'percent', ...result, ...(comparison ? { comparison } : {}) }, null, 2) + '\n');
  } else {
    process.stdout.write(formatConllevalReport(result) + '\n');
    if (comparison) {
      process.stdout.write(
        `paired bootstrap (${comparison.samples} samples, seed ${comparison.seed}): F1 ${comparison.f1A.toFixed(2)} (pred) vs ` +
          `${comparison.f1B.toFixed(2)} (compare), delta ${comparison.delta.toFixed(2)}, p = ${comparison.p.toFixed(4)}\n`,
      );
    }
  }
  return 0;
}
