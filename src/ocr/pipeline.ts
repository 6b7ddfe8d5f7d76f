// The PP-OCRv4 pipeline on onnxruntime-node: DB detection -> crops -> CTC recognition.
// Runs inside an OCR worker thread; everything here is synchronous CPU work or ONNX calls.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { boxesFromProbabilityMap, DB_DEFAULTS } from './det-postprocess.ts';
import { cropLine, REC_HEIGHT, type LineCrop, type RgbImage } from './crop.ts';
import { ctcGreedyDecode, type DecodedLine } from './ctc.ts';
import { restoreEnglishSpaces } from './spacing.ts';
import { loadWordCosts, type WordCosts } from './word-costs.ts';
import type { Quad } from './geometry.ts';

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

export interface RawLine {
  text: string;
  /** Text before space repair, for measuring what the repair did. */
  rawText: string;
  box: Quad;
  score: number;
}

const DET_MEAN = [0.485, 0.456, 0.406];
const DET_STD = [0.229, 0.224, 0.225];
/** Crops are recognised in batches of similar width (PaddleOCR's rec_batch_num). */
const REC_BATCH = 6;
/** PaddleOCR's minimum recognizer width (48 x 320). */
const REC_MIN_WIDTH = 320;

export function loadDictionary(path: string): string[] {
  const chars = readFileSync(path, 'utf8').split('\n').map((l) => l.replace(/\r$/, ''));
  if (chars[chars.length - 1] === '') chars.pop();
  // PaddleOCR appends the space as the last class (use_space_char).
  chars.push(' ');
  return chars;
}

function detSize(width: number, height: number, maxSide: number): [number, number] {
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const round32 = (v: number): number => Math.max(32, Math.round((v * ratio) / 32) * 32);
  return [round32(width), round32(height)];
}

export class PpOcrPipeline {
  private constructor(
    private readonly det: ort.InferenceSession,
    private readonly rec: ort.InferenceSession,
    private readonly dictionary: string[],
    private readonly words: WordCosts,
  ) {}

  static async load(files: ModelFiles, intraOpThreads: number): Promise<PpOcrPipeline> {
    const opts: ort.InferenceSession.SessionOptions = {
      executionProviders: ['cpu'],
      intraOpNumThreads: intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
    };
    const det = await ort.InferenceSession.create(files.detection, opts);
    const rec = await ort.InferenceSession.create(files.recognition, opts);
    return new PpOcrPipeline(det, rec, loadDictionary(files.dictionary), loadWordCosts(files.englishWords));
  }

  async run(png: Uint8Array, settings: RunSettings): Promise<RawLine[]> {
    const { quads, crops, decoded } = await this.analyse(png, settings.detMaxSide);
    return decoded.map((d, i) => {
      const rawText = d.line.chars.map((c) => c.char).join('');
      const text = settings.englishSpacing ? restoreEnglishSpaces(d.line.chars, crops[i]!, d.stride, this.words) : rawText;
      return { text: text.trim(), rawText: rawText.trim(), box: quads[i]!, score: d.line.score };
    });
  }

  /** Every intermediate result, for measuring (bench/ocr.ts) as well as for run(). */
  async analyse(png: Uint8Array, detMaxSide: number): Promise<{ quads: Quad[]; crops: LineCrop[]; decoded: { line: DecodedLine; stride: number }[] }> {
    const { data, info } = await sharp(png).removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const image: RgbImage = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
    const quads = await this.detect(png, image, detMaxSide);
    const crops = quads.map((q) => cropLine(image, q));
    const decoded = crops.length ? await this.recognize(crops) : [];
    return { quads, crops, decoded };
  }

  private async detect(png: Uint8Array, image: RgbImage, maxSide: number): Promise<Quad[]> {
    const [w, h] = detSize(image.width, image.height, maxSide);
    const resized = await sharp(png).removeAlpha().toColourspace('srgb').resize(w, h, { fit: 'fill' }).raw().toBuffer();
    const input = new Float32Array(3 * w * h);
    const plane = w * h;
    // PaddleOCR feeds BGR (OpenCV order), normalised with ImageNet statistics in that order.
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        input[c * plane + i] = (resized[i * 3 + (2 - c)]! / 255 - DET_MEAN[c]!) / DET_STD[c]!;
      }
    }
    const feeds = { [this.det.inputNames[0]!]: new ort.Tensor('float32', input, [1, 3, h, w]) };
    const out = await this.det.run(feeds);
    const prob = out[this.det.outputNames[0]!]!;
    const [, , mh, mw] = prob.dims as number[];
    const boxes = boxesFromProbabilityMap(prob.data as Float32Array, mw!, mh!, DB_DEFAULTS);
    const sx = image.width / mw!;
    const sy = image.height / mh!;
    const clampX = (v: number): number => Math.min(Math.max(v, 0), image.width);
    const clampY = (v: number): number => Math.min(Math.max(v, 0), image.height);
    return boxes.map((b) => b.quad.map(([x, y]) => [clampX(x * sx), clampY(y * sy)]) as Quad);
  }

  private async recognize(crops: LineCrop[]): Promise<{ line: DecodedLine; stride: number }[]> {
    const order = crops.map((_, i) => i).sort((a, b) => crops[a]!.width - crops[b]!.width);
    const results: { line: DecodedLine; stride: number }[] = new Array(crops.length);
    for (let start = 0; start < order.length; start += REC_BATCH) {
      const batch = order.slice(start, start + REC_BATCH);
      const width = Math.max(REC_MIN_WIDTH, ...batch.map((i) => crops[i]!.width));
      const plane = REC_HEIGHT * width;
      // Zero in normalised space is mid-grey: the padding PaddleOCR uses.
      const input = new Float32Array(batch.length * 3 * plane);
      batch.forEach((ci, b) => {
        const crop = crops[ci]!;
        for (let y = 0; y < crop.height; y++) {
          for (let x = 0; x < crop.width; x++) {
            const src = (y * crop.width + x) * 3;
            const dst = b * 3 * plane + y * width + x;
            for (let c = 0; c < 3; c++) input[dst + c * plane] = crop.rgb[src + (2 - c)]! / 127.5 - 1;
          }
        }
      });
      const feeds = { [this.rec.inputNames[0]!]: new ort.Tensor('float32', input, [batch.length, 3, REC_HEIGHT, width]) };
      const out = await this.rec.run(feeds);
      const probs = out[this.rec.outputNames[0]!]!;
      const [, steps, classes] = probs.dims as number[];
      const stride = width / steps!;
      batch.forEach((ci, b) => {
        const used = Math.ceil(crops[ci]!.width / stride) + 1;
        const line = ctcGreedyDecode(probs.data as Float32Array, b * steps! * classes!, steps!, classes!, this.dictionary, used);
        results[ci] = { line, stride };
      });
    }
    return results;
  }

  async release(): Promise<void> {
    await this.det.release();
    await this.rec.release();
  }
}
