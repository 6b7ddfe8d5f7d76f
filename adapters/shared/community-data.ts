// Everything EKMM keeps about one community, deleted in one place: when the bot is removed from
// a guild or chat, and by `ekmm stats --delete --community ID --yes`. Statistics (counts and
// dedupe records) live in the statistics backend; adapter records (Discord guild settings) in
// the key-value store beside it (Discord guild settings, Telegram chat modes, watchlists and alert state). New per-community records must be added here.
import type { Store } from '../../src/core/stages.ts';
import type { EntityStats } from '../../src/stats/entity-stats.ts';
import { guildSettingsKey } from '../discord/settings.ts';
import { chatSettingsKey } from '../telegram/settings.ts';
import { WatchStore } from '../../src/watch/watchlist.ts';

export interface DeletedCommunity {
  /** Statistics records the backend removed. */
  records: number;
  /** Adapter records (settings) removed from the key-value store. */
  settings: number;
  /** The watchlist and its alert state (rate-limit windows, decided messages). */
  watch: number;
}

/** The key-value records that belong to a community id (discord:<guild> or telegram:<chat>). */
export function communityRecordKeys(communityId: string): string[] {
  const discord = /^discord:(.+)$/.exec(communityId);
  if (discord) return [guildSettingsKey(discord[1]!)];
  const telegram = /^telegram:(.+)$/.exec(communityId);
  if (telegram) return [chatSettingsKey(telegram[1]!)];
  return [];
}

export async function deleteCommunityData(stats: EntityStats, store: Store, communityId: string): Promise<DeletedCommunity> {
  const records = await stats.deleteCommunity(communityId);
  let settings = 0;
  for (const key of communityRecordKeys(communityId)) if (await store.delete(key)) settings++;
  const watch = await new WatchStore(store).deleteCommunity(communityId);
  return { records, settings, watch };
}
