// OCR benchmark: speed of the own PP-OCRv4 pipeline (and of @gutenye/ocr-node when installed
// in a scratch folder), and reading accuracy with and without the English spacing repair.
//   npx tsx bench/ocr.ts [--runs 20] [--compare /tmp/ocrcmp] [--tweets 150] [--det 960,736]
// --det lists detector input sizes (ocr.detMaxSide) to read and time side by side; the first is
// the one compared with @gutenye/ocr-node.
// --tweets N also reads N tweet lines (Twitter-2017 test, from ../shared/data) drawn in five
// fonts and three sizes, clean and degraded: text the spacing repair was not tuned on.
// --compare names a folder where `npm install @gutenye/ocr-node` was run (kept out of the
// project: it pins sharp 0.33). It runs in a child process so the two sharp builds never meet.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PpOcrPipeline } from '../src/ocr/pipeline.ts';
import { PpOcr, defaultModelFiles } from '../src/ocr/ppocr.ts';
import { readingOrder } from '../src/ocr/reading-order.ts';
import { CHINESE_LINES, ENGLISH_LINES, chinesePage, englishPages, renderPage, type PageSpec } from '../test/ocr/corpus.ts';
import { degrade, renderLines } from '../test/ocr/render.ts';
import { corpusAccuracy } from '../test/ocr/metrics.ts';
import { percentile } from './percentile.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const RUNS = Number(arg('runs', '20'));
const COMPARE = arg('compare', '/tmp/ocrcmp');
const TWEETS = Number(arg('tweets', '0'));
const DET_SIDES = arg('det', '960').split(',').map(Number);
if (DET_SIDES.some((v) => !Number.isInteger(v) || v < 32)) throw new Error(`--det wants sizes like 960,736, got ${arg('det', '')}`);
const TWEET_FILE = join(import.meta.dirname, '../../shared/data/twitter2017/test.txt');

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

interface Sample {
  set: string;
  truth: string;
  png: Buffer;
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
if (Number(runs) > 0) { await ocr.detect(speed); await ocr.detect(speed); }
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

const cfgFor = (detMaxSide: number) => ({
  backend: 'ppocr',
  workers: 1,
  minScore: 0.5,
  detMaxSide,
  englishSpacing: true,
  timeoutMs: 60000,
});
const cfg = cfgFor(DET_SIDES[0]!);
const pipeline = await PpOcrPipeline.load(defaultModelFiles(), 0);
const ownBySide = new Map<number, { set: string; truth: string; before: string; after: string }[]>();
for (const side of DET_SIDES) {
  const rows = [] as { set: string; truth: string; before: string; after: string }[];
  for (const s of all) {
    const raw = await pipeline.run(s.png, cfgFor(side));
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
  ownBySide.set(side, rows);
}
const own = ownBySide.get(DET_SIDES[0]!)!;
const accuracyOther = runGutenye(COMPARE, speedPath, 0, paths);

// Timing in interleaved rounds: the CPU is shared with other work, and a slow spell should hit
// every engine alike rather than whichever ran during it.
const pooled = await PpOcr.create(cfg);
const image = { index: 0, png: speedPng, width: 1280, height: speedHeight, format: 'png', sha256: 'bench' };
const ROUNDS = 4;
const perRound = Math.max(1, Math.round(RUNS / ROUNDS));
const ownTimes: number[] = [];
const sideTimes = new Map<number, number[]>(DET_SIDES.slice(1).map((side) => [side, []]));
const poolTimes: number[] = [];
const otherTimes: number[] = [];
let otherError: string | undefined;
for (let r = 0; r < ROUNDS; r++) {
  ownTimes.push(...(await timeIt(() => pipeline.run(speedPng, cfg), perRound)));
  for (const [side, times] of sideTimes) times.push(...(await timeIt(() => pipeline.run(speedPng, cfgFor(side)), perRound)));
  poolTimes.push(...(await timeIt(() => pooled.read([image], 'en'), perRound)));
  const o = runGutenye(COMPARE, speedPath, perRound, []);
  if (typeof o === 'string') otherError = o;
  else otherTimes.push(...o.times);
}
await pooled.close();
await pipeline.release();
const other = typeof accuracyOther === 'string' ? accuracyOther : (otherError ?? { times: otherTimes, texts: accuracyOther.texts });

console.log(
  `\nOCR speed: one 1280x${speedHeight} image, 10 text lines (6 English, 4 Chinese), ${ROUNDS} interleaved rounds of ${perRound} runs (each after 2 warm-up runs)`,
);
console.log('| engine                                   |  p50 ms |  p99 ms |');
console.log('|------------------------------------------|---------|---------|');
console.log(
  `| own PP-OCRv4, in-process (det ${String(DET_SIDES[0]).padStart(4)})     | ${fmt(percentile(ownTimes, 50))} | ${fmt(percentile(ownTimes, 99))} |`,
);
for (const [side, times] of sideTimes)
  console.log(
    `| own PP-OCRv4, in-process (det ${String(side).padStart(4)})     | ${fmt(percentile(times, 50))} | ${fmt(percentile(times, 99))} |`,
  );
console.log(`| own PP-OCRv4, "ppocr" backend (1 worker) | ${fmt(percentile(poolTimes, 50))} | ${fmt(percentile(poolTimes, 99))} |`);
if (typeof other === 'string') console.log(`| @gutenye/ocr-node                        | ${other} |`);
else
  console.log(`| @gutenye/ocr-node 1.x (in-process)       | ${fmt(percentile(other.times, 50))} | ${fmt(percentile(other.times, 99))} |`);

console.log('\nReading accuracy (corpus-level 1 - CER / 1 - WER; Chinese: characters only)');
console.log('| set              | own, no spacing fix | own, spacing fix    | @gutenye/ocr-node   |');
console.log('|                  |  char  |  word      |  char  |  word      |  char  |  word      |');
console.log('|------------------|--------|------------|--------|------------|--------|------------|');
for (const set of [...new Set(all.map((s) => s.set))]) {
  const rows = own.filter((r) => r.set === set);
  const b = corpusAccuracy(rows.map((r) => ({ truth: r.truth, read: r.before })));
  const a = corpusAccuracy(rows.map((r) => ({ truth: r.truth, read: r.after })));
  let g = '   n/a |    n/a    ';
  if (typeof other !== 'string') {
    const pairs = all.map((s, i) => ({ s, texts: other.texts[i]! })).filter((x) => x.s.set === set);
    const acc = corpusAccuracy(pairs.map((x) => ({ truth: x.s.truth, read: joinRead(set, x.texts) })));
    g = `${pct(acc.char)} | ${pct(acc.word)}    `;
  }
  const zh = set.startsWith('Chinese');
  console.log(
    `| ${set.padEnd(16)} | ${pct(b.char)} | ${zh ? '   -  ' : pct(b.word)}     | ${pct(a.char)} | ${zh ? '   -  ' : pct(a.word)}     | ${g} |`,
  );
}
if (process.argv.includes('--show')) for (const r of own) console.log(r.set, '|', r.after);

if (DET_SIDES.length > 1) {
  console.log('\nReading accuracy by detector size (ocr.detMaxSide), spacing fix on; char / word');
  console.log('| set              | ' + DET_SIDES.map((d) => `det ${String(d).padStart(4)}      `).join(' | ') + ' |');
  console.log('|------------------|' + DET_SIDES.map(() => '-----------------').join('|') + '|');
  for (const set of [...new Set(all.map((s) => s.set))]) {
    const zh = set.startsWith('Chinese');
    const cells = DET_SIDES.map((d) => {
      const acc = corpusAccuracy(
        ownBySide
          .get(d)!
          .filter((r) => r.set === set)
          .map((r) => ({ truth: r.truth, read: r.after })),
      );
      return `${pct(acc.char)} / ${zh ? '  -   ' : pct(acc.word)}`;
    });
    console.log(`| ${set.padEnd(16)} | ${cells.join(' | ')} |`);
  }
}
