// Calibration inputs for static INT8 quantization of the PP-OCRv4 detector and recognizer:
// the exact tensors the runtime feeds them (src/ocr/pipeline.ts), written as raw float32 files
// with a manifest that tools/ocr-quantize/quantize.py reads.
//   npx tsx tools/ocr-quantize/calibration.ts --out var/ocr-calibration [--data ../shared/data]
// The images are drawn here from the train splits' text (Twitter-2015 train, CMNER train: never
// the test lines bench/ocr.ts scores), in several fonts, sizes and colours, clean and degraded,
// plus the real Weibo photos in cmner/examples. Nothing from ../shared/data is copied into the
// repository: the output goes to a scratch folder.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { defaultModelFiles } from '../../src/ocr/ppocr.ts';
import { detectorInput, detSize, PpOcrPipeline, recognizerInput, REC_MIN_WIDTH } from '../../src/ocr/pipeline.ts';
import { degrade, renderLines } from '../../test/ocr/render.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const OUT = arg('out', 'var/ocr-calibration');
const DATA = arg('data', join(import.meta.dirname, '../../../shared/data'));
const DET_IMAGES = Number(arg('det-images', '40'));
const REC_CROPS = Number(arg('rec-crops', '300'));
const DET_SIDE = Number(arg('det', '960'));

function need(path: string): string {
  if (!existsSync(path))
    throw new Error(`calibration data not found: ${path} (pass --data DIR, the folder holding twitter2015/ and cmner/)`);
  return path;
}

/** Sentences of CoNLL-style files (token<TAB>tag lines, blank line between posts). */
function sentences(file: string, joiner: string, skip: RegExp): string[] {
  return readFileSync(need(file), 'utf8')
    .replace(/\r/g, '')
    .split(/\n\s*\n/)
    .map((post) =>
      post
        .split('\n')
        .filter((l) => l && !skip.test(l))
        .map((l) => l.split('\t')[0]!)
        .join(joiner),
    )
    .filter((s) => s.length >= 8);
}

const english = sentences(join(DATA, 'twitter2015/train.txt'), ' ', /^IMGID:/)
  .map((s) => s.replace(/https?:\/\/\S+/g, '').trim())
  .filter((s) => /^[\x20-\x7e]+$/.test(s))
  .map((s) => s.slice(0, 60));
const chinese = sentences(join(DATA, 'cmner/train.txt'), '', /^WID:/).map((s) => s.slice(0, 22));

const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono', 'DejaVu Sans Condensed', 'WenQuanYi Micro Hei'];
const STYLES = [
  { fill: '#111111', background: '#ffffff' },
  { fill: '#f5f5f5', background: '#1d2b44' },
  { fill: '#203060', background: '#f0e6c8' },
];

async function drawnImages(count: number): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let k = 0; out.length < count; k++) {
    const zh = k % 3 === 2;
    const pool = zh ? chinese : english;
    const lines = Array.from({ length: 3 + (k % 6) }, (_, i) => pool[(k * 7 + i * 13) % pool.length]!);
    const style = STYLES[k % STYLES.length]!;
    const png = await renderLines(zh ? 960 : 1280, lines, {
      size: [20, 26, 34, 44][k % 4]!,
      font: zh ? 'WenQuanYi Micro Hei' : FONTS[k % FONTS.length]!,
      x: 20 + (k % 5) * 15,
      ...style,
    });
    out.push(k % 2 === 1 ? await degrade(png, k + 1) : png);
  }
  return out;
}

function realImages(): Buffer[] {
  const dir = join(DATA, 'cmner/examples/images');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort()
    .map((f) => readFileSync(join(dir, f)));
}

interface Entry {
  file: string;
  shape: number[];
}

mkdirSync(join(OUT, 'det'), { recursive: true });
mkdirSync(join(OUT, 'rec'), { recursive: true });
const pipeline = await PpOcrPipeline.load(defaultModelFiles(), 0);
const real = realImages();
const images = [...(await drawnImages(Math.max(0, DET_IMAGES - Math.min(real.length, DET_IMAGES / 2)))), ...real.slice(0, DET_IMAGES / 2)];
const det: Entry[] = [];
const rec: Entry[] = [];
// Every line of the first images until REC_CROPS: lines of one image share a style, so the cap keeps images varied.
const cropsPerImage = Math.max(4, Math.ceil((2 * REC_CROPS) / images.length));
for (const [i, img] of images.entries()) {
  const png = await sharp(img).rotate().png().toBuffer();
  const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  const [w, h] = detSize(info.width, info.height, DET_SIDE);
  const resized = await sharp(data, { raw: { width: info.width, height: info.height, channels: 3 } })
    .resize(w, h, { fit: 'fill' })
    .raw()
    .toBuffer();
  const file = `det/${String(i).padStart(3, '0')}.f32`;
  writeFileSync(join(OUT, file), detectorInput(resized, w, h));
  det.push({ file, shape: [1, 3, h, w] });
  const { crops } = await pipeline.analyse(png, DET_SIDE);
  for (const [j, crop] of crops.slice(0, cropsPerImage).entries()) {
    if (rec.length >= REC_CROPS) break;
    const width = Math.max(REC_MIN_WIDTH, crop.width);
    const cfile = `rec/${String(i).padStart(3, '0')}-${String(j).padStart(2, '0')}.f32`;
    writeFileSync(join(OUT, cfile), recognizerInput([crop], width));
    rec.push({ file: cfile, shape: [1, 3, crop.height, width] });
  }
}
await pipeline.release();
writeFileSync(
  join(OUT, 'manifest.json'),
  `${JSON.stringify({ detSide: DET_SIDE, drawn: images.length - Math.min(real.length, DET_IMAGES / 2), real: Math.min(real.length, DET_IMAGES / 2), det, rec }, null, 1)}\n`,
);
console.log(`${det.length} detector inputs, ${rec.length} recognizer crops -> ${OUT}/manifest.json`);
