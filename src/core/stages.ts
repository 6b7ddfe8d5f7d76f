// One small interface per pipeline stage. Backends implement these and register by name
// (see registry.ts); the pipeline only ever sees the interfaces.
import type { Caption, Entity, ImageInput, LanguageCode, MessageHints, OcrBlock, OcrLine, Warning } from './types.ts';

/**
 * What a stage call may be given besides its input: `signal` aborts when the caller has gone (the
 * work is no longer wanted), `deadline` (a Date.now() time) is when the stage's answer stops being
 * useful. Backends that wait on something (HTTP, a queue) should stop by the deadline; the engine
 * does not wait past it either way.
 */
export interface StageOptions {
  signal?: AbortSignal;
  deadline?: number;
}

/** An image that passed intake: decoded, EXIF-oriented, resized, re-encoded as PNG. */
export interface PreparedImage {
  /** Index in Message.images. */
  index: number;
  /** PNG bytes of the oriented, resized image. */
  png: Buffer;
  width: number;
  height: number;
  /** Format sniffed from the original bytes (jpeg, png, webp, gif, ...). */
  format: string;
  /** sha256 hex of the original bytes: the cache key for everything derived from the image. */
  sha256: string;
  /** File name of the original (path basename, upload name, or URL path basename), when known. */
  name?: string;
}

export type IntakeResult = { ok: true; image: PreparedImage } | { ok: false; warning: Warning };

export interface ImageIntake {
  readonly name: string;
  /** One result per input, in order. Never throws for a bad image: it becomes a warning. */
  prepare(inputs: ImageInput[], options?: StageOptions): Promise<IntakeResult[]>;
}

export interface Ocr {
  readonly name: string;
  /** Identifies model files and settings; part of every cache key. */
  readonly modelId: string;
  /** One list of lines per image, in reading order. `line.image` is the PreparedImage index. */
  read(images: PreparedImage[], language: LanguageCode, options?: StageOptions): Promise<OcrLine[][]>;
  /** Optional: read() plus warnings (lines dropped below ocr.minScore, per-image failures/timeouts). */
  readDetailed?(
    images: PreparedImage[],
    language: LanguageCode,
    options?: StageOptions,
  ): Promise<{ lines: OcrLine[][]; warnings: Warning[] }>;
  close?(): Promise<void>;
}

export interface Captioner {
  readonly name: string;
  readonly modelId: string;
  /** One caption per image, or null when the backend has none for it. */
  caption(images: PreparedImage[], options?: StageOptions): Promise<(string | null)[]>;
  /**
   * Optional: the caption recorded for a post by its id (IMGID/WID/JSONL id), for datasets whose
   * images are not at hand. The engine asks it when the message has an id and no image gave a caption.
   */
  captionById?(id: string): Promise<string | null>;
  close?(): Promise<void>;
}

/** What a recognizer sees of one message. */
export interface RecognizerInput {
  /** The message's id (Message.messageId; a dataset post's IMGID/WID/id): recorded backends look answers up by it. */
  id?: string;
  text: string;
  language: LanguageCode;
  ocr: OcrLine[];
  captions: Caption[];
  /** Auxiliary knowledge text from a KnowledgeSource (PGIM-style), when one is configured. */
  knowledge?: string;
  /** The prepared images, for recognizers that look at pixels (the `vlm` recognizer). */
  images?: PreparedImage[];
  /** OCR lines grouped into text blocks (src/core/ocr-blocks.ts); recognizers group them when absent. */
  ocrBlocks?: OcrBlock[];
  /** What the platform knows about the text (resolved mentions, marked spans). */
  hints?: MessageHints;
}

export interface RecognizerOutput {
  entities: Entity[];
  /** Entities the backend proposed that matched no input span. */
  dropped: number;
  warnings: Warning[];
}

export interface Recognizer {
  readonly name: string;
  /** Batch in, batch out: one output per input, in order. May throw; the pipeline falls back. */
  recognize(batch: RecognizerInput[], options?: StageOptions): Promise<RecognizerOutput[]>;
  close?(): Promise<void>;
}

/** An external knowledge source (an LLM): its text feeds the local tagger's knowledge channel. */
export interface KnowledgeSource {
  readonly name: string;
  readonly modelId: string;
  knowledge(batch: RecognizerInput[], options?: StageOptions): Promise<(string | null)[]>;
  close?(): Promise<void>;
}

/** Key-value persistence shared by caches and statistics (keyv underneath). */
export interface Store {
  readonly name: string;
  get<T>(key: string): Promise<T | undefined>;
  set<T>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  close(): Promise<void>;
}

/** Optional capability: stores that can enumerate keys by prefix (needed by statistics). */
export interface IterableStore extends Store {
  iterate(prefix: string): AsyncIterable<[string, unknown]>;
}

export function isIterableStore(store: Store): store is IterableStore {
  return typeof (store as Partial<IterableStore>).iterate === 'function';
}

/** Optional capability: recognizers that make use of KnowledgeSource text. */
export interface KnowledgeAware {
  readonly usesKnowledge: true;
}

export function isKnowledgeAware(r: Recognizer): r is Recognizer & KnowledgeAware {
  return (r as Partial<KnowledgeAware>).usesKnowledge === true;
}

/**
 * A stage failure that still has something to say: the warnings gathered before it failed (an
 * LLM that refused response_format twice, then failed) reach the user with the failure.
 */
export class StageFailure extends Error {
  override readonly name = 'StageFailure';
  constructor(
    message: string,
    readonly warnings: Warning[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type { Caption, Entity, OcrLine, Warning };
