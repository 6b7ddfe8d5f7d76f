// The host: one per process, shared by every adapter (web, Discord, Telegram). It owns the
// guards, the one work queue (guards.concurrency is the total over all adapters), the
// statistics and the executor that runs recognition. Adapters turn platform events into an
// Incoming (MessageProcessor) or a Message (the web API) and hand them here.
import type { EkmmConfig } from '../config/schema.ts';
import type { Message, Recognition } from '../core/types.ts';
import type { EntityStats } from '../stats/entity-stats.ts';
import type { RecognitionExecutor } from './executor.ts';
import { Guards } from './guards.ts';
import { MessageProcessor } from './processor.ts';
import { WorkQueue } from './work-queue.ts';

export interface HostOptions {
  config: EkmmConfig;
  executor: RecognitionExecutor;
  /** Where counted entities go; without it nothing is counted. */
  stats?: EntityStats;
  /** Replace the config-made guards or queue (tests use a tiny queue). */
  guards?: Guards;
  queue?: WorkQueue;
  log?: (line: string) => void;
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
}

export interface Recognized {
  recognition: Recognition;
  /** Entity mentions counted in statistics (0 when not counted). */
  counted: number;
}

export class Host {
  readonly config: EkmmConfig;
  readonly guards: Guards;
  readonly queue: WorkQueue;
  readonly stats: EntityStats | undefined;
  readonly executor: RecognitionExecutor;
  readonly processor: MessageProcessor;
  readonly log: (line: string) => void;

  constructor(options: HostOptions) {
    this.config = options.config;
    this.executor = options.executor;
    this.stats = options.stats;
    this.guards = options.guards ?? new Guards(options.config.guards);
    this.queue = options.queue ?? new WorkQueue(options.config.guards.concurrency, options.config.guards.queueSize);
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
    this.processor = new MessageProcessor(this);
  }

  /**
   * Runs one recognition in the shared queue and counts its entities when `countAs` is set.
   * Rejects with QueueFullError at once when the queue is full; undefined when the message
   * turned out empty.
   */
  recognize(job: RecognitionJob): Promise<Recognized | undefined> {
    return this.queue.run(async ({ signal }) => {
      const message = typeof job.message === 'function' ? await job.message() : job.message;
      if (!message) return undefined;
      const recognition = await this.executor.recognize(message, signal ? { signal } : {});
      let counted = 0;
      if (job.countAs && this.stats) {
        counted = await this.stats.record({
          communityId: job.countAs.communityId,
          ...(job.countAs.channelId ? { channelId: job.countAs.channelId } : {}),
          ...(job.countAs.messageId ? { messageId: job.countAs.messageId } : {}),
          entities: recognition.entities,
        });
      }
      return { recognition, counted };
    }, job.signal ? { signal: job.signal } : {});
  }

  /** Waits until nothing runs or waits in the queue (before closing the stores). */
  idle(): Promise<void> {
    return this.queue.idle();
  }
}
