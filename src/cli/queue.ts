// `ekmm queue failed | retry`: the operator's view of recognition jobs that failed on every
// attempt (see `ekmm worker`).
import { loadConfig } from '../config/load.ts';
import { openQueueAdmin, type FailedJob } from '../queue/admin.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';

const HELP = `Usage: ekmm queue failed [--limit N] [--json] [--config FILE]
       ekmm queue retry ID... | --all [--config FILE]

failed   lists recognition jobs that failed on every attempt, newest first, with their error
         (job id, when, attempts, community, message id, image count; never the message text)
retry    moves the named failed jobs (or --all) back to the queue for the workers to try again

Options:
  --limit N       how many failed jobs to list (default 20)
  --json          one JSON object on stdout: { total, jobs: [...] }
  --all           (retry) every failed job
  --config FILE   YAML file layered over config/default.yaml (queue.url must be set)
  -h, --help      show this help

Example (with a Redis at 127.0.0.1:6379):
  EKMM__QUEUE__URL=redis://127.0.0.1:6379 ekmm queue failed --limit 5
`;

const OPTIONS = {
  limit: { type: 'string' },
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  config: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function table(jobs: FailedJob[], total: number): string {
  if (jobs.length === 0) return 'no failed jobs\n';
  const lines = jobs.map(
    (j) =>
      `${j.id}  ${j.failedAt ?? '-'}  attempts ${j.attempts}  ${j.community ?? '-'}  message ${j.messageId ?? '-'}  images ${j.images}\n    error: ${j.error.split('\n')[0]}`,
  );
  const more = total > jobs.length ? `\n(${total - jobs.length} more; use --limit)` : '';
  return `${total} failed job${total === 1 ? '' : 's'}\n${lines.join('\n')}${more}\n`;
}

export async function queueCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(args, OPTIONS, true);
  const [action, ...ids] = positionals;
  if (values.help || action === undefined) {
    (values.help ? process.stdout : process.stderr).write(HELP);
    return values.help ? 0 : 2;
  }
  if (action !== 'failed' && action !== 'retry') throw new UsageError(`unknown action "${action}"; expected failed or retry (see --help)`);
  if (action === 'failed' && (ids.length || values.all)) throw new UsageError('queue failed takes no job ids or --all (see --help)');
  if (action === 'retry' && Boolean(values.all) === ids.length > 0)
    throw new UsageError('queue retry needs job ids or --all, not both and not neither');
  const limit = integerOption(values.limit, '--limit', 1, 10_000) ?? 20;
  const config = loadConfig(values.config ? { file: values.config } : {});
  const admin = await openQueueAdmin(config);
  try {
    if (action === 'failed') {
      const [total, jobs] = await Promise.all([admin.failedCount(), admin.failed(limit)]);
      process.stdout.write(values.json ? `${JSON.stringify({ queue: config.queue.name, total, jobs })}\n` : table(jobs, total));
      return 0;
    }
    if (values.all) {
      const n = await admin.retryAll();
      process.stdout.write(`retrying ${n} failed job${n === 1 ? '' : 's'}\n`);
      return 0;
    }
    let missing = 0;
    for (const id of ids) {
      if (await admin.retry(id)) process.stdout.write(`retrying job ${id}\n`);
      else {
        missing++;
        process.stderr.write(`ekmm queue retry: no failed job with id ${id} (see ekmm queue failed)\n`);
      }
    }
    return missing ? 1 : 0;
  } finally {
    await admin.close();
  }
}
