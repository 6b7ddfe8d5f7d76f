// CLI start time, compiled (dist/, plain node) against the sources through tsx, measured side by
// side in one run, the two runtimes alternating so machine load hits both alike.
//
//   npm run build && node --import tsx bench/cli-start.ts [--runs=10]
//
// Commands: `ekmm --version` (start-up alone) and `ekmm recognize --text ... --json` with the
// gazetteer recognizer and no OCR (config, plugins, engine, one recognition, exit).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../src/config/load.ts';
import { percentile } from './percentile.ts';

const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice(7) ?? 10);
if (!existsSync(join(PROJECT_ROOT, 'dist/src/cli/main.js'))) {
  console.error('dist/ is missing: run `npm run build` first');
  process.exit(1);
}
const { EKMM_TEST: _t, NODE_OPTIONS: _o, ...base } = process.env;
const env = {
  ...base,
  EKMM__CACHE__URL: 'memory://',
  EKMM__STATS__URL: 'memory://',
  EKMM__OCR__BACKEND: 'none',
  EKMM__RECOGNIZER__BACKENDS: '[gazetteer]',
  EKMM__RECOGNIZER__FALLBACK: 'none',
  EKMM__RECOGNIZER__GAZETTEER__ENTRIES: '{LOC: [Paris]}',
};
const commands: Record<string, string[]> = {
  '--version': ['--version'],
  'recognize --json': ['recognize', '--text', 'Back in Paris', '--json'],
};
const runtimes = { compiled: {}, 'tsx (sources)': { EKMM_SOURCE: '1' } } as const;

function once(args: string[], extra: Record<string, string>): number {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, 'bin/ekmm.js'), ...args], {
    cwd: PROJECT_ROOT,
    env: { ...env, ...extra },
    encoding: 'utf8',
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`ekmm ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  if (/older than the sources/.test(r.stderr) && !('EKMM_SOURCE' in extra)) throw new Error('dist/ is stale: run `npm run build` first');
  return ms;
}

const rows: string[][] = [];
for (const [name, args] of Object.entries(commands)) {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(runtimes).map((k) => [k, []]));
  once(args, {}); // warm the file cache once
  for (let i = 0; i < runs; i++) for (const [rt, extra] of Object.entries(runtimes)) samples[rt]!.push(once(args, extra));
  const compiled = percentile(samples.compiled!, 50);
  for (const [rt, s] of Object.entries(samples)) {
    const p50 = percentile(s, 50);
    rows.push([name, rt, p50.toFixed(0), Math.min(...s).toFixed(0), percentile(s, 90).toFixed(0), (p50 / compiled).toFixed(2)]);
  }
}
const head = ['command', 'runtime', 'p50 ms', 'min ms', 'p90 ms', 'p50 / compiled'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
console.log(`\nEKMM CLI start time (${runs} runs each, alternating; wall clock of the child process)\n`);
console.log(line(head));
console.log(widths.map((w) => '-'.repeat(w)).join('  '));
for (const r of rows) console.log(line(r));
