// Cache decorators around any backend of a stage. The engine wraps backends with these when a
// cache store is configured; keys carry the backend's modelId and template version.
import type { Captioner, KnowledgeSource, Ocr, PreparedImage, RecognizerInput, StageOptions, Store } from '../core/stages.ts';
import type { LanguageCode, OcrLine, Warning } from '../core/types.ts';
import { cacheKey } from './key.ts';
import { cached, cachedBatch } from './cached.ts';

/** Optional fields a backend may expose to make its cache keys precise. */
export interface CacheHints {
  /** Version of the prompt template or pre-processing; part of every key. */
  readonly templateVersion?: string;
  /** The backend caches by itself (e.g. by exact prompt); decorators then pass it through. */
  readonly cachesItself?: boolean;
}

function versionOf(backend: object): string {
  return (backend as CacheHints).templateVersion ?? '1';
}

export function cachesItself(backend: object): boolean {
  return (backend as CacheHints).cachesItself === true;
}

export class CachedOcr implements Ocr {
  readonly name: string;
  readonly modelId: string;
  constructor(
    private readonly inner: Ocr,
    private readonly store: Store,
    private readonly ttlMs?: number,
  ) {
    this.name = inner.name;
    this.modelId = inner.modelId;
  }

  private key(image: PreparedImage, language: LanguageCode): string {
    // Boxes are in prepared-image pixels, so the prepared size is part of the identity.
    return cacheKey('ocr', {
      contentHash: image.sha256,
      model: this.inner.modelId,
      templateVersion: versionOf(this.inner),
      language,
      size: `${image.width}x${image.height}`,
    });
  }

  async read(images: PreparedImage[], language: LanguageCode, options?: StageOptions): Promise<OcrLine[][]> {
    return (await this.readDetailed(images, language, options)).lines;
  }

  /**
   * Per image, the lines and the warnings about them (low-confidence lines dropped) are cached
   * together, so a cache hit reports the same thing as the first reading. An image whose reading
   * failed or timed out is not cached: the next message tries again.
   */
  async readDetailed(
    images: PreparedImage[],
    language: LanguageCode,
    options?: StageOptions,
  ): Promise<{ lines: OcrLine[][]; warnings: Warning[] }> {
    const keys = images.map((img) => this.key(img, language));
    const failures: Warning[] = [];
    const results = await cachedBatch<PerImageReading | undefined>(this.store, keys, this.ttlMs, async (miss) => {
      const subset = miss.map((i) => images[i]!);
      const fresh = this.inner.readDetailed
        ? await this.inner.readDetailed(subset, language, options)
        : { lines: await this.inner.read(subset, language, options), warnings: [] };
      return subset.map((img, j) => {
        const about = fresh.warnings.filter((w) => w.image === img.index);
        const failed = about.filter((w) => w.code !== 'ocr.low_confidence');
        failures.push(...failed);
        return failed.length ? undefined : { lines: fresh.lines[j] ?? [], warnings: about };
      });
    });
    // A cached result may have been made for an image at another position in another message.
    const lines = results.map((r, i) => (r?.lines ?? []).map((line) => ({ ...line, image: images[i]!.index })));
    const replayed = results.flatMap((r, i) => (r?.warnings ?? []).map((w) => ({ ...w, image: images[i]!.index })));
    return { lines, warnings: [...replayed, ...failures].sort((a, b) => (a.image ?? 0) - (b.image ?? 0)) };
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

interface PerImageReading {
  lines: OcrLine[];
  warnings: Warning[];
}

export class CachedCaptioner implements Captioner {
  readonly name: string;
  readonly modelId: string;
  constructor(
    private readonly inner: Captioner,
    private readonly store: Store,
    private readonly ttlMs?: number,
  ) {
    this.name = inner.name;
    this.modelId = inner.modelId;
  }

  async caption(images: PreparedImage[], options?: StageOptions): Promise<(string | null)[]> {
    const keys = images.map((img) =>
      cacheKey('caption', { contentHash: img.sha256, model: this.inner.modelId, templateVersion: versionOf(this.inner) }),
    );
    return cachedBatch<string | null>(this.store, keys, this.ttlMs, (miss) =>
      this.inner.caption(
        miss.map((i) => images[i]!),
        options,
      ),
    );
  }

  async captionById(id: string): Promise<string | null> {
    return this.inner.captionById ? this.inner.captionById(id) : null;
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

/** What of a recognizer input a knowledge answer depends on. */
export function knowledgeInputDigest(input: RecognizerInput): string {
  return JSON.stringify([input.text, input.language, input.ocr.map((l) => l.text), input.captions.map((c) => c.text)]);
}

export class CachedKnowledge implements KnowledgeSource {
  readonly name: string;
  readonly modelId: string;
  constructor(
    private readonly inner: KnowledgeSource,
    private readonly store: Store,
    private readonly ttlMs?: number,
  ) {
    this.name = inner.name;
    this.modelId = inner.modelId;
  }

  async knowledge(batch: RecognizerInput[], options?: StageOptions): Promise<(string | null)[]> {
    return Promise.all(
      batch.map(async (input) => {
        const text = await cached<string | undefined>(
          this.store,
          cacheKey('knowledge', { prompt: knowledgeInputDigest(input), model: this.inner.modelId, templateVersion: versionOf(this.inner) }),
          this.ttlMs,
          // An empty answer is not cached (undefined): the engine warns about it and the next message asks again.
          async () => {
            const answer = (await this.inner.knowledge([input], options))[0];
            return answer?.trim() ? answer : undefined;
          },
        );
        return text ?? null;
      }),
    );
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

/** Wraps a backend unless it caches by itself. */
export function withOcrCache(ocr: Ocr, store: Store | undefined, ttlMs?: number): Ocr {
  return store && !cachesItself(ocr) ? new CachedOcr(ocr, store, ttlMs) : ocr;
}
export function withCaptionCache(c: Captioner, store: Store | undefined, ttlMs?: number): Captioner {
  return store && !cachesItself(c) ? new CachedCaptioner(c, store, ttlMs) : c;
}
export function withKnowledgeCache(k: KnowledgeSource, store: Store | undefined, ttlMs?: number): KnowledgeSource {
  return store && !cachesItself(k) ? new CachedKnowledge(k, store, ttlMs) : k;
}
