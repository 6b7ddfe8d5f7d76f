// Picks where recognition runs. In-process (the engine in this process) is the embedded default.
// Seam for the queue-backed executor (helper h7b): when `queue.url` is set, return the BullMQ
// executor from here; the host and every adapter use whatever this returns.
import type { EkmmConfig } from '../config/schema.ts';
import type { Engine } from '../core/engine.ts';
import { InProcessExecutor, type RecognitionExecutor } from '../host/index.ts';

export interface ExecutorContext {
  config: EkmmConfig;
  engine: Engine;
}

export type ExecutorFactory = (ctx: ExecutorContext) => RecognitionExecutor | Promise<RecognitionExecutor>;

export const createExecutor: ExecutorFactory = ({ engine }) => new InProcessExecutor(engine);
