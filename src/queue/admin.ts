// The operator's view of failed recognition jobs: list them with their error, retry one or all.
// Message text and image bytes stay in Redis; the listing shows only ids, community, attempts
// and the error, so it can be pasted into a ticket.
import { Queue } from 'bullmq';
import type { EkmmConfig } from '../config/schema.ts';
import type { RecognitionJobData, RecognitionJobResult } from './codec.ts';
import { describeRedisUrl, probeRedis, redisConnection } from './connection.ts';

export interface FailedJob {
  id: string;
  failedAt: string | null;
  addedAt: string;
  attempts: number;
  error: string;
  community: string | null;
  messageId: string | null;
  images: number;
}

export interface QueueAdmin {
  readonly where: string;
  failedCount(): Promise<number>;
  failed(limit: number): Promise<FailedJob[]>;
  /** Retries one failed job; false when no failed job has that id. */
  retry(id: string): Promise<boolean>;
  /** Moves every failed job back to waiting; returns how many there were. */
  retryAll(): Promise<number>;
  close(): Promise<void>;
}

export class NoSuchFailedJobError extends Error {
  override readonly name = 'NoSuchFailedJobError';
}

export async function openQueueAdmin(config: EkmmConfig): Promise<QueueAdmin> {
  const url = config.queue.url;
  if (!url) throw new Error('queue.url is not set: there is no job queue to inspect (recognition runs in-process)');
  const where = describeRedisUrl(url);
  await probeRedis(url);
  const queue = new Queue<RecognitionJobData, RecognitionJobResult>(config.queue.name, { connection: redisConnection(url, 'producer') });
  queue.on('error', () => {});
  await queue.waitUntilReady();

  return {
    where,
    failedCount: () => queue.getFailedCount(),
    async failed(limit) {
      const jobs = await queue.getFailed(0, limit - 1);
      return jobs.map((job) => {
        const data = job.data as Partial<RecognitionJobData> | undefined;
        return {
          id: String(job.id),
          failedAt: job.finishedOn ? new Date(job.finishedOn).toISOString() : null,
          addedAt: new Date(job.timestamp).toISOString(),
          attempts: job.attemptsMade,
          error: job.failedReason || '(no reason recorded)',
          community: data?.countAs?.communityId ?? data?.message?.communityId ?? null,
          messageId: data?.countAs?.messageId ?? data?.message?.messageId ?? null,
          images: data?.message?.images?.length ?? 0,
        };
      });
    },
    async retry(id) {
      const job = await queue.getJob(id);
      if (!job || !(await job.isFailed())) return false;
      await job.retry('failed');
      return true;
    },
    async retryAll() {
      const count = await queue.getFailedCount();
      if (count > 0) await queue.retryJobs({ state: 'failed', count: 1000 });
      return count;
    },
    close: () => queue.close(),
  };
}
