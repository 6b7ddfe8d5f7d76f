// What a cancelled OCR job costs the next message, side by side in one run: a message with a large
// image (many text lines) is cancelled at its deadline, and a small image is read right after it
// on the same one-worker pool. Modes: `none` (the engine stops waiting, the worker reads on; what
// happened before cancellation reached the workers), `stop` (the job's stop flag, read between
// pipeline steps: the default) and `restart` (terminate the worker, start a fresh one).
// Each mode runs in a child process of its own, so a mode that brings the process down (restart:
// terminating a worker inside an ONNX call aborts the process here) is reported, not fatal.
// Run: nice -n 10 npx tsx bench/ocr-cancel.ts [--lines 24] [--deadline-ms 300] [--runs 3]
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import sharp from 'sharp';
import { loadConfig } from '../src/config/load.ts';
import { PpOcr, defaultModelFiles } from '../src/ocr/ppocr.ts';
import type { PreparedImage } from '../src/core/stages.ts';
import { drawTextLines } from '../test/support/draw.ts';

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '24' },
    'deadline-ms': { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    /** Internal: measure this one mode and print its row as JSON (the parent runs each mode so). */
    mode: { type: 'string' },
  },
});
const LINES = Number(values.lines);
const DEADLINE_MS = Number(values['deadline-ms']);
const RUNS = Number(values.runs);

const WORDS = ['Barack Obama', 'visits', 'Paris', 'and', 'Berlin', 'with', 'Angela Merkel', 'on', 'Monday', 'morning'];
const lines = Array.from({ length: LINES }, (_, i) => Array.from({ length: 6 }, (_, j) => WORDS[(i * 3 + j) % WORDS.length]).join(' '));

async function prepared(png: Buffer, index: number): Promise<PreparedImage> {
  const meta = await sharp(png).metadata();
  return { index, png, width: meta.width!, height: meta.height!, format: 'png', sha256: `bench-${index}` };
}

const big = await prepared(await drawTextLines(lines, 40), 0);
const small = await prepared(await drawTextLines(['Hello Paris'], 40), 0);
const config = loadConfig({ skipDefaultFile: true, env: {}, overrides: { ocr: { workers: 1 } } });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const until = async (check: () => boolean) => {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
};

interface Row {
  mode: string;
  fullMs: number;
  nextMs: number;
  freeMs: number;
  cpuS: number;
}

type Mode = 'none' | 'stop' | 'restart';

async function measure(mode: Mode): Promise<Row> {
  const ocr = await PpOcr.create(config.ocr, defaultModelFiles(), mode === 'restart' ? 'restart' : 'stop');
  await ocr.readDetailed([small], 'en');
  const full: number[] = [];
  const next: number[] = [];
  const free: number[] = [];
  const cpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    let t = performance.now();
    if (run === 0) {
      await ocr.readDetailed([big], 'en');
      full.push(performance.now() - t);
    }
    t = performance.now();
    const reading = ocr.readDetailed([big], 'en', mode === 'none' ? {} : { deadline: Date.now() + DEADLINE_MS });
    await new Promise((r) => setTimeout(r, DEADLINE_MS));
    // The deadline has passed: from here on, what the cancelled message still costs.
    const cpu0 = cpuSeconds();
    const t0 = performance.now();
    const nextDone = ocr.readDetailed([small], 'en').then(() => next.push(performance.now() - t0));
    await reading;
    free.push(performance.now() - t0);
    await nextDone;
    await until(() => ocr.poolStats().busy === 0);
    cpu.push(cpuSeconds() - cpu0);
  }
  await ocr.close();
  return { mode, fullMs: median(full), nextMs: median(next), freeMs: median(free), cpuS: median(cpu) };
}

if (values.mode) {
  console.log(JSON.stringify(await measure(values.mode as Mode)));
  process.exit(0);
}

const rows: (Row | { mode: Mode; failed: string })[] = [];
for (const mode of ['none', 'stop', 'restart'] as const) {
  const child = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(import.meta.url),
      '--mode',
      mode,
      '--lines',
      String(LINES),
      '--deadline-ms',
      String(DEADLINE_MS),
      '--runs',
      String(RUNS),
    ],
    { encoding: 'utf8' },
  );
  const last = child.stdout.trim().split('\n').pop() ?? '';
  if (child.status === 0 && last.startsWith('{')) rows.push(JSON.parse(last) as Row);
  else {
    const why = `${child.signal ?? `exit ${child.status}`}: ${child.stderr.trim().split('\n').slice(-2).join(' ').slice(0, 120)}`;
    rows.push({ mode, failed: why });
  }
}

console.log(`OCR cancellation, ${LINES}-line image (${big.width}x${big.height}), deadline ${DEADLINE_MS} ms, ${RUNS} runs (median)`);
console.log(
  `machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
console.log(
  '| mode | full read of the large image | next message (small image) waited+read | large image answered after deadline | CPU spent after the deadline |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
const base = rows.find((r): r is Row => r.mode === 'none' && 'nextMs' in r);
for (const r of rows) {
  if ('failed' in r) {
    console.log(`| ${r.mode} | the process died (${r.failed}) | | | |`);
    continue;
  }
  const faster = base ? ` (${(base.nextMs / r.nextMs).toFixed(1)}x faster than none)` : '';
  console.log(
    `| ${r.mode} | ${r.fullMs.toFixed(0)} ms | ${r.nextMs.toFixed(0)} ms${faster} | ${r.freeMs.toFixed(0)} ms | ${r.cpuS.toFixed(2)} s |`,
  );
}
