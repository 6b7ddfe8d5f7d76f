// The PP-OCRv4 pipeline on onnxruntime-node: DB detection -> crops -> CTC recognition.
// Runs inside an OCR worker thread; everything here is synchronous CPU work or ONNX calls.
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { boxesFromProbabilityMap, DB_DEFAULTS } from './det-postprocess.ts';
import { cropWidth, type LineCrop, type RgbImage } from './crop.ts';
import type { DecodedLine } from './ctc.ts';
import { loadDictionary, readRun, type LineRun, type ReadLine } from './line-runs.ts';
import { restoreEnglishSpaces } from './spacing.ts';
import { inkOutside, inkRegion, plainBackground } from './ink-region.ts';
import { RecHelperClient } from './rec-split.ts';
import { loadWordCosts, type WordCosts } from './word-costs.ts';
import { distance, type Quad } from './geometry.ts';

export interface ModelFiles {
  detection: string;
  recognition: string;
  dictionary: string;
  /** Frequency-ranked English words (JSON array) for the spacing repair. */
  englishWords: string;
}

export interface RunSettings {
  detMaxSide: number;
  englishSpacing: boolean;
}

/**
 * Asked between the pipeline's steps (after decoding, after detection, before each recognizer
 * batch): true when the job is no longer wanted. An ONNX call cannot be interrupted, so a
 * cancelled job stops at the next step.
 */
export type StopCheck = () => boolean;

/** Thrown by the pipeline when its StopCheck said stop; `step` names the step it stopped before. */
export class OcrStopped extends Error {
  override readonly name = 'OcrStopped';
  constructor(readonly step: 'detect' | 'recognize') {
    super(`OCR stopped before ${step}`);
  }
}

export interface RawLine {
  text: string;
  /** Text before space repair, for measuring what the repair did. */
  rawText: string;
  box: Quad;
  score: number;
}

const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];
/** Upper bound on crops per recognizer run (PaddleOCR's rec_batch_num). */
const REC_BATCH = 6;
/** PaddleOCR's minimum recognizer width (48 x 320). */
export const REC_MIN_WIDTH = 320;
/**
 * A batch is padded to its widest crop, and recognizer time grows with the padded width
 * (measured ~linear: 1x320 12 ms, 1x1600 88 ms, 3x320 37 ms, one thread). On a CPU a batch saves
 * almost nothing per column, so crops share a run only while padding adds at most this share.
 */
const REC_PAD_SLACK = 0.15;
/** Per channel, byte -> normalised detector input (ImageNet mean/std, BGR order applied by the caller). */
const DET_LUT = DET_MEAN.map((mean, c) => Float32Array.from({ length: 256 }, (_, v) => (v / 255 - mean) / DET_STD[c]!));

export { loadDictionary, recognizerInput } from './line-runs.ts';

export function detSize(width: number, height: number, maxSide: number): [number, number] {
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const round32 = (v: number): number => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return [round32(width), round32(height)];
}

/** Detector input (1 x 3 x h x w) from `w` x `h` interleaved RGB bytes. */
export function detectorInput(rgb: Uint8Array, w: number, h: number): Float32Array {
  const input = new Float32Array(3 * w * h);
  const plane = w * h;
  // PaddleOCR feeds BGR (OpenCV order), normalised with ImageNet statistics in that order.
  for (let c = 0; c < 3; c++) {
    const lut = DET_LUT[c]!;
    const out = c * plane;
    for (let i = 0, src = 2 - c; i < plane; i++, src += 3) input[out + i] = lut[rgb[src]!]!;
  }
  return input;
}

/**
 * Crop indices grouped for recognition: sorted by width, a crop joins the current batch only
 * while the batch padded to its widest member costs at most REC_PAD_SLACK more than unpadded.
 */
export function recognitionBatches(widths: number[], minWidth = REC_MIN_WIDTH): number[][] {
  const order = widths.map((_, i) => i).sort((a, b) => widths[a]! - widths[b]!);
  const padded = (w: number): number => Math.max(minWidth, w);
  const batches: number[][] = [];
  let batch: number[] = [];
  let sum = 0;
  for (const i of order) {
    const w = padded(widths[i]!);
    // Sorted ascending, so the newcomer is the widest: the batch would cost (n + 1) * w.
    if (batch.length > 0 && (batch.length >= REC_BATCH || (batch.length + 1) * w > (1 + REC_PAD_SLACK) * (sum + w))) {
      batches.push(batch);
      batch = [];
      sum = 0;
    }
    batch.push(i);
    sum += w;
  }
  if (batch.length) batches.push(batch);
  return batches;
}

/** How the pipeline runs the models: what bench/ocr.ts varies. Output-neutral except the rec fields. */
export interface PipelineTuning {
  graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  interOpThreads: number;
  executionMode: 'sequential' | 'parallel';
  /** onnxruntime's CPU memory arena (buffers kept for reuse between runs). */
  memArena: boolean;
  /** 'batches': crops of similar width share a run, padded to the widest; 'single': one run per crop. */
  recBatching: 'batches' | 'single';
  /** Crops narrower than this are padded to it (PaddleOCR pads to 320). */
  recMinWidth: number;
  /** Crop input widths are rounded up to a multiple of this (padding on the right). */
  recWidthStep: number;
  /**
   * At least this many padding columns after each crop: a character at the very end of an
   * unpadded crop is misread more often ("OpenAI" read "OpenAl" with 0, right with 16).
   */
  recEndPad: number;
  /**
   * Detect only inside the box that holds ink (src/ocr/ink-region.ts), at the scale the whole
   * image would get: a sparse image's empty margins cost no detector time.
   */
  detInkCrop: boolean;
  /**
   * Recognize an image's crops on two threads: the pipeline's own recognizer and one in a helper
   * thread (src/ocr/rec-helper.ts), each with half the intra-op threads, the runs shared out by cost.
   * Measured faster than one recognizer on two intra-op threads (convolutions over 48 px high
   * strips do not split well); costs a second recognizer's memory per OCR worker.
   */
  recSplit: boolean;
  /**
   * 0: off. Else, on a plain background and where the full pass's map would be at least 4/3 of
   * this (FIRST_PASS_SHARE), detect first with the longest side at most this: where
   * every box found is at least DET_MIN_BOX detector pixels high and all the ink lies in the boxes,
   * those boxes are used; else detect again at the scale the smallest box asks for (or at
   * detMaxSide). Large text needs no 960 px map; small text still gets one.
   */
  detFirstSide: number;
}

/** The settings the pipeline ran with before the speed work (issue 12 part 5). */
export const TUNING_BEFORE: PipelineTuning = {
  graphOptimizationLevel: 'all',
  interOpThreads: 1,
  executionMode: 'sequential',
  memArena: true,
  recBatching: 'batches',
  recMinWidth: REC_MIN_WIDTH,
  recWidthStep: 1,
  recEndPad: 0,
  detInkCrop: false,
  recSplit: false,
  detFirstSide: 0,
};

/** Margin kept around the ink, in detector pixels: room for DB's unclip of boxes at the edge. */
const INK_MARGIN = 32;
/**
 * The shortest box side (detector map pixels) the first, small detection pass may keep. A line's
 * box is ~1.15x its font size in the map (34 px text at 480 of 1280 px: 14.8). Drawn lines are
 * found and read right down to ~5 px font size in the map (16 px text at 416 px, 20 px at 320,
 * 26 px at 256; below that nothing is found): a box this high holds text of ~12 px, over twice that.
 */
export const DET_MIN_BOX = 14;
/**
 * The first pass runs only where its map is at most this share of the full one's longest side:
 * nearly the same scale saves nothing and only moves the boxes a little (a 497 px wide "BEIJING
 * 2024" read "BEJING" at 480 against "BEIJING" at 512, test/finetune/llava-ocr.test.ts).
 */
const FIRST_PASS_SHARE = 0.75;
/** Ink this far (image px) outside a box still counts as the box's (antialiasing, unclip rounding). */
const INK_TOLERANCE = 3;
/** Sampled ink pixels outside every box a first pass may leave: a speck, not a missed word. */
const INK_MISSED = 8;

export class PpOcrPipeline {
  private constructor(
    private readonly det: ort.InferenceSession,
    private readonly rec: ort.InferenceSession,
    private readonly dictionary: string[],
    private readonly words: WordCosts,
    private readonly tuning: PipelineTuning,
    private readonly helper?: RecHelperClient,
  ) {}

  static async load(files: ModelFiles, intraOpThreads: number, tuning: PipelineTuning = TUNING_BEFORE): Promise<PpOcrPipeline> {
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: tuning.interOpThreads,
      graphOptimizationLevel: tuning.graphOptimizationLevel,
      executionMode: tuning.executionMode,
      enableCpuMemArena: tuning.memArena,
      // Warnings only: the quantized graphs make onnxruntime list every initializer it prunes.
      logSeverityLevel: 3,
      // Spinning intra-op threads wait for a sibling the OS has descheduled when another process
      // holds a core: measured 2.3x slower detection (960 px) on 2 shared cores; without
      // spinning, 2 threads are as fast as 1 there and faster on an idle machine.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    const det = await ort.InferenceSession.create(files.detection, opts);
    // Split only where this pipeline has two cores to give (0: onnxruntime's default, all cores):
    // with one thread each, OCR workers already share the cores out.
    const cores = intraOpThreads === 0 ? availableParallelism() : intraOpThreads;
    const split = tuning.recSplit && cores >= 2;
    // The two recognizers share this pipeline's threads (1 + 1 on the 2-core machine measured).
    const recOpts = split ? { ...opts, intraOpNumThreads: Math.floor(cores / 2) } : opts;
    const rec = await ort.InferenceSession.create(files.recognition, recOpts);
    const helper = split ? await RecHelperClient.start(files.recognition, files.dictionary, recOpts) : undefined;
    return new PpOcrPipeline(det, rec, loadDictionary(files.dictionary), loadWordCosts(files.englishWords), tuning, helper);
  }

  async run(png: Uint8Array, settings: RunSettings, stop?: StopCheck): Promise<RawLine[]> {
    const { quads, crops, decoded } = await this.analyse(png, settings.detMaxSide, stop);
    return decoded.map((d, i) => {
      const rawText = d.line.chars.map((c) => c.char).join('');
      const text = settings.englishSpacing ? restoreEnglishSpaces(d.line.chars, crops[i]!, d.stride, this.words) : rawText;
      return { text: text.trim(), rawText: rawText.trim(), box: quads[i]!, score: d.line.score };
    });
  }

  /** Every intermediate result, for measuring (bench/ocr.ts) as well as for run(). */
  async analyse(
    png: Uint8Array,
    detMaxSide: number,
    stop: StopCheck = () => false,
  ): Promise<{ quads: Quad[]; crops: LineCrop[]; decoded: { line: DecodedLine; stride: number }[] }> {
    // Decoded once: detection resizes these pixels rather than decoding the PNG a second time.
    const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    // With a helper the pixels go to shared memory (one copy, ~1 ms for 6 MB), which the helper
    // thread then reads for its own crops.
    const pixels = this.helper
      ? new Uint8Array(new SharedArrayBuffer(data.length))
      : new Uint8Array(data.buffer, data.byteOffset, data.length);
    if (this.helper) pixels.set(data);
    const image: RgbImage = { data: pixels, width: info.width, height: info.height, channels: 3 };
    if (stop()) throw new OcrStopped('detect');
    const quads = await this.detect(image, detMaxSide, stop);
    if (stop()) throw new OcrStopped('recognize');
    const read = quads.length ? await this.recognize(image, quads, stop) : [];
    return { quads, crops: read.map((r) => r.crop), decoded: read.map(({ line, stride }) => ({ line, stride })) };
  }

  private async detect(image: RgbImage, maxSide: number, stop: StopCheck): Promise<Quad[]> {
    const first = this.tuning.detFirstSide;
    const full = detSize(image.width, image.height, maxSide);
    const background = first > 0 && first <= Math.max(...full) * FIRST_PASS_SHARE ? plainBackground(image) : undefined;
    if (!background) return (await this.detectAt(image, maxSide)).quads;
    const low = await this.detectAt(image, first);
    // A second pass is a whole detector run: not started for a job no longer wanted.
    const again = async (side: number): Promise<Quad[]> => {
      if (stop()) throw new OcrStopped('detect');
      return (await this.detectAt(image, side)).quads;
    };
    if (low.quads.length === 0 || inkOutside(image, background, low.quads, INK_TOLERANCE) > INK_MISSED) return again(maxSide);
    if (low.shortest >= DET_MIN_BOX) return low.quads;
    // Every ink pixel has a box, but some are small: the scale that makes the smallest DET_MIN_BOX high.
    const side = Math.min(maxSide, Math.ceil((Math.max(...detSize(image.width, image.height, first)) * DET_MIN_BOX) / low.shortest));
    return again(side);
  }

  /** Boxes in image coordinates, and the shortest box side in detector map pixels. */
  private async detectAt(image: RgbImage, maxSide: number): Promise<{ quads: Quad[]; shortest: number }> {
    // The scale the whole image gets; with detInkCrop only the inked part is fed at that scale.
    const [fw, fh] = detSize(image.width, image.height, maxSide);
    const region = this.tuning.detInkCrop
      ? inkRegion(image, Math.ceil(INK_MARGIN * (image.width / fw)))
      : { x: 0, y: 0, width: image.width, height: image.height };
    const whole = region.width === image.width && region.height === image.height;
    const w = whole ? fw : Math.max(32, Math.round((region.width * (fw / image.width)) / 32) * 32);
    const h = whole ? fh : Math.max(32, Math.round((region.height * (fh / image.height)) / 32) * 32);
    const raw = { width: image.width, height: image.height, channels: 3 as const };
    const source = sharp(image.data, { raw });
    if (!whole) source.extract({ left: region.x, top: region.y, width: region.width, height: region.height });
    const resized = await source.resize(w, h, { fit: 'fill' }).raw().toBuffer();
    const input = detectorInput(resized, w, h);
    const feeds = { [this.det.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) };
    const out = await this.det.run(feeds);
    const prob = out[this.det.outputNames[0]!]!;
    const [, , mh, mw] = prob.dims as number[];
    const boxes = boxesFromProbabilityMap(prob.data as Float32Array, mw!, mh!, DB_DEFAULTS);
    const sx = region.width / mw!;
    const sy = region.height / mh!;
    const clampX = (v: number): number => Math.min(Math.max(v, 0), image.width);
    const clampY = (v: number): number => Math.min(Math.max(v, 0), image.height);
    const shortest = Math.min(...boxes.map(({ quad: q }) => Math.min(distance(q[0], q[1]), distance(q[1], q[2]))));
    return { quads: boxes.map((b) => b.quad.map(([x, y]) => [clampX(region.x + x * sx), clampY(region.y + y * sy)]) as Quad), shortest };
  }

  private async recognize(image: RgbImage, quads: Quad[], stop: StopCheck): Promise<ReadLine[]> {
    const results: ReadLine[] = new Array(quads.length);
    const { recBatching, recMinWidth, recWidthStep, recEndPad } = this.tuning;
    // Planned from the quads alone, so the helper gets its share before any crop is cut.
    const widths = quads.map(cropWidth);
    const batches = recBatching === 'single' ? widths.map((_, i) => [i]) : recognitionBatches(widths, recMinWidth);
    const runs = batches.map((batch) => {
      const widest = Math.max(recMinWidth, ...batch.map((i) => widths[i]! + recEndPad));
      return { batch, width: Math.ceil(widest / recWidthStep) * recWidthStep };
    });
    const lineRun = (run: { batch: number[]; width: number }): LineRun => ({ quads: run.batch.map((i) => quads[i]!), width: run.width });
    const place = (run: { batch: number[] }, lines: ReadLine[]): void => run.batch.forEach((ci, b) => (results[ci] = lines[b]!));
    // With a helper: the costliest runs first, each to the side with less work so far; the
    // helper's share is sent before this thread starts on its own.
    const own: typeof runs = [];
    const helped: typeof runs = [];
    if (this.helper && runs.length > 1) {
      let mine = 0;
      let theirs = 0;
      for (const run of [...runs].sort((a, b) => b.batch.length * b.width - a.batch.length * a.width)) {
        const cost = run.batch.length * run.width;
        if (mine <= theirs) {
          own.push(run);
          mine += cost;
        } else {
          helped.push(run);
          theirs += cost;
        }
      }
    } else own.push(...runs);
    const away = helped.length ? this.helper!.run(image, helped.map(lineRun)) : undefined;
    // Settled here if this thread stops or fails first, so a rejection is never left unhandled.
    const settled = away?.then(
      () => undefined,
      () => undefined,
    );
    for (const run of own) {
      // The crops not yet recognized are skipped once the job is no longer wanted; the helper's
      // run in flight is waited for first (the rest of its share is skipped): terminating a thread
      // while it is inside onnxruntime aborts the process ('terminate called after throwing an
      // instance of Napi::Error', also for the OCR worker itself), so none is left running.
      if (stop()) {
        this.helper?.stop();
        await settled;
        throw new OcrStopped('recognize');
      }
      place(run, await readRun(this.rec, image, lineRun(run), this.dictionary));
    }
    if (away) {
      // This thread is free while it waits, so it keeps watching the stop check for the helper,
      // which then skips the runs it has not started (a shared flag, read between runs).
      const watch = setInterval(() => {
        if (stop()) this.helper!.stop();
      }, 5);
      try {
        const { lines, stopped } = await away;
        if (stopped) throw new OcrStopped('recognize');
        lines.forEach((l, k) => place(helped[k]!, l));
      } finally {
        clearInterval(watch);
      }
    }
    return results;
  }

  async release(): Promise<void> {
    await this.helper?.close();
    await this.det.release();
    await this.rec.release();
  }
}
