// The worker side: a BullMQ Worker on queue.name that decodes each job, recognizes it with the
// engine in this process, records its statistics (idempotent by community + message id in the
// statistics store, so a job retried after a crash is counted once) and returns the Recognition.
//
// Failure handling is BullMQ's own: a job that throws or runs past queue.jobTimeoutMs fails
// this attempt and is retried with exponential backoff (queue.attempts, queue.backoffMs); a
// worker killed mid-job stops renewing its lock, and after lockDurationMs another worker's
// stalled-job check (every stalledIntervalMs) puts the job back in the queue.
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { EkmmConfig } from '../config/schema.ts';
import { decodeJob, JobDataError, JOB_NAME, type RecognitionJobData, type RecognitionJobResult, type RecognitionRequest } from './codec.ts';
import { describeRedisUrl, probeRedis, redisConnection } from './connection.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import type { RecognizingEngine } from '../host/executor.ts';
import type { Recognized } from '../host/host.ts';
import type { EntityStats } from '../stats/entity-stats.ts';

/** What a worker recognizes with and counts into. */
export interface WorkerDeps {
  engine: RecognizingEngine;
  /** Statistics the worker counts into (stats.url, shared with serve); without it nothing is counted. */
  stats?: EntityStats;
}

export interface RecognitionWorkerOptions {
  /** Jobs at once in this process; defaults to queue.concurrency. */
  concurrency?: number;
  logger?: Logger;
}

export interface RecognitionWorker {
  readonly worker: Worker<RecognitionJobData, RecognitionJobResult>;
  /** Jobs this process finished, by outcome (an attempt that failed counts as failed). */
  readonly done: { completed: number; failed: number };
  /** Resolves once the worker is connected and taking jobs. */
  ready(): Promise<void>;
  /** Stops taking jobs, waits for the running ones to finish, disconnects. */
  close(): Promise<void>;
}

export class JobTimeoutError extends Error {
  override readonly name = 'JobTimeoutError';
}

/** Recognizes one job's message and counts it; nothing is counted once `signal` has aborted (the attempt timed out and will be retried). */
export async function recognizeJob(request: RecognitionRequest, deps: WorkerDeps, signal: AbortSignal): Promise<Recognized> {
  const recognition = await deps.engine.recognize(request.message);
  signal.throwIfAborted();
  let counted = 0;
  if (request.countAs && deps.stats) {
    counted = await deps.stats.record({
      communityId: request.countAs.communityId,
      ...(request.countAs.channelId ? { channelId: request.countAs.channelId } : {}),
      ...(request.countAs.messageId ? { messageId: request.countAs.messageId } : {}),
      entities: recognition.entities,
    });
  }
  return { recognition, counted };
}

export async function startRecognitionWorker(
  config: EkmmConfig,
  deps: WorkerDeps,
  options: RecognitionWorkerOptions = {},
): Promise<RecognitionWorker> {
  const q = config.queue;
  if (!q.url) throw new Error('queue.url is not set: `ekmm worker` needs the Redis URL its serve process enqueues to');
  const log = (options.logger ?? createLogger()).child({ component: 'worker', queue: q.name });
  const where = describeRedisUrl(q.url);
  await probeRedis(q.url);

  const processJob = async (job: Job<RecognitionJobData, RecognitionJobResult>): Promise<RecognitionJobResult> => {
    if (job.name !== JOB_NAME)
      throw new UnrecoverableError(`job ${job.id} is named "${job.name}", not "${JOB_NAME}"; it was not made by ekmm serve`);
    let request: RecognitionRequest;
    try {
      request = decodeJob(job.data);
    } catch (err) {
      // A malformed job fails the same way on every try: no retry.
      if (err instanceof JobDataError) throw new UnrecoverableError(`job ${job.id}: ${err.message}`);
      throw err;
    }
    const abort = new AbortController();
    let timeout: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timeout = setTimeout(() => {
        abort.abort();
        reject(new JobTimeoutError(`job ${job.id} ran past queue.jobTimeoutMs (${q.jobTimeoutMs} ms) on attempt ${job.attemptsMade + 1}`));
      }, q.jobTimeoutMs);
    });
    try {
      return await Promise.race([recognizeJob(request, deps, abort.signal), timedOut]);
    } finally {
      clearTimeout(timeout);
    }
  };

  const worker = new Worker<RecognitionJobData, RecognitionJobResult>(q.name, processJob, {
    connection: redisConnection(q.url, 'worker'),
    concurrency: options.concurrency ?? q.concurrency,
    lockDuration: q.lockDurationMs,
    stalledInterval: q.stalledIntervalMs,
    // A crash (stall) uses up an attempt like an error does.
    maxStalledCount: q.attempts,
    autorun: true,
  });
  const done = { completed: 0, failed: 0 };
  worker.on('completed', () => done.completed++);
  let lastError: string | undefined;
  worker.on('error', (err) => {
    if (err.message !== lastError) log.warn({ redis: where, error: err.message }, 'worker: redis connection error');
    lastError = err.message;
  });
  worker.on('failed', (job, err) => {
    done.failed++;
    if (!job) return;
    const final = job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
    // Ids and the error only: never the message text.
    log.warn(
      { jobId: job.id, attempt: job.attemptsMade, final, error: err.message, messageId: job.data.countAs?.messageId },
      `worker: job ${job.id} attempt ${job.attemptsMade} failed${final ? ' (final)' : ', will retry'}`,
    );
  });
  worker.on('stalled', (jobId) => log.warn({ jobId }, `worker: job ${jobId} stalled (its worker stopped); put back in the queue`));

  return {
    worker,
    done,
    ready: () => worker.waitUntilReady().then(() => undefined),
    close: () => worker.close(),
  };
}
