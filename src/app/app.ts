// The composition root of a serving process: config -> plugins -> stores (cache, statistics,
// adapter settings, all through the store registry) -> stages -> engine -> executor -> host.
// Adapters receive the host; nothing below this file assembles itself.
import type { EkmmConfig } from '../config/schema.ts';
import type { Registries } from '../core/registry.ts';
import type { IterableStore } from '../core/stages.ts';
import type { EntityStats } from '../stats/entity-stats.ts';
import { openEntityStats } from '../stats/open.ts';
import { Host, type RecognitionExecutor } from '../host/index.ts';
import { createEngine, type AssembledEngine, type EngineOptions } from './engine.ts';
import { createExecutor, type ExecutorFactory } from './executor.ts';
import { loadPlugins } from './plugins.ts';

export interface AppOptions extends EngineOptions {
  /** Where recognition runs; default: src/app/executor.ts (in-process unless configured). */
  executor?: ExecutorFactory;
  log?: (line: string) => void;
  /** Clock for statistics (tests). */
  now?: () => Date;
}

export interface App {
  readonly config: EkmmConfig;
  readonly registries: Registries;
  readonly engine: AssembledEngine;
  readonly executor: RecognitionExecutor;
  readonly host: Host;
  readonly stats: EntityStats;
  /** Small adapter records kept beside the counts (Discord guild settings). */
  readonly settingsStore: IterableStore;
  /** Drains the queue, then closes the executor, the statistics and the engine, in that order. */
  close(): Promise<void>;
}

export async function createApp(config: EkmmConfig, options: AppOptions = {}): Promise<App> {
  const registries = options.registries ?? (await loadPlugins(config, options.plugins ?? []));
  const engine = await createEngine(config, { registries });
  const closers: (() => Promise<void>)[] = [() => engine.close()];
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    const statistics = await openEntityStats(config, {
      ...(options.now ? { now: options.now } : {}),
      registries,
    });
    closers.push(() => statistics.close());
    const executor = await (options.executor ?? createExecutor)({ config, engine });
    if (executor.close) closers.push(() => executor.close!());
    const host = new Host({ config, executor, stats: statistics.stats, ...(options.log ? { log: options.log } : {}) });
    closers.push(() => host.idle());
    return {
      config,
      registries,
      engine,
      executor,
      host,
      stats: statistics.stats,
      settingsStore: statistics.store,
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}
