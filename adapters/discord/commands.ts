// The application commands the bot registers on ready.
import {
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  PermissionFlagsBits,
  SlashCommandBuilder,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { READABLE_CHANNEL_TYPES } from './channels.ts';

export const RECOGNIZE_MESSAGE = 'Recognize entities';
export const ENTITIES = 'entities';
export const STATS = 'stats';
export const CONFIG = 'ekmm-config';
export const HELP = 'help';
export const DASHBOARD = 'dashboard';

export function commandDefinitions(maxDays: number): RESTPostAPIApplicationCommandsJSONBody[] {
  return [
    new ContextMenuCommandBuilder().setName(RECOGNIZE_MESSAGE).setType(ApplicationCommandType.Message).toJSON(),
    new SlashCommandBuilder()
      .setName(ENTITIES)
      .setDescription('List the named entities in a text')
      .addStringOption((o) => o.setName('text').setDescription('Text to look at').setRequired(true).setMaxLength(4000))
      .toJSON(),
    new SlashCommandBuilder().setName(HELP).setDescription('What the bot does, its commands and what it stores (privacy)').toJSON(),
    new SlashCommandBuilder()
      .setName(DASHBOARD)
      .setDescription("A private link to this server's statistics dashboard (moderators)")
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      .toJSON(),
    new SlashCommandBuilder()
      .setName(STATS)
      .setDescription('Top entities in this server (moderators)')
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      .addIntegerOption((o) => o.setName('days').setDescription('How many days back').setMinValue(1).setMaxValue(maxDays))
      .addChannelOption((o) => o.setName('channel').setDescription('Only this channel or forum (its threads included)').addChannelTypes(...READABLE_CHANNEL_TYPES))
      .toJSON(),
    new SlashCommandBuilder()
      .setName(CONFIG)
      .setDescription('Configure the entity bot for this server (moderators)')
      .setDefaultMemberPermissions(PermissionFlagsBits.ManageGuild)
      .addStringOption((o) =>
        o
          .setName('mode')
          .setDescription('When the bot replies')
          .addChoices(
            { name: 'mention: when mentioned', value: 'mention' },
            { name: 'auto: every message with entities', value: 'auto' },
            { name: 'passive: never, statistics only', value: 'passive' },
          ),
      )
      .addChannelOption((o) => o.setName('enable').setDescription('Start reading this channel or forum (and its threads)').addChannelTypes(...READABLE_CHANNEL_TYPES))
      .addChannelOption((o) => o.setName('disable').setDescription('Stop reading this channel or forum').addChannelTypes(...READABLE_CHANNEL_TYPES))
      .addStringOption((o) =>
        o
          .setName('language')
          .setDescription('Message language')
          .addChoices({ name: 'auto', value: 'auto' }, { name: 'English', value: 'en' }, { name: 'Chinese', value: 'zh' }),
      )
      .toJSON(),
  ];
}
