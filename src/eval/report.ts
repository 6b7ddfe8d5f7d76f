// conlleval.pl's text report layout.
import type { EvalResult } from './score.ts';

const pct = (x: number) => x.toFixed(2).padStart(6);

export function formatConllevalReport(r: EvalResult): string {
  const c = r.counts;
  const lines = [
    `processed ${c.tokens} tokens with ${c.goldEntities} phrases; found: ${c.predEntities} phrases; correct: ${c.correctEntities}.`,
    `accuracy: ${pct(r.accuracy)}%; precision: ${pct(r.p)}%; recall: ${pct(r.r)}%; FB1: ${pct(r.f1)}` +
      (r.ci95 ? `  (95% CI ${r.ci95[0].toFixed(2)}-${r.ci95[1].toFixed(2)})` : ''),
  ];
  for (const [type, s] of Object.entries(r.perType)) {
    lines.push(`${type.padStart(17)}: precision: ${pct(s.p)}%; recall: ${pct(s.r)}%; FB1: ${pct(s.f1)}  ${s.predicted}`);
  }
  return lines.join('\n');
}
