// p50/p99 of recognize() on this machine: text-only (local recognizer), one 1280-px image cold and
// cached, and OCR alone. Run: npx tsx bench/latency.ts [--n 200] [--images 20]
// Cold = a never-seen image (fresh cache key); cached = the same image again (OCR cache hit, and
// intake's in-process memo skips decode/resize/PNG encode); "memo off" shows the cache hit alone.
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../src/config/load.ts';
import { createEngine } from '../src/app/engine.ts';
import type { Message } from '../src/core/types.ts';
import { percentile } from './percentile.ts';

const { values } = parseArgs({ options: { n: { type: 'string', default: '300' }, images: { type: 'string', default: '15' } } });
const N = Number(values.n);
const IMAGES = Number(values.images);

const SENTENCES = [
  'Barack Obama meets Angela Merkel in Berlin to talk about NATO',
  'RT @nytimes : Apple unveils new iPhone at event in Cupertino',
  'Watching the Lakers game at Staples Center with Kobe fans tonight',
  'Theresa May says Brexit talks with the European Union will go on',
  'Happy birthday to Taylor Swift ! Concert in New York tomorrow',
];

async function poster(seed: number): Promise<Buffer> {
  const lines = [SENTENCES[seed % 5]!, `Live from London Stadium ${seed}`, 'Organised by the United Nations'];
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1280" height="720">
    <rect width="100%" height="100%" fill="rgb(${(seed * 37) % 255},${240 - (seed % 40)},230)"/>
    ${lines.map((l, i) => `<text x="40" y="${200 + i * 150}" font-family="DejaVu Sans" font-size="44" fill="black">${l}</text>`).join('')}
  </svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 85 }).toBuffer();
}

/** Times fn; when fn returns a number, that is the figure recorded (a stage's own timing). */
async function measure(label: string, runs: number, fn: (i: number) => Promise<unknown>, rows: string[][]): Promise<void> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const own = await fn(i);
    times.push(typeof own === 'number' ? own : performance.now() - t);
  }
  rows.push([label, String(runs), percentile(times, 50).toFixed(2), percentile(times, 99).toFixed(2)]);
}

const config = loadConfig({ overrides: { cache: { url: 'memory://' } } });
const engine = await createEngine(config);
const images = await Promise.all(Array.from({ length: IMAGES }, (_, i) => poster(i + (Date.now() % 1000))));
const rows: string[][] = [];
const msg = (i: number, withImage: boolean): Message => ({
  text: SENTENCES[i % SENTENCES.length]!,
  language: 'en',
  ...(withImage ? { images: [{ kind: 'bytes' as const, bytes: images[i % images.length]! }] } : {}),
});

await engine.recognize(msg(0, false)); // load models before timing
await measure('text only (local recognizer)', N, (i) => engine.recognize(msg(i, false)), rows);
await measure('1280-px image, cold', IMAGES, (i) => engine.recognize(msg(i, true)), rows);
await measure('1280-px image, cached', N, (i) => engine.recognize(msg(i % IMAGES, true)), rows);

const memoOff = await createEngine(loadConfig({ overrides: { cache: { url: 'memory://' }, intake: { memoBytes: 0 } } }));
for (let i = 0; i < IMAGES; i++) await memoOff.recognize(msg(i, true)); // fill its OCR cache
await measure('1280-px image, cached, intake memo off', N, (i) => memoOff.recognize(msg(i % IMAGES, true)), rows);
await memoOff.close();

const ocrOnly = await createEngine(loadConfig({ overrides: { cache: { enabled: false } } }));
await ocrOnly.recognize(msg(0, true)); // load OCR models before timing
await measure(
  'OCR stage alone (timings.ocr, no cache)',
  IMAGES,
  async (i) => {
    const r = await ocrOnly.recognize(msg(i, true));
    return r.timings.ocr;
  },
  rows,
);
await ocrOnly.close();
await engine.close();

const header = ['case', 'runs', 'p50 ms', 'p99 ms'];
const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c]!.length)));
const line = (r: string[]) => '| ' + r.map((x, c) => x.padEnd(widths[c]!)).join(' | ') + ' |';
console.log(line(header));
console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
for (const r of rows) console.log(line(r));
console.log('\ntargets: text p50 <= 5 ms; image p50 <= 300 ms, p99 <= 1000 ms; cached <= 10 ms');
