// `ekmm stats`: a community's entity statistics from the store the bots write (stats.url), as
// CSV or JSON on stdout, for moderators with shell access (the web adapter serves the same at
// GET /api/stats).
import { loadConfig } from '../config/load.ts';
import { openEntityStats } from '../stats/open.ts';
import { rowsToCsv, rowsToJson } from '../stats/export.ts';
import { integerOption, parseCommandArgs, UsageError } from './args.ts';
import { deleteCommunityData } from '../../adapters/shared/community-data.ts';

const HELP = `Usage: ekmm stats --community ID [--days N] [--channel ID] [--format csv|json] [--top N] [--config FILE]
       ekmm stats --delete --community ID --yes [--config FILE]

ID is discord:<guild id> or telegram:<chat id>. Prints one row per day, channel, type and
entity (CSV or JSON), or with --top N the N most frequent entities per type as JSON.
Reads stats.url (default sqlite://var/stats.sqlite under EKMM_HOME or the working directory).
--delete removes everything kept about the community (its statistics, bot settings, watchlist
and alert state), as
removing the bot from the guild or chat does; it refuses without --yes.

Example:
  ekmm stats --community discord:123456789 --days 7 --format json
`;

export async function statsCommand(args: string[]): Promise<number> {
  const { values } = parseCommandArgs(args, {
    community: { type: 'string' },
    days: { type: 'string' },
    channel: { type: 'string' },
    format: { type: 'string' },
    top: { type: 'string' },
    config: { type: 'string' },
    delete: { type: 'boolean' },
    yes: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (!values.community) throw new UsageError('--community is required (see --help)');
  if (values.delete) return deleteCommunity(values.community, values.yes ?? false, values.config);
  if (values.yes) throw new UsageError('--yes only goes with --delete');
  const format = values.format ?? 'csv';
  if (format !== 'csv' && format !== 'json') throw new UsageError(`--format must be csv or json, got '${format}'`);
  const config = loadConfig(values.config ? { file: values.config } : {});
  const days = integerOption(values.days, '--days', 1, config.stats.retentionDays);
  const top = integerOption(values.top, '--top', 1, 1000);
  const window = {
    communityId: values.community,
    ...(days ? { days } : {}),
    ...(values.channel !== undefined ? { channelId: values.channel } : {}),
  };
  const opened = await openEntityStats(config);
  try {
    if (top !== undefined) {
      process.stdout.write(
        JSON.stringify({ community: values.community, top: await opened.stats.top({ ...window, limit: top }) }, null, 2) + '\n',
      );
    } else {
      const rows = await opened.stats.rows(window);
      if (rows.length === 0 && !values.community.includes(':')) {
        process.stderr.write(
          `ekmm stats: no counts for "${values.community}"; the bots store communities as discord:<guild id> or telegram:<chat id>\n`,
        );
      }
      process.stdout.write(format === 'csv' ? rowsToCsv(rows) : rowsToJson(values.community, rows) + '\n');
    }
  } finally {
    await opened.close();
  }
  return 0;
}

async function deleteCommunity(communityId: string, yes: boolean, configFile: string | undefined): Promise<number> {
  if (!yes) throw new UsageError(`--delete removes all statistics and settings of ${communityId} for good; add --yes to confirm`);
  const config = loadConfig(configFile ? { file: configFile } : {});
  const opened = await openEntityStats(config);
  try {
    const deleted = await deleteCommunityData(opened.stats, opened.store, communityId);
    process.stdout.write(
      `deleted ${communityId}: ${deleted.records} statistics record${deleted.records === 1 ? '' : 's'}, ${deleted.settings} settings record${deleted.settings === 1 ? '' : 's'}, ${deleted.watch} watchlist record${deleted.watch === 1 ? '' : 's'}\n`,
    );
  } finally {
    await opened.close();
  }
  return 0;
}
