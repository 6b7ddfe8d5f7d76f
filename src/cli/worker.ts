// `ekmm worker`: one recognition worker process. Builds the engine from the configuration (the
// same one serve uses), takes jobs from queue.name on queue.url, records statistics, returns the
// Recognition. Run as many as the machines allow; they share the work. Stops cleanly on
// SIGINT/SIGTERM: no new jobs, the running ones finish, then the engine and stores close.
import { loadConfig } from '../config/load.ts';
import { createEngine } from '../app/engine.ts';
import { describeRedisUrl } from '../queue/connection.ts';
import { startRecognitionWorker, type RecognitionWorker } from '../queue/worker.ts';
import { openEntityStats } from '../stats/open.ts';
import { createLogger } from '../observability/logger.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';

const HELP = `Usage: ekmm worker [--concurrency N] [--config FILE]

Processes recognition jobs that \`ekmm serve\` enqueues when queue.url (redis://host:port) is set:
recognizes each message with this machine's engine, counts its entities in stats.url (once per
message id, even when a job is retried) and returns the result to serve.
Failed jobs are retried queue.attempts times with exponential backoff from queue.backoffMs; a job
running past queue.jobTimeoutMs fails its attempt. See \`ekmm queue failed\`.
Stops cleanly on SIGINT (Ctrl+C) or SIGTERM: running jobs finish first.

Options:
  --concurrency N   jobs at once in this process (default queue.concurrency)
  --config FILE     YAML file layered over config/default.yaml
  -h, --help        show this help

Example (with a Redis at 127.0.0.1:6379; the worker runs until Ctrl+C):
  EKMM__QUEUE__URL=redis://127.0.0.1:6379 ekmm worker --concurrency 2
`;

const OPTIONS = {
  concurrency: { type: 'string' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

export async function workerCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const concurrency = integerOption(values.concurrency, '--concurrency', 1, 256);
  const config = loadConfig(values.config ? { file: values.config } : {});
  if (!config.queue.url) {
    throw new UsageError(
      'queue.url is not set: a worker needs the Redis URL serve enqueues to (e.g. EKMM__QUEUE__URL=redis://127.0.0.1:6379)',
    );
  }

  const log = createLogger({ base: { service: 'ekmm-worker' } });
  let signalled: NodeJS.Signals | undefined;
  let wake: () => void = () => {};
  const stopping = new Promise<void>((resolve) => (wake = resolve));
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(130); // a second signal means "now"
    signalled = signal;
    wake();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const engine = await createEngine(config);
  let opened: Awaited<ReturnType<typeof openEntityStats>>;
  try {
    opened = await openEntityStats(config, { registries: engine.registries });
  } catch (err) {
    await engine.close();
    throw err;
  }
  let worker: RecognitionWorker | undefined;
  try {
    worker = await startRecognitionWorker(
      config,
      { engine, stats: opened.stats },
      { ...(concurrency ? { concurrency } : {}), logger: log },
    );
    await worker.ready();
    log.info(
      `worker: ready on queue "${config.queue.name}" at ${describeRedisUrl(config.queue.url)}, concurrency ${concurrency ?? config.queue.concurrency}, pid ${process.pid}`,
    );
    await stopping;
    log.info({ signal: signalled }, `worker: ${signalled} received; finishing running jobs`);
  } finally {
    await worker?.close();
    await opened.close();
    await engine.close();
  }
  log.info(
    worker?.done ?? {},
    `worker: stopped after ${worker?.done.completed ?? 0} completed and ${worker?.done.failed ?? 0} failed job(s)`,
  );
  return 0;
}
