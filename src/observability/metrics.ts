// Prometheus metrics (prom-client), every name prefixed `ekmm_`, in a registry per app (not the
// global one) so tests and embedded uses do not see each other's numbers. GET /metrics on the web
// adapter serves `registry.metrics()`.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../core/stages.ts';
import type { Recognition } from '../core/types.ts';

export interface QueueGaugeSource {
  stats(): { running: number; waiting: number };
}

export class Metrics {
  readonly registry = new Registry();
  /** Messages and requests by platform (web, telegram, discord...) and how they ended. */
  readonly recognitions: Counter<'platform' | 'outcome'>;
  /** Recognition.timings per stage (intake, ocr, caption, knowledge, recognize, total). */
  readonly stageSeconds: Histogram<'stage'>;
  /** Recognitions the executor failed (an engine error, a worker gone, a timeout). */
  readonly jobFailures: Counter<'executor'>;
  /** Work refused at once because the queue was full, by lane. */
  readonly queueRefused: Counter<'lane'>;
  readonly cacheHits: Counter<'cache'>;
  readonly cacheMisses: Counter<'cache'>;
  /** 1 while an adapter is connected to its platform (Telegram poller alive, Discord gateway ready). */
  readonly adapterConnected: Gauge<'adapter'>;
  /** Statistics writes (one per counted message) and the entity mentions they added. */
  readonly statsWrites: Counter<'result'>;
  readonly statsEntities: Counter;
  /** Watchlist alerts by platform and result: sent, limited (within the window), failed. */
  readonly watchAlerts: Counter<'platform' | 'result'>;

  constructor(options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.recognitions = new Counter({
      name: 'ekmm_recognitions_total',
      help: 'Messages and requests by platform and outcome',
      labelNames: ['platform', 'outcome'],
      registers,
    });
    this.stageSeconds = new Histogram({
      name: 'ekmm_stage_duration_seconds',
      help: 'Time spent per pipeline stage (from Recognition.timings)',
      labelNames: ['stage'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.jobFailures = new Counter({
      name: 'ekmm_job_failures_total',
      help: 'Recognition jobs that failed in the executor',
      labelNames: ['executor'],
      registers,
    });
    this.queueRefused = new Counter({
      name: 'ekmm_queue_refused_total',
      help: 'Work refused because its lane was full (guards.queueSize, limits.textLane.queueSize)',
      labelNames: ['lane'],
      registers,
    });
    this.cacheHits = new Counter({
      name: 'ekmm_cache_hits_total',
      help: 'Cache lookups answered from the store, by kind',
      labelNames: ['cache'],
      registers,
    });
    this.cacheMisses = new Counter({
      name: 'ekmm_cache_misses_total',
      help: 'Cache lookups not in the store, by kind',
      labelNames: ['cache'],
      registers,
    });
    this.adapterConnected = new Gauge({
      name: 'ekmm_adapter_connected',
      help: '1 while the adapter is connected to its platform',
      labelNames: ['adapter'],
      registers,
    });
    this.statsWrites = new Counter({
      name: 'ekmm_statistics_writes_total',
      help: 'Statistics writes (one per counted message) by result',
      labelNames: ['result'],
      registers,
    });
    this.statsEntities = new Counter({
      name: 'ekmm_statistics_entities_total',
      help: 'Entity mentions added to the statistics',
      registers,
    });
    this.watchAlerts = new Counter({
      name: 'ekmm_watch_alerts_total',
      help: 'Watchlist alerts by platform and result (sent, limited by the window, failed)',
      labelNames: ['platform', 'result'],
      registers,
    });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'ekmm_' });
  }

  /**
   * Queue depth and running work per lane (`lane="image"`, `lane="text"`), read when /metrics is
   * scraped. One gauge family with a label, so a second lane is a series, not a new metric name.
   */
  observeQueues(lanes: Record<string, QueueGaugeSource>): void {
    const entries = Object.entries(lanes);
    new Gauge({
      name: 'ekmm_queue_waiting',
      help: 'Work waiting in the queue, by lane (image: messages with images, text: text-only)',
      labelNames: ['lane'],
      registers: [this.registry],
      collect() {
        for (const [lane, queue] of entries) this.set({ lane }, queue.stats().waiting);
      },
    });
    new Gauge({
      name: 'ekmm_queue_running',
      help: 'Work running now, by lane (at most guards.concurrency for image, limits.textLane.concurrency for text)',
      labelNames: ['lane'],
      registers: [this.registry],
      collect() {
        for (const [lane, queue] of entries) this.set({ lane }, queue.stats().running);
      },
    });
  }

  observeRecognition(recognition: Recognition): void {
    for (const [stage, ms] of Object.entries(recognition.timings)) {
      if (Number.isFinite(ms)) this.stageSeconds.observe({ stage }, ms / 1000);
    }
  }

  /** The platform part of a community id: "telegram:-100" -> "telegram"; "web" for none. */
  static platformOf(communityId: string | undefined): string {
    if (!communityId) return 'web';
    const cut = communityId.indexOf(':');
    return cut > 0 ? communityId.slice(0, cut) : communityId;
  }
}

/** Counts cache hits and misses by key kind ("ocr:<hash>" -> ocr) on every get of the store. */
export function withCacheMetrics<S extends Store>(store: S, metrics: Metrics): S {
  const get = store.get.bind(store);
  const wrapped = Object.create(store) as S;
  wrapped.get = async <T>(key: string): Promise<T | undefined> => {
    const value = await get<T>(key);
    const cut = key.indexOf(':');
    const cache = cut > 0 ? key.slice(0, cut) : 'other';
    (value === undefined ? metrics.cacheMisses : metrics.cacheHits).inc({ cache });
    return value;
  };
  return wrapped;
}
