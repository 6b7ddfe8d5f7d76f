// Where the OCR time goes: each step of the pipeline on the bench's speed image, timed on its
// own with the shipped default files (fold), p50 over --runs after a warm-up.
//   npx tsx bench/ocr-steps.ts [--runs 12] [--model fold|fp32]
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { boxesFromProbabilityMap, DB_DEFAULTS } from '../src/ocr/det-postprocess.ts';
import { cropLine, REC_HEIGHT, type RgbImage } from '../src/ocr/crop.ts';
import { ctcGreedyDecode } from '../src/ocr/ctc.ts';
import { detSize, detectorInput, loadDictionary, recognizerInput, REC_MIN_WIDTH } from '../src/ocr/pipeline.ts';
import { modelFiles } from '../src/ocr/ppocr.ts';
import { CHINESE_LINES, ENGLISH_LINES } from '../test/ocr/corpus.ts';
import { renderLines } from '../test/ocr/render.ts';
import { percentile } from './percentile.ts';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const RUNS = Number(arg('runs', '12'));
const files = modelFiles(arg('model', 'fold') as 'fold' | 'fp32');

const png = await renderLines(1280, [...ENGLISH_LINES.slice(0, 6), ...CHINESE_LINES.slice(0, 4)], {
  size: 34,
  font: 'WenQuanYi Micro Hei',
  x: 40,
});

async function time<T>(name: string, fn: () => Promise<T> | T): Promise<T> {
  let out = await fn();
  const t: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    out = await fn();
    t.push(performance.now() - s);
  }
  console.log(
    `${name.padEnd(44)} p50 ${percentile(t, 50).toFixed(1).padStart(7)} ms   min ${Math.min(...t)
      .toFixed(1)
      .padStart(7)}`,
  );
  return out;
}

const session = (threads: number) =>
  ({
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
    extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
  }) as const;

const decoded = await time('PNG decode (sharp, raw RGB)', async () => {
  const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  return {
    data: new Uint8Array(data.buffer, data.byteOffset, data.length),
    width: info.width,
    height: info.height,
    channels: 3,
  } as RgbImage;
});
const [w, h] = detSize(decoded.width, decoded.height, 960);
console.log(`image ${decoded.width}x${decoded.height}, detector input ${w}x${h}`);
const resized = await time('det resize (sharp from raw)', () =>
  sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 3 } })
    .resize(w, h, { fit: 'fill' })
    .raw()
    .toBuffer(),
);
const input = await time('det normalise (LUT)', () => detectorInput(resized, w, h));
let prob: ort.Tensor | undefined;
for (const threads of [1, 2]) {
  const det = await ort.InferenceSession.create(files.detection, session(threads));
  prob = await time(`detector ${w}x${h}, ${threads} intra-op thread(s)`, async () => {
    const out = await det.run({ [det.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) });
    return out[det.outputNames[0]!]!;
  });
  for (const side of [640, 480]) {
    const [sw, sh] = detSize(decoded.width, decoded.height, side);
    const small = detectorInput(
      await sharp(decoded.data, { raw: { width: decoded.width, height: decoded.height, channels: 3 } })
        .resize(sw, sh, { fit: 'fill' })
        .raw()
        .toBuffer(),
      sw,
      sh,
    );
    await time(`detector ${sw}x${sh}, ${threads} intra-op thread(s)`, () =>
      det.run({ [det.inputNames[0]!]: new ort.Tensor('float32', small, [1, 3, sh, sw]) }),
    );
  }
  await det.release();
}
const [, , mh, mw] = prob!.dims as number[];
const boxes = await time('DB boxes', () => boxesFromProbabilityMap(prob!.data as Float32Array, mw!, mh!, DB_DEFAULTS));
const sx = decoded.width / mw!;
const sy = decoded.height / mh!;
const quads = boxes.map((b) => b.quad.map(([x, y]) => [x * sx, y * sy]) as [number, number][]);
const crops = await time(`crops (${quads.length})`, () => quads.map((q) => cropLine(decoded, q as never)));
console.log(`crop widths ${crops.map((c) => c.width).join(' ')}`);
const widthOf = (c: { width: number }) => Math.max(REC_MIN_WIDTH, c.width + 16);
const inputs = await time('rec inputs (one per crop, +16 pad)', () => crops.map((c) => recognizerInput([c], widthOf(c))));
const dictionary = loadDictionary(files.dictionary);
for (const threads of [1, 2]) {
  const rec = await ort.InferenceSession.create(files.recognition, session(threads));
  const outs = await time(`recognizer, one run per crop, ${threads} thread(s)`, async () => {
    const o: ort.Tensor[] = [];
    for (let i = 0; i < crops.length; i++)
      o.push(
        (await rec.run({ [rec.inputNames[0]!]: new ort.Tensor('float32', inputs[i]!, [1, 3, REC_HEIGHT, widthOf(crops[i]!)]) }))[
          rec.outputNames[0]!
        ]!,
      );
    return o;
  });
  if (threads === 1) {
    for (let i = 0; i < crops.length; i++) {
      await time(
        `  crop ${i} width ${widthOf(crops[i]!)}`,
        async () => await rec.run({ [rec.inputNames[0]!]: new ort.Tensor('float32', inputs[i]!, [1, 3, REC_HEIGHT, widthOf(crops[i]!)]) }),
      );
    }
    await time('CTC decode', () =>
      outs.map((o) => {
        const [, steps, classes] = o.dims as number[];
        return ctcGreedyDecode(o.data as Float32Array, 0, steps!, classes!, dictionary, steps!);
      }),
    );
  }
  await rec.release();
}
