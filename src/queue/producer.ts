// The serve side of recognition on BullMQ: each message becomes a job on queue.name, and the
// caller waits (QueueEvents + job.waitUntilFinished) for a worker's answer up to
// queue.replyTimeoutMs. Past that the caller gets a ReplyTimeoutError, which the message
// processor turns into a polite failure reply: the user never meets silence.
import { Queue, QueueEvents, type Job } from 'bullmq';
import { Gauge, type Registry } from 'prom-client';
import type { EkmmConfig } from '../config/schema.ts';
import type { Message, Recognition } from '../core/types.ts';
import { RecognitionUnavailableError, type ExecuteOptions, type RecognitionExecutor } from '../host/executor.ts';
import type { CountAs, Recognized } from '../host/host.ts';
import { decodeResult, encodeJob, JOB_NAME, type RecognitionJobData, type RecognitionJobResult, type RecognitionRequest } from './codec.ts';
import { describeRedisUrl, probeRedis, redisConnection } from './connection.ts';
import { createLogger, type Logger } from '../observability/logger.ts';

export class ReplyTimeoutError extends RecognitionUnavailableError {
  override readonly name = 'ReplyTimeoutError';
}

/** Redis refused or dropped the job before any worker could see it. */
export class QueueUnavailableError extends RecognitionUnavailableError {
  override readonly name = 'QueueUnavailableError';
}

/** The job ran and failed on every attempt; `message` is the worker's failedReason. */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
}

type QueueConfig = EkmmConfig['queue'];

export interface QueueExecutorOptions {
  logger?: Logger;
}

/** Job options every producer uses: retries with exponential backoff and bounded history in Redis. */
export function jobOptions(q: QueueConfig) {
  return {
    attempts: q.attempts,
    backoff: { type: 'exponential' as const, delay: q.backoffMs },
    // Jobs carry image bytes: keep only the last few finished ones, and the failed ones an
    // operator may want to inspect and retry (ekmm queue failed / retry).
    removeOnComplete: { count: q.keepCompleted },
    removeOnFail: { count: q.keepFailed },
  };
}

const timer = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms).unref());

export class QueueExecutor implements RecognitionExecutor {
  readonly kind = 'bullmq';
  readonly queue: Queue<RecognitionJobData, RecognitionJobResult>;
  private readonly events: QueueEvents;
  private readonly where: string;
  private readonly log: Logger;
  private lastError: string | undefined;

  private constructor(
    private readonly q: QueueConfig & { url: string },
    options: QueueExecutorOptions,
  ) {
    this.where = describeRedisUrl(q.url);
    this.log = (options.logger ?? createLogger()).child({ component: 'queue', queue: q.name });
    const connection = redisConnection(q.url, 'producer');
    this.queue = new Queue<RecognitionJobData, RecognitionJobResult>(q.name, { connection, defaultJobOptions: jobOptions(q) });
    // QueueEvents blocks on the events stream, so it needs a connection that retries forever.
    this.events = new QueueEvents(q.name, { connection: redisConnection(q.url, 'worker') });
    const onError = (err: Error) => {
      // ioredis repeats the same error on every reconnect attempt; report each change once.
      if (err.message !== this.lastError) this.log.warn({ redis: this.where, error: err.message }, 'queue: redis connection error');
      this.lastError = err.message;
    };
    this.queue.on('error', onError);
    this.events.on('error', onError);
  }

  /** Connects to queue.url; fails with a clear message when Redis cannot be reached within a few seconds. */
  static async start(config: EkmmConfig, options: QueueExecutorOptions = {}): Promise<QueueExecutor> {
    const url = config.queue.url;
    if (!url) throw new Error('queue.url is not set; the queue executor needs a Redis URL');
    await probeRedis(url);
    const executor = new QueueExecutor({ ...config.queue, url }, options);
    await Promise.all([executor.queue.waitUntilReady(), executor.events.waitUntilReady()]);
    return executor;
  }

  /** A lookup that is not counted (the web API without `community`, /entities). */
  async recognize(message: Message, options: ExecuteOptions = {}): Promise<Recognition> {
    return (await this.execute({ message }, options)).recognition;
  }

  /** The worker counts the message as it recognizes it (idempotent by message id), so a retried job counts once. */
  recognizeAndCount(message: Message, countAs: CountAs, options: ExecuteOptions = {}): Promise<Recognized> {
    return this.execute({ message, countAs }, options);
  }

  async execute(request: RecognitionRequest, options: ExecuteOptions = {}): Promise<Recognized> {
    const deadline = Date.now() + this.q.replyTimeoutMs;
    const timeoutText = () =>
      `no recognition worker answered within ${this.q.replyTimeoutMs} ms (queue "${this.q.name}" on ${this.where}; are \`ekmm worker\` processes running?)`;
    const adding = this.queue.add(JOB_NAME, encodeJob(request));
    adding.catch(() => {});
    let added: Awaited<typeof adding> | 'timeout';
    try {
      added = await Promise.race([adding, timer(this.q.replyTimeoutMs)]);
    } catch (err) {
      throw new QueueUnavailableError(
        `cannot enqueue the recognition: redis ${this.where}: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    if (added === 'timeout') {
      // Redis took the job after all: withdraw it, the user has been told it failed.
      adding.then(
        (late) => this.abandon(late),
        () => {},
      );
      throw new ReplyTimeoutError(timeoutText());
    }
    const job = added;
    if (options.signal?.aborted) {
      this.abandon(job);
      throw new ReplyTimeoutError('the caller gave up before a worker answered');
    }
    let result: unknown;
    try {
      result = await job.waitUntilFinished(this.events, Math.max(1, deadline - Date.now()));
    } catch (err) {
      if (Date.now() >= deadline - 5) {
        this.abandon(job);
        throw new ReplyTimeoutError(timeoutText());
      }
      throw new JobFailedError(
        `recognition job ${job.id} failed after ${this.q.attempts} attempt(s): ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    return decodeResult(result, job.id);
  }

  /**
   * The user has been told it failed: a job nobody has started yet is removed so that it is not
   * recognized (and counted) minutes later. One already running is left to finish.
   */
  private abandon(job: Job<RecognitionJobData, RecognitionJobResult>): void {
    void (async () => {
      const state = await job.getState();
      if (state === 'waiting' || state === 'delayed' || state === 'prioritized') await job.remove();
    })().catch(() => {});
  }

  /** Reasons serve cannot get answers now: Redis not answering within 1.5 s, or no worker connected. */
  async notReady(): Promise<string[]> {
    const probe = (async (): Promise<string[]> => {
      const workers = await this.queue.getWorkersCount();
      return workers === 0 ? [`no recognition worker is connected to queue "${this.q.name}"`] : [];
    })();
    probe.catch(() => {});
    try {
      const answer = await Promise.race([probe, timer(1500)]);
      return answer === 'timeout' ? [`queue redis ${this.where} did not answer within 1.5 s`] : answer;
    } catch (err) {
      return [`queue redis ${this.where}: ${err instanceof Error ? err.message : String(err)}`];
    }
  }

  /** Waiting, active, delayed and failed job counts (for metrics and the operator). */
  async depth(): Promise<Record<string, number>> {
    return this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed');
  }

  /**
   * ekmm_bullmq_jobs{state}: the BullMQ queue's job counts, read from Redis at scrape time (the
   * host's ekmm_queue_* gauges count only this process's in-flight work). A Redis that does not
   * answer within 1 s leaves the last values, so /metrics never hangs on it.
   */
  registerMetrics(registry: Registry): void {
    const executor = this;
    new Gauge({
      name: 'ekmm_bullmq_jobs',
      help: 'Recognition jobs in the BullMQ queue by state (waiting, active, delayed, failed)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await Promise.race([executor.depth().catch(() => undefined), timer(1000)]);
        if (!counts || counts === 'timeout') return;
        for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    });
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
  }
}
