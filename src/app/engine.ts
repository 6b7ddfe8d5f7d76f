// createEngine(config): plugins -> registries -> stages -> pipeline, in one call, for the CLI
// commands that need only recognition (recognize, tag) and for tests. `ekmm serve` uses
// createApp (app.ts), which adds the statistics, the host and the executor around it.
import type { EkmmConfig } from '../config/schema.ts';
import type { Plugin, Registries } from '../core/registry.ts';
import { createPipeline, type Engine } from '../core/engine.ts';
import { loadPlugins } from './plugins.ts';
import { buildStages } from './stages.ts';

export type { Engine } from '../core/engine.ts';

export interface EngineOptions {
  /** Extra plugins registered after the built-in ones (tests, embedding applications). */
  plugins?: Plugin[];
  /** Registries already loaded (createApp loads them once for the engine and the stores). */
  registries?: Registries;
}

export interface AssembledEngine extends Engine {
  /** The registries the stages were built from (plugins registered), e.g. to open more stores. */
  readonly registries: Registries;
}

export async function createEngine(config: EkmmConfig, options: EngineOptions = {}): Promise<AssembledEngine> {
  const registries = options.registries ?? (await loadPlugins(config, options.plugins ?? []));
  const stages = await buildStages(registries, config);
  const engine = createPipeline(config, stages);
  return {
    config: engine.config,
    backends: engine.backends,
    registries,
    recognize: (message) => engine.recognize(message),
    close: () => engine.close(),
  };
}
