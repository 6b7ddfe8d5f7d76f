// Threads and forum posts count under their parent channel: a moderator enables #general (or a
// forum) with /ekmm-config, and every thread in it is read; its counts, and the per-channel
// breakdown, name the parent. discord.js keeps threads in its channel cache from GUILD_CREATE
// (active threads), THREAD_CREATE, THREAD_UPDATE (an archived thread that wakes up) and
// THREAD_LIST_SYNC, all under the Guilds intent the bot already asks for.
import { ChannelType, type Channel } from 'discord.js';

/** Channel types a moderator can enable, disable or filter /stats by (threads follow their parent). */
export const READABLE_CHANNEL_TYPES = [ChannelType.GuildText, ChannelType.GuildForum] as const;

/** The channel a message is allowed and counted under: a thread's (or forum post's) parent, else the channel itself. */
export function parentChannelId(channel: Channel | null | undefined, channelId: string): string {
  if (channel?.isThread()) return channel.parentId ?? channelId;
  return channelId;
}
