// `ekmm experiment`: runs the arms of a plan through the real engine over a dataset split.
import { resolve } from 'node:path';
import { runExperiment } from '../experiment/index.ts';
import { loadPlan, PlanError } from '../experiment/plan.ts';
import { parseCommandArgs, UsageError } from './args.ts';

const HELP = `Usage: ekmm experiment --plan FILE --data DIR --out DIR
                      [--config FILE] [--images DIR] [--record DIR] [--dataset NAME[,NAME]]

Runs every arm of the plan (a YAML file: split, datasets, baseline, arms as config overlays of
the engine; see experiments/seed-comparison.yaml) over every post of the split and writes, per
dataset (in DIR/<dataset>/ when the plan names datasets, else in DIR):
  results.json              arms: name, f1, precision, recall, ci95, perType, pVsBaseline, posts,
                            noAnswer, msPerPost, llmCalls, tokens; skipped arms and why
  predictions/<arm>.txt     the arm's tags in the split's own format (ekmm eval --gold SPLIT --pred it)
  report.md, report.html    table, chart of F1 with 95% CIs per arm and type, error analysis
  errors.json               the error analysis: per type, entities an arm gets right and the baseline wrong
A progress bar goes to stderr on a terminal. Finished posts are kept in DIR/.../cache/<arm>.jsonl:
running the same command again resumes an interrupted run (a changed arm config starts that arm over).
  --data DIR      the directory holding the plan's datasets (or the dataset itself)
  --config FILE   YAML layered over config/default.yaml under every arm's overlay
  --images DIR    post images <id>.jpg|png in DIR (overrides the plan's images:)
  --record DIR    live llm/vlm recognizers and llm knowledge write their answers to
                  DIR/<dataset>/<arm>.<stage>.jsonl in the recorded format, for replay
  --dataset NAME  only these datasets of the plan

Example (two arms over the eight posts in examples/split/test.txt):
  ekmm experiment --plan examples/experiment.yaml --data examples/split --out /tmp/ekmm-experiment
`;

export async function experimentCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    plan: { type: 'string' },
    data: { type: 'string' },
    out: { type: 'string' },
    config: { type: 'string' },
    images: { type: 'string' },
    record: { type: 'string' },
    dataset: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.plan || !values.data || !values.out) throw new UsageError('--plan, --data and --out are required (see --help)');
  let plan: ReturnType<typeof loadPlan>;
  try {
    plan = loadPlan(values.plan);
  } catch (err) {
    if (err instanceof PlanError || (err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError((err as Error).message);
    throw err;
  }
  try {
    const summary = await runExperiment({
      plan,
      planFile: values.plan,
      data: resolve(values.data),
      out: resolve(values.out),
      configFile: values.config,
      images: values.images,
      record: values.record,
      only: values.dataset
        ?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    });
    for (const d of summary.datasets) {
      process.stdout.write(`\n${d.dataset} ${d.split} (${d.posts} posts)\n`);
      for (const a of d.arms) {
        const ci = a.ci95 ? ` [${a.ci95[0].toFixed(1)}, ${a.ci95[1].toFixed(1)}]` : '';
        const p = a.pVsBaseline === null ? ' (baseline)' : ` p=${a.pVsBaseline.toFixed(3)}`;
        const missing = a.noAnswer ? `, ${a.noAnswer} without answer` : '';
        process.stdout.write(`  ${a.name.padEnd(22)} F1 ${a.f1.toFixed(2)}${ci}${p}${missing}\n`);
      }
      for (const s of d.skipped) process.stdout.write(`  ${s.name.padEnd(22)} skipped: ${s.reason}\n`);
    }
    process.stdout.write(`\nreport: ${resolve(values.out, 'report.md')}\n`);
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(err.message);
    throw err;
  }
  return 0;
}
