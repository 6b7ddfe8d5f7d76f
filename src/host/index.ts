// Public surface of the host: adapters and the composition root use these.
export { Host, type HostOptions, type CountAs, type RecognitionJob, type Recognized } from './host.ts';
export { MessageProcessor, type Incoming, type Outcome, type Tally, type ProcessorHost } from './processor.ts';
export { Guards, type Admission, type Refusal } from './guards.ts';
export { WorkQueue, QueueFullError, type WorkQueueStats, type RunOptions } from './work-queue.ts';
export {
  InProcessExecutor,
  RecognitionUnavailableError,
  type RecognitionExecutor,
  type RecognizingEngine,
  type ExecuteOptions,
} from './executor.ts';
export { RefusalLog } from './refusals.ts';
