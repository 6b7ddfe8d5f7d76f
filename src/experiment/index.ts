// `ekmm experiment`: every arm of a plan through the real engine over every post of a split,
// scored with the project's evaluator; results.json, predictions/<arm>.txt (scorable by
// `ekmm eval`), errors.json, report.md and report.html per dataset, and a summary across
// datasets when the plan names several.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { loadConfig, ConfigError } from '../config/load.ts';
import type { EkmmConfig } from '../config/schema.ts';
import type { EngineOptions } from '../app/engine.ts';
import { findSplits, readDataset, writeDataset } from '../data/index.ts';
import { sha256Hex } from '../cache/key.ts';
import { compareArms, type Comparison } from './errors.ts';
import { skipReason, substitute, PlanError, type Plan, type Vars } from './plan.ts';
import { typeSpelling } from './posts.ts';
import { markdownReport, htmlReport, type DatasetResults, type SkippedArm } from './report.ts';
import { runArm, type PostRecord } from './run.ts';
import { scoreArm, type ArmFigures } from './score.ts';
import { summaryHtml, summaryMarkdown } from './summary.ts';

export interface ExperimentOptions {
  plan: Plan;
  planFile: string;
  data: string;
  out: string;
  /** YAML layered over config/default.yaml before the plan's overlays. */
  configFile?: string | undefined;
  /** Overrides the plan's `images`. */
  images?: string | undefined;
  /** Directory where live llm/vlm/knowledge answers are recorded, one JSONL per dataset and arm. */
  record?: string | undefined;
  env?: NodeJS.ProcessEnv;
  engineOptions?: EngineOptions;
  /** Only these datasets of the plan. */
  only?: string[] | undefined;
}

export interface ExperimentSummary {
  plan: string;
  split: string;
  baseline: string;
  datasets: DatasetResults[];
}

type Tree = Record<string, unknown>;
const isTree = (v: unknown): v is Tree => typeof v === 'object' && v !== null && !Array.isArray(v);
function merge(base: Tree, over: Tree): Tree {
  const out: Tree = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isTree(out[k]) && isTree(v) ? merge(out[k] as Tree, v) : v;
  return out;
}

/** Points each live LLM stage of the arm at a recording file under `dir`. */
function addRecording(config: EkmmConfig, dir: string, dataset: string, arm: string): void {
  const file = (stage: string) => join(dir, dataset, `${arm}.${stage}.jsonl`);
  const uses = (name: string) => config.recognizer.backends.includes(name);
  if (uses('llm') && config.recognizer.llm) config.recognizer.llm.record = file('llm');
  if (uses('vlm') && config.recognizer.vlm) config.recognizer.vlm.record = file('vlm');
  if (config.knowledge.backend === 'llm' && config.knowledge.llm) config.knowledge.llm.record = file('knowledge');
}

async function runDataset(opts: ExperimentOptions, dataset: string | undefined): Promise<DatasetResults> {
  const { plan } = opts;
  const env = opts.env ?? process.env;
  const dsDir = dataset ? join(opts.data, dataset) : opts.data;
  if (!existsSync(dsDir)) throw new PlanError(`dataset directory ${dsDir} does not exist`);
  const file = (await findSplits(dsDir))[plan.split];
  if (!file) throw new PlanError(`${dsDir} has no ${plan.split} split (expected ${plan.split}.txt, .conll, .jsonl ...)`);
  const name = dataset ?? basename(resolve(dsDir));
  const out = dataset && plan.datasets ? join(opts.out, dataset) : opts.out;
  mkdirSync(join(out, 'predictions'), { recursive: true });
  const ds = await readDataset(file);
  const posts = ds.posts;
  const gold = posts.map((p) => p.tags);
  const vars: Vars = { data: opts.data, dataset: name, split: plan.split, split_file: file };
  const images = opts.images ?? (plan.images ? substitute(plan.images, vars, env, 'images') : undefined);
  const imagesDir = images && existsSync(images) ? resolve(images) : undefined;
  const dataFingerprint = sha256Hex(readFileSync(file));

  const records = new Map<string, PostRecord[]>();
  const skipped: SkippedArm[] = [];
  for (const arm of plan.arms) {
    const reason = skipReason(arm, vars, env);
    if (reason) {
      skipped.push({ name: arm.name, reason });
      process.stderr.write(`${name} ${arm.name}: skipped (${reason})\n`);
      continue;
    }
    let overlay = substitute(merge(plan.config, arm.config), vars, env, `arm ${arm.name}`);
    if (!isTree(overlay.cache)) overlay = { ...overlay, cache: { url: `sqlite://${resolve(out, 'engine-cache.sqlite')}` } };
    if (imagesDir) overlay = merge(overlay, { intake: { pathRoots: [imagesDir] } });
    let config: EkmmConfig;
    try {
      config = loadConfig({ ...(opts.configFile ? { file: opts.configFile } : {}), env, overrides: overlay });
    } catch (err) {
      throw err instanceof ConfigError ? new ConfigError(`arm "${arm.name}": ${err.message}`) : err;
    }
    if (opts.record) addRecording(config, resolve(opts.record), name, arm.name);
    const recs = await runArm({
      config,
      posts,
      dataFingerprint,
      imagesDir,
      cacheFile: join(out, 'cache', `${arm.name}.jsonl`),
      typeSpelling: typeSpelling(posts, config.typeAliases),
      concurrency: plan.concurrency,
      label: `${name} ${arm.name}`,
      ...(opts.engineOptions ? { engineOptions: opts.engineOptions } : {}),
    });
    records.set(arm.name, recs);
    await writeDataset(
      posts.map((p, i) => ({ ...p, tags: recs[i]!.tags })),
      join(out, 'predictions', `${arm.name}.txt`),
      ds.format,
      ds.layout,
    );
  }

  const baseline = records.get(plan.baseline)!;
  const arms: ArmFigures[] = [];
  const comparisons: Comparison[] = [];
  for (const arm of plan.arms) {
    const recs = records.get(arm.name);
    if (!recs) continue;
    arms.push(scoreArm(arm.name, arm.description, gold, recs, arm.name === plan.baseline ? undefined : baseline, plan.bootstrap));
    if (arm.name !== plan.baseline) {
      comparisons.push(
        compareArms(
          posts,
          arm.name,
          recs.map((r) => r.tags),
          plan.baseline,
          baseline.map((r) => r.tags),
          plan.errorExamples,
        ),
      );
    }
  }
  for (const pair of plan.compare) {
    const a = records.get(pair.arm);
    const b = records.get(pair.against);
    // A pair with a skipped arm has nothing to compare; the skipped list says why.
    if (a && b)
      comparisons.push(
        compareArms(
          posts,
          pair.arm,
          a.map((r) => r.tags),
          pair.against,
          b.map((r) => r.tags),
          plan.errorExamples,
        ),
      );
  }
  const results: DatasetResults = {
    plan: plan.name,
    dataset: name,
    split: plan.split,
    file: relative(opts.data, file) || basename(file),
    posts: posts.length,
    baseline: plan.baseline,
    bootstrap: plan.bootstrap,
    arms,
    skipped,
  };
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
  writeFileSync(join(out, 'errors.json'), JSON.stringify(comparisons, null, 2) + '\n');
  writeFileSync(join(out, 'report.md'), markdownReport(results, comparisons));
  writeFileSync(join(out, 'report.html'), htmlReport(results, comparisons));
  return results;
}

export async function runExperiment(opts: ExperimentOptions): Promise<ExperimentSummary> {
  const { plan } = opts;
  const names = plan.datasets ?? [undefined];
  const chosen = opts.only?.length ? names.filter((n) => n !== undefined && opts.only!.includes(n)) : names;
  if (opts.only?.length && chosen.length !== opts.only.length) {
    throw new PlanError(
      `--dataset ${opts.only.join(',')}: the plan's datasets are ${(plan.datasets ?? []).join(', ') || '(none: --data is the dataset)'}`,
    );
  }
  const datasets: DatasetResults[] = [];
  for (const name of chosen) datasets.push(await runDataset(opts, name));
  const summary: ExperimentSummary = { plan: plan.name, split: plan.split, baseline: plan.baseline, datasets };
  if (plan.datasets) {
    writeFileSync(join(opts.out, 'results.json'), JSON.stringify(summary, null, 2) + '\n');
    writeFileSync(join(opts.out, 'report.md'), summaryMarkdown(summary));
    writeFileSync(join(opts.out, 'report.html'), summaryHtml(summary));
  }
  return summary;
}
