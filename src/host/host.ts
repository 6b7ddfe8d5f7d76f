// The host: one per process, shared by every adapter (web, Discord, Telegram). It owns the
// guards, the one work queue (guards.concurrency is the total over all adapters), the
// statistics and the executor that runs recognition. Adapters turn platform events into an
// Incoming (MessageProcessor) or a Message (the web API) and hand them here.
import type { EkmmConfig } from '../config/schema.ts';
import type { Message, Recognition } from '../core/types.ts';
import type { EntityStats } from '../stats/entity-stats.ts';
import type { WatchAlerts } from '../watch/alerts.ts';
import { createLogger, errorMessage, type Logger } from '../observability/logger.ts';
import { Metrics } from '../observability/metrics.ts';
import { AdapterStatus, Readiness } from '../observability/readiness.ts';
import type { RecognitionExecutor } from './executor.ts';
import { Guards } from './guards.ts';
import { MessageProcessor } from './processor.ts';
import { QueueFullError, WorkQueue } from './work-queue.ts';

export interface HostOptions {
  config: EkmmConfig;
  executor: RecognitionExecutor;
  /** Where counted entities go; without it nothing is counted. */
  stats?: EntityStats;
  /** Watchlist alerts for counted messages (src/watch/); without it nothing alerts. */
  watch?: WatchAlerts;
  /** Replace the config-made guards or queue (tests use a tiny queue). */
  guards?: Guards;
  queue?: WorkQueue;
  /** Default: pino on stderr at LOG_LEVEL. */
  logger?: Logger;
  /** Default: a fresh registry without the process metrics. */
  metrics?: Metrics;
  readiness?: Readiness;
  textQueue?: WorkQueue;
}

/** Whom to count a message under; absent for lookups that are not statistics (/entities). */
export interface CountAs {
  communityId: string;
  channelId?: string;
  messageId?: string;
}

export interface RecognitionJob {
  /**
   * The message, or a function that makes it once a queue slot is free (images are downloaded
   * only then, so waiting messages hold no image bytes). Returning undefined means nothing is
   * left to recognize (every image failed to load and there is no text).
   */
  message: Message | (() => Promise<Message | undefined>);
  countAs?: CountAs;
  signal?: AbortSignal;
  /** Fields for the job's log lines besides messageId and community, e.g. the web request's reqId. */
  logBindings?: Record<string, string | number>;
  /**
   * Whether the message carries images (decides its lane when `message` is a function; a
   * Message says so itself). Text-only messages have a lane of their own, so they never wait
   * behind OCR.
   */
  hasImages?: boolean;
  /** Whom the work is for (a web client address, a community): one client's backlog does not delay another's in a lane. */
  client?: string;
  /** Where the message itself is when it is counted under another channel (a thread): for alert links. */
  messageChannelId?: string;
}

export interface Recognized {
  recognition: Recognition;
  /** Entity mentions counted in statistics (0 when not counted). */
  counted: number;
}

export class Host {
  readonly config: EkmmConfig;
  readonly guards: Guards;
  /** The lane for messages with images (and the default one); guards.concurrency / guards.queueSize. */
  readonly queue: WorkQueue;
  /** The lane for text-only messages; limits.textLane. */
  readonly textQueue: WorkQueue;
  readonly stats: EntityStats | undefined;
  readonly watch: WatchAlerts | undefined;
  readonly executor: RecognitionExecutor;
  readonly processor: MessageProcessor;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly readiness: Readiness;
  private readonly adapterCounts = new Map<string, number>();

  constructor(options: HostOptions) {
    this.config = options.config;
    this.executor = options.executor;
    this.stats = options.stats;
    this.watch = options.watch;
    this.guards = options.guards ?? new Guards(options.config.guards);
    this.queue = options.queue ?? new WorkQueue(options.config.guards.concurrency, options.config.guards.queueSize);
    this.logger = options.logger ?? createLogger();
    this.metrics = options.metrics ?? new Metrics({ defaultMetrics: false });
    this.readiness = options.readiness ?? new Readiness();
    if (options.executor.notReady) {
      const executor = options.executor;
      this.readiness.register(`executor:${executor.kind}`, async () => {
        const reasons = await executor.notReady!();
        return reasons.length ? reasons.join('; ') : undefined;
      });
    }
    const lane = options.config.limits.textLane;
    this.textQueue = options.textQueue ?? new WorkQueue(lane.concurrency, lane.queueSize);
    this.metrics.observeQueues({ image: this.queue, text: this.textQueue });
    this.processor = new MessageProcessor(this);
  }

  /** The connection state of an adapter (web, telegram, discord): readiness and ekmm_adapter_connected. */
  adapterStatus(name: string): AdapterStatus {
    // Two adapters of one kind on one host (a test's second bot) each get their own check.
    const seen = (this.adapterCounts.get(name) ?? 0) + 1;
    this.adapterCounts.set(name, seen);
    return new AdapterStatus(seen === 1 ? name : `${name}#${seen}`, this.readiness, this.metrics);
  }

  /** The lane a job goes to: text-only messages never queue behind images. */
  laneFor(job: Pick<RecognitionJob, 'message' | 'hasImages'>): WorkQueue {
    const images = typeof job.message === 'function' ? job.hasImages !== false : (job.message.images?.length ?? 0) > 0;
    return images ? this.queue : this.textQueue;
  }

  /**
   * Runs one recognition in its lane (text-only or with images) and counts its entities when `countAs` is set.
   * Rejects with QueueFullError at once when the queue is full; undefined when the message
   * turned out empty.
   */
  async recognize(job: RecognitionJob): Promise<Recognized | undefined> {
    try {
      return await this.laneFor(job).run(({ signal }) => this.run(job, signal), {
        ...(job.signal ? { signal: job.signal } : {}),
        ...(job.client !== undefined ? { client: job.client } : {}),
      });
    } catch (err) {
      if (err instanceof QueueFullError) this.metrics.queueRefused.inc({ lane: this.laneFor(job) === this.queue ? 'image' : 'text' });
      throw err;
    }
  }

  private async run(job: RecognitionJob, signal: AbortSignal | undefined): Promise<Recognized | undefined> {
    const message = typeof job.message === 'function' ? await job.message() : job.message;
    if (!message) return undefined;
    // Ids only: a log line never carries the message text.
    const log = this.logger.child({
      ...job.logBindings,
      messageId: message.messageId ?? job.countAs?.messageId,
      community: message.communityId ?? job.countAs?.communityId,
    });
    let recognition: Recognition;
    // Executors that count where they recognize (BullMQ workers, idempotent by message id) are
    // handed whom to count the message under; the host then records nothing itself.
    const countRemotely = job.countAs && this.stats && this.executor.recognizeAndCount ? job.countAs : undefined;
    let counted = 0;
    try {
      if (countRemotely)
        ({ recognition, counted } = await this.executor.recognizeAndCount!(message, countRemotely, signal ? { signal } : {}));
      else recognition = await this.executor.recognize(message, signal ? { signal } : {});
    } catch (err) {
      // The caller reports it (the processor's log line, the web adapter's 500).
      this.metrics.jobFailures.inc({ executor: this.executor.kind });
      throw err;
    }
    this.metrics.observeRecognition(recognition);
    if (job.countAs && this.stats && !countRemotely) {
      try {
        counted = await this.stats.record({
          communityId: job.countAs.communityId,
          ...(job.countAs.channelId ? { channelId: job.countAs.channelId } : {}),
          ...(job.countAs.messageId ? { messageId: job.countAs.messageId } : {}),
          entities: recognition.entities,
        });
        this.metrics.statsWrites.inc({ result: 'ok' });
        this.metrics.statsEntities.inc(counted);
      } catch (err) {
        this.metrics.statsWrites.inc({ result: 'error' });
        log.error({ error: errorMessage(err) }, 'statistics write failed');
        throw err;
      }
    }
    // Alerts are decided here, in the process that received the message, whichever executor
    // counted it: once per message (see src/watch/alerts.ts), and never delaying the reply.
    if (job.countAs && this.watch)
      this.watch.onRecognized({ ...job.countAs, ...(job.messageChannelId ? { messageChannelId: job.messageChannelId } : {}) }, recognition);
    log.debug({ entities: recognition.entities.length, counted, ms: Math.round(recognition.timings.total ?? 0) }, 'recognized');
    return { recognition, counted };
  }

  /** Waits until nothing runs or waits in the queue (before closing the stores). */
  idle(): Promise<void> {
    return Promise.all([this.queue.idle(), this.textQueue.idle()]).then(() => this.watch?.idle());
  }
}
