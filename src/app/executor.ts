// Picks where recognition runs. In-process (the engine in this process) is the embedded default.
// Seam for the queue-backed executor (helper h7b): when `queue.url` is set, return the BullMQ
// executor from here; the host and every adapter use whatever this returns.
import type { EkmmConfig } from '../config/schema.ts';
import type { Engine } from '../core/engine.ts';
import { InProcessExecutor, type RecognitionExecutor } from '../host/index.ts';
import { QueueExecutor } from '../queue/producer.ts';
import type { Logger } from '../observability/logger.ts';

export interface ExecutorContext {
  config: EkmmConfig;
  engine: Engine;
  logger?: Logger;
}

export type ExecutorFactory = (ctx: ExecutorContext) => RecognitionExecutor | Promise<RecognitionExecutor>;

/** BullMQ workers when queue.url is set (serve enqueues, `ekmm worker` recognizes); in-process otherwise. */
export const createExecutor: ExecutorFactory = ({ config, engine, logger }) =>
  config.queue.url ? QueueExecutor.start(config, logger ? { logger } : {}) : new InProcessExecutor(engine);
