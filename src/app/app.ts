// The composition root of a serving process: config -> plugins -> stores (cache, statistics,
// adapter settings, all through the store registry) -> stages -> engine -> executor -> host.
// Adapters receive the host; nothing below this file assembles itself.
import type { EkmmConfig } from '../config/schema.ts';
import type { Registries } from '../core/registry.ts';
import type { IterableStore, Store } from '../core/stages.ts';
import type { EntityStats } from '../stats/entity-stats.ts';
import { openEntityStats } from '../stats/open.ts';
import { WatchAlerts, WatchStore } from '../watch/index.ts';
import { Host, type RecognitionExecutor } from '../host/index.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { Readiness } from '../observability/readiness.ts';
import { createDeferredEngine, createEngine, type AssembledEngine, type EngineOptions } from './engine.ts';
import { createExecutor, type ExecutorFactory } from './executor.ts';
import { QueueExecutor } from '../queue/producer.ts';
import { loadPlugins } from './plugins.ts';

export interface AppOptions extends EngineOptions {
  /** Where recognition runs; default: src/app/executor.ts (in-process unless configured). */
  executor?: ExecutorFactory;
  /** Default: pino on stderr at LOG_LEVEL. */
  logger?: Logger;
  /** Default: a fresh registry with the process metrics (ekmm_process_*, ekmm_nodejs_*). */
  metrics?: Metrics;
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
  /** Watchlists and their alerts, kept in the settings store (the host alerts through it). */
  readonly watch: WatchAlerts;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  /** Drains the queue, then closes the executor, the statistics and the engine, in that order. */
  close(): Promise<void>;
}

/** A store is reachable when a read of a key that is never written answers (within the readiness timeout). */
function storeAnswers(store: Store, where: string): () => Promise<string | undefined> {
  return async () => {
    try {
      await store.get('ekmm:readyz:probe');
      return undefined;
    } catch (err) {
      return `${where} does not answer: ${err instanceof Error ? err.message : String(err)}`;
    }
  };
}

export async function createApp(config: EkmmConfig, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger();
  const metrics = options.metrics ?? new Metrics();
  const readiness = new Readiness();
  const registries = options.registries ?? (await loadPlugins(config, options.plugins ?? []));
  // With queue.url set the BullMQ workers recognize and this process only enqueues: its models
  // are not loaded (they would sit idle), unless something here recognizes after all.
  const engine = config.queue.url
    ? createDeferredEngine(config, { registries, metrics })
    : await createEngine(config, { registries, metrics });
  // The models load while the engine is built, before anything listens; this check says so on
  // /readyz. With a queue they are the workers' (their readiness is the executor's check).
  if (!config.queue.url) readiness.register('models', () => undefined);
  if (engine.cacheStore) readiness.register('store:cache', storeAnswers(engine.cacheStore, 'cache.url'));
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
    readiness.register('store:stats', storeAnswers(statistics.store, 'stats.url'));
    const executor = await (options.executor ?? createExecutor)({ config, engine, logger });
    if (executor.close) closers.push(() => executor.close!());
    if (executor instanceof QueueExecutor) executor.registerMetrics(metrics.registry);
    const watch = new WatchAlerts(new WatchStore(statistics.store, { maxEntries: config.watch.maxEntries }), {
      windowMinutes: config.watch.alertWindowMinutes,
      logger,
      onOutcome: (platform, result) => metrics.watchAlerts.inc({ platform, result }),
      ...(options.now ? { now: options.now } : {}),
    });
    const host = new Host({ config, executor, stats: statistics.stats, watch, logger, metrics, readiness });
    closers.push(() => host.idle());
    return {
      config,
      registries,
      engine,
      executor,
      host,
      stats: statistics.stats,
      settingsStore: statistics.store,
      watch,
      logger,
      metrics,
      readiness,
      close: closeAll,
    };
  } catch (err) {
    await closeAll().catch(() => {});
    throw err;
  }
}
