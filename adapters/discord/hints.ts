// What Discord already resolved about a message's mentions, as core MessageHints: the display
// names of mentioned members (server nickname, else global name, else username), role names and
// channel names. discord.js fills msg.mentions from the gateway payload and its caches.
import type { Message as DiscordMessage } from 'discord.js';
import type { MentionHint, MessageHints } from '../../src/core/types.ts';

export function discordHints(msg: DiscordMessage, botUserId?: string): MessageHints | undefined {
  const mentions: MentionHint[] = [];
  for (const user of msg.mentions.users.values()) {
    if (user.id === botUserId) continue;
    const member = msg.mentions.members?.get(user.id);
    mentions.push({ kind: 'user', id: user.id, name: member?.displayName ?? user.displayName });
  }
  for (const role of msg.mentions.roles.values()) mentions.push({ kind: 'role', id: role.id, name: role.name });
  for (const channel of msg.mentions.channels.values()) {
    if ('name' in channel && typeof channel.name === 'string') mentions.push({ kind: 'channel', id: channel.id, name: channel.name });
  }
  return mentions.length ? { mentions } : undefined;
}
