// An arm's figures from its predictions, with the project's evaluator and bootstrap: micro and
// per-type P/R/F1, 95% intervals (per type too, by bootstrapping the type's tags alone) and the
// paired-bootstrap p against the baseline arm.
import { bootstrapF1, evaluate, pairedBootstrap } from '../eval/index.ts';
import { parseTag } from '../data/bio.ts';
import type { PostRecord } from './run.ts';

export interface TypeFigures {
  p: number;
  r: number;
  f1: number;
  support: number;
  predicted: number;
  correct: number;
  ci95: [number, number] | null;
}

export interface ArmFigures {
  name: string;
  description?: string;
  f1: number;
  precision: number;
  recall: number;
  ci95: [number, number] | null;
  perType: Record<string, TypeFigures>;
  /** Paired bootstrap p-value of the F1 difference from the baseline; null for the baseline itself. */
  pVsBaseline: number | null;
  deltaVsBaseline: number | null;
  posts: number;
  /** Posts some backend of the arm had no answer for (missing from a recording, LLM failure); they are scored, never skipped. */
  noAnswer: number;
  noAnswerIds: string[];
  msPerPost: number;
  llmCalls: number;
  tokens: { prompt: number; completion: number; total: number };
  /** Posts that got a caption. */
  captioned: number;
  /** Warning codes and the number of posts that had each. */
  warnings: Record<string, number>;
}

function onlyType(tags: readonly string[], type: string): string[] {
  return tags.map((t) => (t !== 'O' && parseTag(t).type === type ? t : 'O'));
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;
const roundCi = (ci: [number, number]): [number, number] => [round(ci[0]), round(ci[1])];

export interface ScoreOptions {
  samples: number;
  seed: number;
}

export function scoreArm(
  name: string,
  description: string | undefined,
  gold: readonly string[][],
  records: readonly PostRecord[],
  baseline: readonly PostRecord[] | undefined,
  opts: ScoreOptions,
): ArmFigures {
  const pred = records.map((r) => r.tags);
  const result = evaluate(gold, pred);
  const boot = { samples: opts.samples, seed: opts.seed };
  const ci = opts.samples > 0 ? roundCi(bootstrapF1(gold, pred, boot).ci95) : null;
  const perType: Record<string, TypeFigures> = {};
  for (const [type, s] of Object.entries(result.perType)) {
    const typeCi =
      opts.samples > 0
        ? roundCi(
            bootstrapF1(
              gold.map((g) => onlyType(g, type)),
              pred.map((p) => onlyType(p, type)),
              boot,
            ).ci95,
          )
        : null;
    perType[type] = {
      p: round(s.p),
      r: round(s.r),
      f1: round(s.f1),
      support: s.support,
      predicted: s.predicted,
      correct: s.correct,
      ci95: typeCi,
    };
  }
  let pVsBaseline: number | null = null;
  let deltaVsBaseline: number | null = null;
  if (baseline && baseline !== records) {
    const paired = pairedBootstrap(
      gold,
      pred,
      baseline.map((r) => r.tags),
      { samples: Math.max(opts.samples, 1), seed: opts.seed },
    );
    pVsBaseline = round(paired.p);
    deltaVsBaseline = round(paired.delta);
  }
  const warnings: Record<string, number> = {};
  for (const r of records) for (const w of r.warnings) warnings[w] = (warnings[w] ?? 0) + 1;
  const sum = (f: (r: PostRecord) => number) => records.reduce((s, r) => s + f(r), 0);
  const noAnswer = records.filter((r) => r.noAnswer);
  const prompt = sum((r) => r.promptTokens);
  const completion = sum((r) => r.completionTokens);
  return {
    name,
    ...(description ? { description } : {}),
    f1: round(result.f1),
    precision: round(result.p),
    recall: round(result.r),
    ci95: ci,
    perType,
    pVsBaseline,
    deltaVsBaseline,
    posts: records.length,
    noAnswer: noAnswer.length,
    noAnswerIds: noAnswer.slice(0, 50).map((r) => r.id),
    msPerPost: round(records.length ? sum((r) => r.ms) / records.length : 0),
    llmCalls: sum((r) => r.llmCalls),
    tokens: { prompt, completion, total: prompt + completion },
    captioned: records.filter((r) => r.captions > 0).length,
    warnings: Object.fromEntries(Object.entries(warnings).sort(([a], [b]) => a.localeCompare(b))),
  };
}
