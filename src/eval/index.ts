// Public surface of the evaluator.
export { evaluate, f1Of, microF1, percent, postCounts } from './score.ts';
export type { EvalCounts, EvalMode, EvalOptions, EvalResult, PostCounts, TypeScore } from './score.ts';
export { bootstrapF1, pairedBootstrap, quantile, seededRandom } from './bootstrap.ts';
export type { BootstrapOptions, PairedBootstrapResult } from './bootstrap.ts';
export { AlignmentError, checkAligned } from './align.ts';
export { formatConllevalReport } from './report.ts';
