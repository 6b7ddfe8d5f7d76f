// One recognizer run from the decoded image to text: cut the run's line crops, build the input,
// run the recognizer, decode. Shared by the pipeline's own recognizer and the helper thread's
// (src/ocr/rec-helper.ts), so each side cuts and decodes its own share of the lines instead of
// the pipeline's thread doing all of it before and after (README "OCR speed").
// No sharp here: the helper thread loads this module and only needs onnxruntime.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { cropLine, REC_HEIGHT, type LineCrop, type RgbImage } from './crop.ts';
import { ctcGreedyDecode, type DecodedLine } from './ctc.ts';
import type { Quad } from './geometry.ts';

/** Crops recognized in one run, left-aligned and padded on the right to `width`. */
export interface LineRun {
  quads: Quad[];
  width: number;
}

export interface ReadLine {
  line: DecodedLine;
  /** Crop columns per CTC timestep (for the spacing repair). */
  stride: number;
  crop: LineCrop;
}

export function loadDictionary(path: string): string[] {
  const chars = readFileSync(path, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''));
  if (chars[chars.length - 1] === '') chars.pop();
  // PaddleOCR appends the space as the last class (use_space_char).
  chars.push(' ');
  return chars;
}

/** Recognizer input (n x 3 x 48 x width): each crop left-aligned, the rest padding. */
export function recognizerInput(crops: LineCrop[], width: number): Float32Array {
  const plane = REC_HEIGHT * width;
  // Zero in normalised space is mid-grey: the padding PaddleOCR uses.
  const input = new Float32Array(crops.length * 3 * plane);
  crops.forEach((crop, b) => {
    for (let c = 0; c < 3; c++) {
      const base = b * 3 * plane + c * plane;
      for (let y = 0; y < crop.height; y++) {
        const dst = base + y * width;
        for (let x = 0, src = y * crop.width * 3 + (2 - c); x < crop.width; x++, src += 3) input[dst + x] = crop.rgb[src]! / 127.5 - 1;
      }
    }
  });
  return input;
}

/** Greedy CTC over each crop's own timesteps (the padding's are not read). */
export function decodeRun(
  crops: LineCrop[],
  width: number,
  probs: Float32Array,
  dims: readonly number[],
  dictionary: string[],
): ReadLine[] {
  const [, steps, classes] = dims as number[];
  const stride = width / steps!;
  return crops.map((crop, b) => {
    const used = Math.ceil(crop.width / stride) + 1;
    return { line: ctcGreedyDecode(probs, b * steps! * classes!, steps!, classes!, dictionary, used), stride, crop };
  });
}

export async function readRun(session: ort.InferenceSession, image: RgbImage, run: LineRun, dictionary: string[]): Promise<ReadLine[]> {
  const crops = run.quads.map((q) => cropLine(image, q));
  const input = recognizerInput(crops, run.width);
  const feeds = { [session.inputNames[0]!]: new ort.Tensor('float32', input, [crops.length, 3, REC_HEIGHT, run.width]) };
  const probs = (await session.run(feeds))[session.outputNames[0]!]!;
  return decodeRun(crops, run.width, probs.data as Float32Array, probs.dims, dictionary);
}
