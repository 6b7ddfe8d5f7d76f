// createEngine(config): plugins -> registries -> stages -> pipeline, in one call, for the CLI
// commands that need only recognition (recognize, tag) and for tests. `ekmm serve` uses
// createApp (app.ts), which adds the statistics, the host and the executor around it.
import type { EkmmConfig } from '../config/schema.ts';
import type { Plugin, Registries } from '../core/registry.ts';
import type { Store } from '../core/stages.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createPipeline, type Engine } from '../core/engine.ts';
import { loadPlugins } from './plugins.ts';
import { buildStages } from './stages.ts';

export type { Engine } from '../core/engine.ts';

export interface EngineOptions {
  /** Extra plugins registered after the built-in ones (tests, embedding applications). */
  plugins?: Plugin[];
  /** Registries already loaded (createApp loads them once for the engine and the stores). */
  registries?: Registries;
  /** Counts cache hits and misses (createApp passes the app's metrics). */
  metrics?: Metrics;
}

export interface AssembledEngine extends Engine {
  /** The registries the stages were built from (plugins registered), e.g. to open more stores. */
  readonly registries: Registries;
  /** The shared cache store, when caching is on (readiness checks it answers). */
  readonly cacheStore?: Store;
}

export async function createEngine(config: EkmmConfig, options: EngineOptions = {}): Promise<AssembledEngine> {
  const registries = options.registries ?? (await loadPlugins(config, options.plugins ?? []));
  const stages = await buildStages(registries, config, options.metrics ? { metrics: options.metrics } : {});
  const engine = createPipeline(config, stages);
  return {
    config: engine.config,
    backends: engine.backends,
    registries,
    ...(stages.cache ? { cacheStore: stages.cache } : {}),
    recognize: (message, options) => engine.recognize(message, options),
    close: () => engine.close(),
  };
}

/**
 * An engine whose stages (and so its models) are built on first use. `ekmm serve` with queue.url
 * set uses it: the workers recognize, serve only enqueues, so loading the OCR and tagger models
 * there would only hold memory and start-up time. Should anything in the process recognize after
 * all, the stages are built then, once.
 */
export function createDeferredEngine(config: EkmmConfig, options: EngineOptions & { registries: Registries }): AssembledEngine {
  let built: Promise<AssembledEngine> | undefined;
  const engine = () => (built ??= createEngine(config, options));
  return {
    config,
    backends: {
      intake: config.intake.backend,
      ocr: config.ocr.backend,
      captioner: config.captioner.backend,
      knowledge: config.knowledge.backend,
      recognizers: config.recognizer.backends,
    },
    registries: options.registries,
    recognize: async (message, recognizeOptions) => (await engine()).recognize(message, recognizeOptions),
    close: async () => {
      if (built) await (await built).close();
    },
  };
}
