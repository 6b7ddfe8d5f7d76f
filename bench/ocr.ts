// OCR benchmark: the own PP-OCRv4 pipeline as it ran before the speed work ("before") beside
// each speed lever and the shipped default, and @gutenye/ocr-node when installed in a scratch
// folder, all timed side by side in one run; reading accuracy of each variant that can change
// what is read, with and without the English spacing repair.
//   npx tsx bench/ocr.ts [--runs 24] [--compare /tmp/ocrcmp] [--tweets 150] [--variants a,b]
//        [--det-int8 FILE] [--rec-int8 FILE] [--show] [--tweet-file FILE] [--wait-quiet]
// --variants picks rows by name (default: all; "before" is always timed first, as the baseline).
// --det-int8 / --rec-int8 try other quantized files (tools/ocr-quantize/) in the int8 rows.
// --tweets N also reads N tweet lines (Twitter-2017 test, from ../shared/data) drawn in five
// fonts and three sizes, clean and degraded: text the spacing repair was not tuned on.
// --wait-quiet: each round starts only once the CPUs were under 15% busy for 0.5 s (at most 60 s
// of waiting), and the busy share each round started at is printed.
// --compare names a folder where `npm install @gutenye/ocr-node` was run (kept out of the
// project: it pins sharp 0.33). It runs in a child process so the two sharp builds never meet.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PpOcrPipeline, TUNING_BEFORE, type ModelFiles, type PipelineTuning } from '../src/ocr/pipeline.ts';
import { FIRST_PASS_TUNING, SINGLE_CROP_TUNING, PpOcr, modelFiles } from '../src/ocr/ppocr.ts';
import { readingOrder } from '../src/ocr/reading-order.ts';
import { loadConfig } from '../src/config/load.ts';
import { CHINESE_LINES, ENGLISH_LINES, chinesePage, englishPages, renderPage, type PageSpec } from '../test/ocr/corpus.ts';
import { degrade, renderLines } from '../test/ocr/render.ts';
import { corpusAccuracy } from '../test/ocr/metrics.ts';
import { percentile } from './percentile.ts';
import { waitForQuietCpu } from './cpu-quiet.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const RUNS = Number(arg('runs', '24'));
const COMPARE = arg('compare', '/tmp/ocrcmp');
const TWEETS = Number(arg('tweets', '0'));
// --tweet-file: where the checkout is not beside ../shared (a worktree elsewhere).
const TWEET_FILE = arg('tweet-file', join(import.meta.dirname, '../../shared/data/twitter2017/test.txt'));

const FP32 = modelFiles('fp32');
const INT8_DET = arg('det-int8', modelFiles('int8-det').detection);
/** No INT8 recognizer is shipped (none held word accuracy); --rec-int8 FILE times one. */
const INT8_REC = arg('rec-int8', '');
const int8Files = (parts: 'det' | 'rec' | 'both'): ModelFiles => ({
  ...FP32,
  ...(parts !== 'rec' ? { detection: INT8_DET } : {}),
  ...(parts !== 'det' ? { recognition: INT8_REC } : {}),
});

interface Variant {
  name: string;
  /** What this row changes against "before". */
  lever: string;
  files: ModelFiles;
  threads: number;
  tuning: PipelineTuning;
  detMaxSide: number;
  /** Reads exactly what "before" reads (session settings only): no accuracy pass needed. */
  sameOutput?: boolean;
}

const single = { ...TUNING_BEFORE, recBatching: 'single', recEndPad: 16 } as const;
const ALL_VARIANTS: Variant[] = [
  {
    name: 'before',
    lever: 'fp32, det 960, rec width batches, intra-op threads = cores',
    files: FP32,
    threads: 0,
    tuning: TUNING_BEFORE,
    detMaxSide: 960,
  },
  {
    name: 'threads-1',
    lever: 'session: 1 intra-op thread',
    files: FP32,
    threads: 1,
    tuning: TUNING_BEFORE,
    detMaxSide: 960,
    sameOutput: true,
  },
  {
    name: 'opt-basic',
    lever: 'session: graphOptimizationLevel basic',
    files: FP32,
    threads: 0,
    tuning: { ...TUNING_BEFORE, graphOptimizationLevel: 'basic' },
    detMaxSide: 960,
    sameOutput: true,
  },
  {
    name: 'no-arena',
    lever: 'session: CPU memory arena off',
    files: FP32,
    threads: 0,
    tuning: { ...TUNING_BEFORE, memArena: false },
    detMaxSide: 960,
    sameOutput: true,
  },
  {
    name: 'parallel',
    lever: 'session: executionMode parallel, 2 inter-op threads',
    files: FP32,
    threads: 0,
    tuning: { ...TUNING_BEFORE, executionMode: 'parallel', interOpThreads: 2 },
    detMaxSide: 960,
    sameOutput: true,
  },
  {
    name: 'rec-single-0',
    lever: 'rec: one run per crop, no end padding',
    files: FP32,
    threads: 0,
    tuning: { ...single, recEndPad: 0 },
    detMaxSide: 960,
  },
  { name: 'rec-single', lever: 'rec: one run per crop, 16 columns end padding', files: FP32, threads: 0, tuning: single, detMaxSide: 960 },
  {
    name: 'rec-unpadded',
    lever: 'rec: as rec-single, short crops not padded to 320',
    files: FP32,
    threads: 0,
    tuning: { ...single, recMinWidth: 8, recWidthStep: 8 },
    detMaxSide: 960,
  },
  {
    name: 'det-ink',
    lever: 'det: only the inked part of the image, at the same scale',
    files: FP32,
    threads: 0,
    tuning: { ...TUNING_BEFORE, detInkCrop: true },
    detMaxSide: 960,
  },
  { name: 'det-736', lever: 'det: longest side 736', files: FP32, threads: 0, tuning: TUNING_BEFORE, detMaxSide: 736 },
  { name: 'det-640', lever: 'det: longest side 640', files: FP32, threads: 0, tuning: TUNING_BEFORE, detMaxSide: 640 },
  {
    name: 'int8-det',
    lever: 'INT8 det (static, models/ppocr-int8)',
    files: int8Files('det'),
    threads: 0,
    tuning: TUNING_BEFORE,
    detMaxSide: 960,
  },
  ...(INT8_REC
    ? [
        {
          name: 'int8-rec',
          lever: `INT8 rec (${INT8_REC}), as rec-single`,
          files: int8Files('rec'),
          threads: 0,
          tuning: single,
          detMaxSide: 960,
        },
        {
          name: 'int8-both',
          lever: 'INT8 det + rec, as all-levers',
          files: int8Files('both'),
          threads: 0,
          tuning: SINGLE_CROP_TUNING,
          detMaxSide: 960,
        },
      ]
    : []),
  {
    name: 'fold',
    lever: 'fp32 folded (models/ppocr-fold: hard-swish op, affine folded)',
    files: modelFiles('fold'),
    threads: 0,
    tuning: TUNING_BEFORE,
    detMaxSide: 960,
  },
  {
    name: 'fold-single',
    lever: 'fold + rec: one run per crop, 16 columns end padding',
    files: modelFiles('fold'),
    threads: 0,
    tuning: single,
    detMaxSide: 960,
  },
  {
    name: 'fold-ink',
    lever: 'fold + det: only the inked part of the image',
    files: modelFiles('fold'),
    threads: 0,
    tuning: { ...TUNING_BEFORE, detInkCrop: true },
    detMaxSide: 960,
  },
  {
    name: 'fold-split',
    lever: 'fold + rec: crops shared by two threads (recSplit)',
    files: modelFiles('fold'),
    threads: 0,
    tuning: { ...TUNING_BEFORE, recSplit: true },
    detMaxSide: 960,
  },
  {
    name: 'fold-split-1',
    lever: 'fold + recSplit, one run per crop, 16 columns end padding',
    files: modelFiles('fold'),
    threads: 0,
    tuning: { ...single, recSplit: true },
    detMaxSide: 960,
  },
  {
    name: 'fold-2pass',
    lever: 'fold-split-1 + det: first pass at 480 px (FIRST_PASS_TUNING)',
    files: modelFiles('fold'),
    threads: 0,
    tuning: FIRST_PASS_TUNING,
    detMaxSide: 960,
  },
  {
    name: 'all-levers',
    lever: 'int8-det + SINGLE_CROP_TUNING (single, ink)',
    files: modelFiles('int8-det'),
    threads: 0,
    tuning: SINGLE_CROP_TUNING,
    detMaxSide: 960,
  },
];
const picked = arg('variants', '').split(',').filter(Boolean);
for (const name of picked)
  if (!ALL_VARIANTS.some((v) => v.name === name))
    throw new Error(`--variants: no variant "${name}"; there are ${ALL_VARIANTS.map((v) => v.name).join(', ')}`);
const VARIANTS = ALL_VARIANTS.filter((v) => v.name === 'before' || picked.length === 0 || picked.includes(v.name));

/** First seven plain tokens of each tweet with at least five. */
function tweetLines(n: number): string[] {
  const posts = readFileSync(TWEET_FILE, 'utf8').split(/\n\s*\n/);
  const out: string[] = [];
  for (const post of posts) {
    const tokens = post
      .split('\n')
      .filter((l) => l && !l.startsWith('IMGID'))
      .map((l) => l.split('\t')[0]!)
      .filter((t) => /^[A-Za-z0-9.,'!?&:-]+$/.test(t) && t !== 'RT');
    if (tokens.length >= 5) out.push(tokens.slice(0, 7).join(' '));
    if (out.length >= n) break;
  }
  return out;
}

interface Sample {
  set: string;
  truth: string;
  png: Buffer;
}

async function tweetSamples(n: number): Promise<Sample[]> {
  const lines = tweetLines(n);
  const fonts = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Condensed', 'DejaVu Sans Mono', 'WenQuanYi Micro Hei'];
  const out: Sample[] = [];
  let at = 0;
  for (let k = 0; at < lines.length; k++) {
    const page = { font: fonts[k % fonts.length]!, size: [20, 28, 36][Math.floor(k / fonts.length) % 3]!, lines: lines.slice(at, at + 5) };
    at += 5;
    const png = await renderPage(page);
    out.push({ set: 'Tweets clean', truth: page.lines.join(' '), png });
    out.push({ set: 'Tweets degraded', truth: page.lines.join(' '), png: await degrade(png) });
  }
  return out;
}

async function samples(): Promise<Sample[]> {
  const out: Sample[] = [];
  const join1 = (p: PageSpec): string => p.lines.join(' ');
  for (const p of englishPages()) out.push({ set: 'English clean', truth: join1(p), png: await renderPage(p) });
  for (const p of englishPages()) out.push({ set: 'English degraded', truth: join1(p), png: await degrade(await renderPage(p)) });
  const zh = chinesePage();
  out.push({ set: 'Chinese clean', truth: zh.lines.join(''), png: await renderPage(zh) });
  out.push({ set: 'Chinese degraded', truth: zh.lines.join(''), png: await degrade(await renderPage(zh)) });
  return out;
}

/** Chinese is compared without spaces (a space between Han characters is no error worth counting). */
function joinRead(set: string, texts: string[]): string {
  return set.startsWith('Chinese') ? texts.join('').replace(/\s+/g, '') : texts.join(' ');
}

async function timeIt(fn: () => Promise<unknown>, runs: number): Promise<number[]> {
  await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    times.push(performance.now() - t);
  }
  return times;
}

interface CompareResult {
  times: number[];
  texts: string[][];
}

function runGutenye(dir: string, speedImage: string, runs: number, accuracyImages: string[]): CompareResult | string {
  if (!existsSync(join(dir, 'node_modules/@gutenye/ocr-node'))) return `not installed in ${dir}`;
  const script = join(dir, 'ekmm-bench-child.mjs');
  writeFileSync(
    script,
    `import Ocr from '@gutenye/ocr-node';
const [speed, runs, ...pages] = process.argv.slice(2);
const ocr = await Ocr.create();
if (Number(runs) > 0) await ocr.detect(speed);
const times = [];
for (let i = 0; i < Number(runs); i++) { const t = performance.now(); await ocr.detect(speed); times.push(performance.now() - t); }
const texts = [];
for (const p of pages) texts.push((await ocr.detect(p)).map((l) => l.text));
console.log(JSON.stringify({ times, texts }));
`,
  );
  const res = spawnSync(process.execPath, [script, speedImage, String(runs), ...accuracyImages], {
    cwd: dir,
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (res.status !== 0) return `failed: ${res.stderr.slice(-500)}`;
  return JSON.parse(res.stdout.trim().split('\n').pop()!) as CompareResult;
}

const fmt = (v: number): string => v.toFixed(0).padStart(7);
const pct = (v: number): string => v.toFixed(3).padStart(6);
const ratio = (v: number): string => `${v.toFixed(2)}x`.padStart(6);
const median = (v: number[]): number => percentile(v, 50);

const work = mkdtempSync(join(tmpdir(), 'ekmm-ocr-bench-'));
const speedPng = await renderLines(1280, [...ENGLISH_LINES.slice(0, 6), ...CHINESE_LINES.slice(0, 4)], {
  size: 34,
  font: 'WenQuanYi Micro Hei',
  x: 40,
});
const speedHeight = (await sharp(speedPng).metadata()).height!;
const speedPath = join(work, 'speed.png');
writeFileSync(speedPath, speedPng);
const all = [...(await samples()), ...(TWEETS > 0 && existsSync(TWEET_FILE) ? await tweetSamples(TWEETS) : [])];
const paths = all.map((s, i) => {
  const p = join(work, `page${i}.png`);
  writeFileSync(p, s.png);
  return p;
});

interface Read {
  set: string;
  truth: string;
  before: string;
  after: string;
}

const loaded = new Map<string, PpOcrPipeline>();
for (const v of VARIANTS) loaded.set(v.name, await PpOcrPipeline.load(v.files, v.threads, v.tuning));
const runOf = (v: Variant) => () => loaded.get(v.name)!.run(speedPng, { detMaxSide: v.detMaxSide, englishSpacing: true });

const reads = new Map<string, Read[]>();
for (const v of VARIANTS) {
  if (v.sameOutput) continue;
  const rows: Read[] = [];
  for (const s of all) {
    const raw = await loaded.get(v.name)!.run(s.png, { detMaxSide: v.detMaxSide, englishSpacing: true });
    const ordered = readingOrder(raw.map((l) => l.box)).map((i) => raw[i]!);
    rows.push({
      set: s.set,
      truth: s.truth,
      before: joinRead(
        s.set,
        ordered.map((l) => l.rawText),
      ),
      after: joinRead(
        s.set,
        ordered.map((l) => l.text),
      ),
    });
  }
  reads.set(v.name, rows);
}
const accuracyOther = runGutenye(COMPARE, speedPath, 0, paths);

// Timing in interleaved rounds: the CPU is shared with other work, and a slow spell should hit
// every engine alike rather than whichever ran during it. Each round's own ratio to "before"
// shows the spread within the run.
// The backend as the default configuration sets it up (model files, tuning), with one worker.
const pooled = await PpOcr.create({ ...loadConfig({ skipDefaultFile: false, env: {} }).ocr, workers: 1, timeoutMs: 60000 });
const image = { index: 0, png: speedPng, width: 1280, height: speedHeight, format: 'png', sha256: 'bench' };
const ROUNDS = 4;
const perRound = Math.max(1, Math.round(RUNS / ROUNDS));
const times = new Map<string, number[][]>([...VARIANTS.map((v) => v.name), 'pool', 'gutenye'].map((n) => [n, []]));
let otherError: string | undefined;
const WAIT_QUIET = process.argv.includes('--wait-quiet');
const roundStarts: string[] = [];
for (let r = 0; r < ROUNDS; r++) {
  if (WAIT_QUIET) {
    const q = await waitForQuietCpu();
    roundStarts.push(`${q.busy.toFixed(0)}% busy after ${(q.waitedMs / 1000).toFixed(1)} s`);
  }
  for (const v of VARIANTS) times.get(v.name)!.push(await timeIt(runOf(v), perRound));
  times.get('pool')!.push(await timeIt(() => pooled.read([image], 'en'), perRound));
  const o = runGutenye(COMPARE, speedPath, perRound, []);
  if (typeof o === 'string') otherError = o;
  else times.get('gutenye')!.push(o.times);
}
await pooled.close();
for (const p of loaded.values()) await p.release();
const other = typeof accuracyOther === 'string' ? accuracyOther : (otherError ?? { texts: accuracyOther.texts });

const flat = (name: string): number[] => times.get(name)!.flat();
const base = median(flat('before'));
const gut = typeof other === 'string' ? NaN : median(flat('gutenye'));
/** min-max over rounds of (this row's round median / before's round median). */
const spread = (name: string): string => {
  const rs = times.get(name)!.map((t, r) => median(t) / median(times.get('before')![r]!));
  return `${Math.min(...rs).toFixed(2)}-${Math.max(...rs).toFixed(2)}`.padStart(9);
};

console.log(
  `\nOCR speed: one 1280x${speedHeight} image, 10 text lines (6 English, 4 Chinese), ${ROUNDS} interleaved rounds of ${perRound} runs (each after a warm-up run)`,
);
console.log(
  '| variant        | what changes against "before"                              |  p50 ms |  p99 ms | vs before | rounds    | vs gutenye |',
);
console.log(
  '|----------------|------------------------------------------------------------|---------|---------|-----------|-----------|------------|',
);
const row = (name: string, lever: string): void => {
  const t = flat(name);
  console.log(
    `| ${name.padEnd(14)} | ${lever.padEnd(58)} | ${fmt(median(t))} | ${fmt(percentile(t, 99))} |    ${ratio(median(t) / base)} | ${spread(name)} |     ${ratio(median(t) / gut)} |`,
  );
};
for (const v of VARIANTS) row(v.name, v.lever);
row('pool', '"ppocr" backend as configured by default (1 worker thread)');
if (typeof other === 'string') console.log(`| gutenye        | @gutenye/ocr-node: ${other} |`);
else row('gutenye', '@gutenye/ocr-node 1.x (in a child process, its defaults)');
if (WAIT_QUIET) console.log(`Rounds started at (CPU busy over 0.5 s before each, after waiting): ${roundStarts.join('; ')}`);

const sets = [...new Set(all.map((s) => s.set))];
const accOf = (rows: Read[], set: string, key: 'before' | 'after') =>
  corpusAccuracy(rows.filter((r) => r.set === set).map((r) => ({ truth: r.truth, read: r[key] })));
console.log('\nReading accuracy, spacing repair on: char / word (corpus-level 1 - CER / 1 - WER; Chinese: characters only)');
const accVariants = VARIANTS.filter((v) => !v.sameOutput);
console.log(`| set              | ${accVariants.map((v) => v.name.padEnd(15)).join(' | ')} | gutenye         |`);
console.log(`|------------------|${accVariants.map(() => '-----------------').join('|')}|-----------------|`);
for (const set of sets) {
  const zh = set.startsWith('Chinese');
  const cells = accVariants.map((v) => {
    const a = accOf(reads.get(v.name)!, set, 'after');
    return `${pct(a.char)} / ${zh ? '  -   ' : pct(a.word)}`;
  });
  let g = '      n/a      ';
  if (typeof other !== 'string') {
    const pairs = all.map((s, i) => ({ s, texts: other.texts[i]! })).filter((x) => x.s.set === set);
    const acc = corpusAccuracy(pairs.map((x) => ({ truth: x.s.truth, read: joinRead(set, x.texts) })));
    g = `${pct(acc.char)} / ${pct(acc.word)}`;
  }
  console.log(`| ${set.padEnd(16)} | ${cells.join(' | ')} | ${g} |`);
}

console.log('\nThe English spacing repair ("before" models): char / word without it, then with it');
console.log('| set              | no spacing fix  | spacing fix     |');
console.log('|------------------|-----------------|-----------------|');
for (const set of sets.filter((s) => !s.startsWith('Chinese'))) {
  const b = accOf(reads.get('before')!, set, 'before');
  const a = accOf(reads.get('before')!, set, 'after');
  console.log(`| ${set.padEnd(16)} | ${pct(b.char)} / ${pct(b.word)} | ${pct(a.char)} / ${pct(a.word)} |`);
}
if (process.argv.includes('--show'))
  for (const [name, rows] of reads)
    rows.forEach((r, i) => {
      if (r.after !== reads.get('before')![i]!.after) console.log(name, '|', r.set, '|', r.after);
    });
