// Builds the pipeline's stages from the config: each backend by name from the registries, the
// OCR, caption and knowledge stages wrapped in their cache decorators over the cache store.
import type { EkmmConfig } from '../config/schema.ts';
import type { BackendContext, Registries } from '../core/registry.ts';
import type { Stages } from '../core/engine.ts';
import { isKnowledgeAware, type Recognizer, type Store } from '../core/stages.ts';
import { withCaptionCache, withKnowledgeCache, withOcrCache } from '../cache/index.ts';
import { withCacheMetrics, type Metrics } from '../observability/metrics.ts';
import { openRegisteredStore } from './stores.ts';

export interface BuiltStages extends Stages {
  /** The cache store the decorators and backends share (for readiness checks); absent when off. */
  cache?: Store;
}

export async function buildStages(registries: Registries, config: EkmmConfig, options: { metrics?: Metrics } = {}): Promise<BuiltStages> {
  const opened: Store | undefined = config.cache.enabled
    ? await openRegisteredStore(registries, config, config.cache.url, 'cache.url')
    : undefined;
  // Every lookup of the shared cache (decorators and self-caching backends alike) counts as a hit or a miss.
  const cache = opened && options.metrics ? withCacheMetrics(opened, options.metrics) : opened;
  const ctx: BackendContext = { config, registries, ...(cache ? { cache } : {}) };
  const ttlMs = config.cache.ttlDays * 86_400_000;
  // Stages made so far: when a later one fails (a mistyped backend name), these are closed so that
  // their worker threads and files do not keep the process alive after the error.
  const made: { close?(): Promise<void> }[] = cache ? [cache] : [];
  const track = <T extends { close?(): Promise<void> }>(stage: T): T => (made.push(stage), stage);
  const optional = async <T extends { close?(): Promise<void> }>(name: string, create: (n: string) => Promise<T>) =>
    name === 'none' ? undefined : track(await create(name));
  try {
    const intake = await registries.intake.create(config.intake.backend, ctx);
    const ocr = await optional(config.ocr.backend, (n) => registries.ocr.create(n, ctx));
    const captioner = await optional(config.captioner.backend, (n) => registries.captioner.create(n, ctx));
    const knowledge = await optional(config.knowledge.backend, (n) => registries.knowledge.create(n, ctx));
    const recognizers: Recognizer[] = [];
    for (const name of config.recognizer.backends) recognizers.push(track(await registries.recognizer.create(name, ctx)));
    const fallbackName = config.recognizer.fallback;
    const fallback =
      fallbackName === 'none'
        ? undefined
        : (recognizers.find((r) => r.name === fallbackName) ?? track(await registries.recognizer.create(fallbackName, ctx)));
    if (knowledge && ![...recognizers, fallback].some((r) => r && isKnowledgeAware(r))) {
      // Knowledge costs an LLM call per message; asking for it when nothing reads it is a mistake.
      throw new Error(
        `knowledge.backend is "${config.knowledge.backend}" but no recognizer reads knowledge ` +
          `(recognizer.backends: ${config.recognizer.backends.join(', ')}); add "local" or set knowledge.backend: none`,
      );
    }
    return {
      intake,
      ...(ocr ? { ocr: withOcrCache(ocr, cache, ttlMs) } : {}),
      ...(captioner ? { captioner: withCaptionCache(captioner, cache, ttlMs) } : {}),
      ...(knowledge ? { knowledge: withKnowledgeCache(knowledge, cache, ttlMs) } : {}),
      recognizers,
      ...(fallback ? { fallback } : {}),
      ...(cache ? { cache, closeResources: () => cache.close() } : {}),
    };
  } catch (err) {
    await Promise.allSettled(made.map((stage) => stage.close?.()));
    throw err;
  }
}
