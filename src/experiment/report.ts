// report.md and report.html of one experiment on one dataset: the table of arms, per-type F1,
// a chart of F1 with 95% intervals per arm and per type (inline SVG, nothing loaded from
// outside), the skipped arms and the error analysis against the baseline.
import type { Comparison } from './errors.ts';
import type { ArmFigures } from './score.ts';

export interface SkippedArm {
  name: string;
  reason: string;
}

export interface DatasetResults {
  plan: string;
  dataset: string;
  split: string;
  /** The split file, relative to --data. */
  file: string;
  posts: number;
  baseline: string;
  bootstrap: { samples: number; seed: number };
  arms: ArmFigures[];
  skipped: SkippedArm[];
}

const f = (x: number | null | undefined, d = 1) => (x === null || x === undefined ? '–' : x.toFixed(d));
const ci = (c: [number, number] | null) => (c ? `${c[0].toFixed(1)}–${c[1].toFixed(1)}` : '–');
const pval = (p: number | null) => (p === null ? '–' : p < 0.001 ? '<0.001' : p.toFixed(3));
const signed = (x: number | null) => (x === null ? '–' : `${x >= 0 ? '+' : ''}${x.toFixed(1)}`);

function typesOf(r: DatasetResults): string[] {
  return [...new Set(r.arms.flatMap((a) => Object.keys(a.perType)))].sort();
}

function armRows(r: DatasetResults): string[][] {
  return r.arms.map((a) => [
    a.name,
    f(a.f1),
    ci(a.ci95),
    f(a.precision),
    f(a.recall),
    signed(a.deltaVsBaseline),
    pval(a.pVsBaseline),
    String(a.posts),
    String(a.noAnswer),
    f(a.msPerPost, 2),
    String(a.llmCalls),
    String(a.tokens.total),
  ]);
}

const ARM_HEADER = [
  'arm',
  'F1',
  '95% CI',
  'P',
  'R',
  'Δ F1 vs baseline',
  'p (paired bootstrap)',
  'posts',
  'no answer',
  'ms/post',
  'LLM calls',
  'tokens',
];

function mdTable(header: string[], rows: string[][]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `| ${header.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(esc).join(' | ')} |`),
  ].join('\n');
}

function typeRows(r: DatasetResults): string[][] {
  const types = typesOf(r);
  return r.arms.map((a) => [
    a.name,
    ...types.map((t) => {
      const s = a.perType[t];
      return s ? `${f(s.f1)} (${ci(s.ci95)})` : '–';
    }),
  ]);
}

export function markdownReport(r: DatasetResults, comparisons: Comparison[]): string {
  const out: string[] = [];
  out.push(`# ${r.plan}: ${r.dataset} ${r.split}`, '');
  out.push(
    `${r.posts} posts from \`${r.file}\`. Entity micro F1 in percent (conlleval chunks), 95% percentile bootstrap intervals ` +
      `over posts (${r.bootstrap.samples} resamples, seed ${r.bootstrap.seed}); p is the paired bootstrap against the baseline **${r.baseline}**. ` +
      '"no answer": posts a backend of the arm had no answer for (absent from a recording, a failed call); they are scored as they are, never skipped.',
    '',
  );
  out.push(mdTable(ARM_HEADER, armRows(r)), '');
  out.push('## F1 per type (95% CI)', '');
  out.push(mdTable(['arm', ...typesOf(r)], typeRows(r)), '');
  const described = r.arms.filter((a) => a.description);
  if (described.length) {
    out.push('## Arms', '');
    for (const a of described) out.push(`- **${a.name}**: ${a.description}`);
    out.push('');
  }
  if (r.skipped.length) {
    out.push('## Skipped arms', '');
    for (const s of r.skipped) out.push(`- **${s.name}** was skipped: ${s.reason}.`);
    out.push('');
  }
  const noAnswer = r.arms.filter((a) => a.noAnswer > 0);
  if (noAnswer.length) {
    out.push('## Posts without an answer', '');
    for (const a of noAnswer) out.push(`- **${a.name}**: ${a.noAnswer} post(s), e.g. ${a.noAnswerIds.slice(0, 10).join(', ')}`);
    out.push('');
  }
  out.push('## Error analysis', '');
  out.push(
    'Each arm against the baseline, then the pairs the plan asks for. Per type: gold entities the first arm gets right and the second wrong (gains), the reverse (losses), and wrong entities the first adds or removes.',
    '',
  );
  for (const c of comparisons) {
    out.push(`### ${c.arm} vs ${c.against}`, '');
    const rows = Object.entries(c.byType).map(([t, s]) => [
      t,
      String(s.gains),
      String(s.losses),
      String(s.gains - s.losses),
      String(s.addedFalsePositives),
      String(s.removedFalsePositives),
    ]);
    out.push(mdTable(['type', 'gains', 'losses', 'net', 'false positives added', 'false positives removed'], rows), '');
    for (const [t, s] of Object.entries(c.byType)) {
      for (const [label, list] of [
        [`${c.arm} right, ${c.against} wrong`, s.gainExamples],
        [`${c.against} right, ${c.arm} wrong`, s.lossExamples],
      ] as const) {
        if (!list.length) continue;
        out.push(`${t}, ${label}:`, '');
        for (const e of list)
          out.push(`- \`${e.id}\` **${e.entity}** (${e.type}); the other said ${e.wrongSaid}: _${e.text.replace(/[_*`]/g, '\\$&')}_`);
        out.push('');
      }
    }
  }
  return out.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** Dot-and-whisker chart: one panel per category (all types, then each type), one row per arm. */
export function f1Chart(r: DatasetResults): string {
  const categories = ['all', ...typesOf(r)];
  const rowH = 16;
  const panelH = r.arms.length * rowH + 28;
  const left = 170;
  const plotW = 480;
  const width = left + plotW + 30;
  const height = categories.length * panelH + 30;
  const x = (v: number) => left + (Math.max(0, Math.min(100, v)) / 100) * plotW;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11" role="img" aria-label="F1 with 95% intervals per arm and type">`,
  );
  categories.forEach((cat, p) => {
    const top = p * panelH + 10;
    parts.push(`<text x="4" y="${top + 10}" font-weight="bold">${cat === 'all' ? 'all types (micro)' : esc(cat)}</text>`);
    for (let v = 0; v <= 100; v += 20) {
      parts.push(`<line x1="${x(v)}" y1="${top + 14}" x2="${x(v)}" y2="${top + panelH - 12}" stroke="#ddd"/>`);
      parts.push(`<text x="${x(v)}" y="${top + panelH - 2}" text-anchor="middle" fill="#666">${v}</text>`);
    }
    r.arms.forEach((a, i) => {
      const y = top + 22 + i * rowH;
      const fig = cat === 'all' ? { f1: a.f1, ci95: a.ci95 } : a.perType[cat];
      const color = COLORS[i % COLORS.length]!;
      parts.push(`<text x="${left - 6}" y="${y + 4}" text-anchor="end">${esc(a.name)}</text>`);
      if (!fig) return;
      if (fig.ci95)
        parts.push(`<line x1="${x(fig.ci95[0])}" y1="${y}" x2="${x(fig.ci95[1])}" y2="${y}" stroke="${color}" stroke-width="2"/>`);
      parts.push(
        `<circle cx="${x(fig.f1)}" cy="${y}" r="3.5" fill="${color}"><title>${esc(a.name)} ${esc(cat)}: F1 ${fig.f1.toFixed(1)} (95% CI ${ci(fig.ci95)})</title></circle>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('\n');
}

function htmlTable(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((row) => `<tr>${row.map((c, i) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

export function htmlReport(r: DatasetResults, comparisons: Comparison[]): string {
  const body: string[] = [];
  body.push(`<h1>${esc(r.plan)}: ${esc(r.dataset)} ${esc(r.split)}</h1>`);
  body.push(
    `<p>${r.posts} posts from <code>${esc(r.file)}</code>. Entity micro F1 in percent, 95% bootstrap intervals (${r.bootstrap.samples} resamples, seed ${r.bootstrap.seed}); p: paired bootstrap against the baseline <b>${esc(r.baseline)}</b>.</p>`,
  );
  body.push(htmlTable(ARM_HEADER, armRows(r)));
  body.push('<h2>F1 with 95% intervals, per arm and per type</h2>', f1Chart(r));
  body.push('<h2>F1 per type (95% CI)</h2>', htmlTable(['arm', ...typesOf(r)], typeRows(r)));
  if (r.skipped.length)
    body.push(
      '<h2>Skipped arms</h2><ul>' +
        r.skipped.map((s) => `<li><b>${esc(s.name)}</b> was skipped: ${esc(s.reason)}.</li>`).join('') +
        '</ul>',
    );
  body.push(
    '<h2>Error analysis</h2><p>Each arm against the baseline, then the pairs the plan asks for: per type, gold entities the first arm gets right and the second wrong (gains), and the reverse (losses).</p>',
  );
  for (const c of comparisons) {
    body.push(`<h3>${esc(c.arm)} vs ${esc(c.against)}</h3>`);
    body.push(
      htmlTable(
        ['type', 'gains', 'losses', 'net', 'false positives added', 'false positives removed'],
        Object.entries(c.byType).map(([t, s]) => [
          t,
          String(s.gains),
          String(s.losses),
          String(s.gains - s.losses),
          String(s.addedFalsePositives),
          String(s.removedFalsePositives),
        ]),
      ),
    );
    const items: string[] = [];
    for (const [t, s] of Object.entries(c.byType)) {
      for (const e of s.gainExamples)
        items.push(
          `<li>${esc(t)} gain <code>${esc(e.id)}</code> <b>${esc(e.entity)}</b>; ${esc(c.against)} said ${esc(e.wrongSaid)}: <i>${esc(e.text)}</i></li>`,
        );
      for (const e of s.lossExamples)
        items.push(
          `<li>${esc(t)} loss <code>${esc(e.id)}</code> <b>${esc(e.entity)}</b>; ${esc(c.arm)} said ${esc(e.wrongSaid)}: <i>${esc(e.text)}</i></li>`,
        );
    }
    if (items.length) body.push(`<ul>${items.join('')}</ul>`);
  }
  const style =
    'body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}table{border-collapse:collapse;margin:1em 0}th,td{border:1px solid #ccc;padding:3px 7px;text-align:right}thead th,tbody th{text-align:left}code{background:#f4f4f4}';
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${esc(r.plan)} ${esc(r.dataset)}</title><style>${style}</style></head><body>\n${body.join('\n')}\n</body></html>\n`;
}
