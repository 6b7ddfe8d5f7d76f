// The top-level report of a plan over several datasets: one table of F1 (95% CI) per arm and
// dataset, linking to each dataset's own report.
import type { ExperimentSummary } from './index.ts';

const cell = (f1: number, ci: [number, number] | null) => `${f1.toFixed(1)} (${ci ? `${ci[0].toFixed(1)}–${ci[1].toFixed(1)}` : '–'})`;

function rows(s: ExperimentSummary): { arms: string[]; table: string[][] } {
  const arms = [...new Set(s.datasets.flatMap((d) => [...d.arms.map((a) => a.name), ...d.skipped.map((k) => k.name)]))];
  const table = arms.map((arm) => [
    arm,
    ...s.datasets.map((d) => {
      const a = d.arms.find((x) => x.name === arm);
      if (a)
        return cell(a.f1, a.ci95) + (a.pVsBaseline !== null ? `, p ${a.pVsBaseline < 0.001 ? '<0.001' : a.pVsBaseline.toFixed(3)}` : '');
      return d.skipped.some((k) => k.name === arm) ? 'skipped' : '–';
    }),
  ]);
  return { arms, table };
}

export function summaryMarkdown(s: ExperimentSummary): string {
  const { table } = rows(s);
  const header = ['arm', ...s.datasets.map((d) => `${d.dataset} ${d.split}`)];
  const lines = [
    `# ${s.plan}`,
    '',
    `Entity micro F1 (95% bootstrap CI; p: paired bootstrap against **${s.baseline}**). Each dataset's report: ${s.datasets.map((d) => `[${d.dataset}](${d.dataset}/report.md)`).join(', ')}.`,
    '',
    `| ${header.join(' | ')} |`,
    `| --- | ${header
      .slice(1)
      .map(() => '---:')
      .join(' | ')} |`,
    ...table.map((r) => `| ${r.join(' | ')} |`),
    '',
  ];
  for (const d of s.datasets) for (const k of d.skipped) lines.push(`- ${d.dataset}: **${k.name}** skipped: ${k.reason}.`);
  return lines.join('\n') + '\n';
}

export function summaryHtml(s: ExperimentSummary): string {
  const esc = (x: string) => x.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
  const { table } = rows(s);
  const head = ['arm', ...s.datasets.map((d) => `${d.dataset} ${d.split}`)].map((h) => `<th>${esc(h)}</th>`).join('');
  const body = table.map((r) => `<tr>${r.map((c, i) => (i ? `<td>${esc(c)}</td>` : `<th>${esc(c)}</th>`)).join('')}</tr>`).join('');
  const links = s.datasets.map((d) => `<a href="${esc(d.dataset)}/report.html">${esc(d.dataset)}</a>`).join(', ');
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(s.plan)}</title><style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}th{text-align:left}</style></head><body>\n<h1>${esc(s.plan)}</h1><p>Entity micro F1 (95% CI) per arm and dataset; reports with charts and error analysis: ${links}.</p><table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>\n</body></html>\n`;
}
